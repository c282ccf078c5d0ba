//! Tests of the counter statistics: the store through a real SQLite file, the session's
//! visit records (and that nothing personal reaches them), the CSV export, the HTML report
//! read back by a real browser (chromium, headless), and the demo's statistics under --out.

mod demo;
mod export;
mod flow;
mod report;
mod store;

use std::path::{Path, PathBuf};
use std::process::Command;

use chrono::NaiveDate;
use madoguchi::stats::{StatsStore, synthetic};
use madoguchi::vocab::visit::Visit;

/// A small synthetic month: 3 kiosks, 20 days, ~40 visits a day each.
pub fn month() -> Vec<Visit> {
    synthetic::visits(synthetic::Plan {
        seed: 7,
        kiosks: 3,
        first_day: NaiveDate::from_ymd_opt(2026, 10, 1).unwrap(),
        days: 20,
        per_day: 40.0,
    })
    .collect()
}

/// Write these visits to a new database file.
pub fn db_with(path: &Path, visits: &[Visit]) -> StatsStore {
    let s = StatsStore::open(path, 0).unwrap();
    assert_eq!(s.record_all(visits).unwrap(), visits.len());
    s
}

/// Run the madoguchi binary; panics with its output when it fails.
pub fn madoguchi(args: &[&str]) -> std::process::Output {
    let out = Command::new(env!("CARGO_BIN_EXE_madoguchi")).args(args).output().expect("run madoguchi");
    assert!(
        out.status.success(),
        "madoguchi {args:?}\nstdout:\n{}\nstderr:\n{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    out
}

pub fn p(path: &Path) -> &str {
    path.to_str().unwrap()
}

pub fn chromium() -> PathBuf {
    let p = PathBuf::from("/usr/bin/chromium");
    assert!(p.is_file(), "chromium is not installed: bash tests/stack.sh install");
    p
}
