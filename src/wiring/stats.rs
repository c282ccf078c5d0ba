//! The statistics database behind the session's [`VisitLog`] port.

use std::sync::atomic::{AtomicBool, Ordering};

use chrono::NaiveDate;

use crate::config::StatsConfig;
use crate::session::VisitLog;
use crate::stats::{StatsError, StatsStore};
use crate::vocab::visit::{DaySummary, Visit};

/// Writes each finished visit to the statistics database. A failure is logged (once until
/// it works again) and never stops the kiosk: counting is a by-product of serving residents.
#[derive(Debug)]
pub struct StatsLog {
    store: StatsStore,
    failing: AtomicBool,
}

impl StatsLog {
    pub fn open(cfg: &StatsConfig) -> Result<StatsLog, StatsError> {
        Ok(StatsLog { store: StatsStore::open(&cfg.db_path, cfg.retention_days)?, failing: AtomicBool::new(false) })
    }
    pub fn store(&self) -> &StatsStore {
        &self.store
    }
}

impl VisitLog for StatsLog {
    fn record(&self, visit: &Visit) {
        match self.store.record(visit) {
            Ok(()) => self.failing.store(false, Ordering::Relaxed),
            Err(e) => {
                // The error names the file and SQLite's reason; a visit row holds nothing personal.
                if !self.failing.swap(true, Ordering::Relaxed) {
                    eprintln!("madoguchi: {e} (statistics only; the kiosk goes on) / 統計を記録できませんでした");
                }
            }
        }
    }
    fn today(&self, day: NaiveDate) -> Option<DaySummary> {
        self.store.day_summary(day).ok()
    }
}
