//! The one object the kiosk flow holds: opens the outbox, runs the sender when a backend is
//! configured, and turns "the resident confirmed" into durable outputs.

use std::sync::Arc;

use chrono::Utc;

use super::config::OutputConfig;
use super::export::{ExportError, Exported, export_submission};
use super::outbox::{Enqueued, Outbox, OutboxError, Sender, SenderConfigError, SenderThread};
use super::payload::Submission;
use super::print::{PrintError, Printer};

#[derive(Debug, thiserror::Error)]
pub enum OutputError {
    #[error(transparent)]
    Outbox(#[from] OutboxError),
    #[error(transparent)]
    Backend(#[from] SenderConfigError),
    #[error(transparent)]
    Export(#[from] ExportError),
    #[error("cannot start the sender thread: {0} / 送信処理を開始できません")]
    Thread(std::io::Error),
}

impl OutputError {
    pub fn message_ja(&self) -> &'static str {
        match self {
            OutputError::Outbox(e) => e.message_ja(),
            OutputError::Export(e) => e.message_ja(),
            OutputError::Backend(_) | OutputError::Thread(_) => {
                "送信先の設定に誤りがあります。管理者に連絡してください。"
            }
        }
    }
}

/// What happened to one accepted submission.
#[derive(Debug, Clone)]
pub struct Accepted {
    pub outbox: Enqueued,
    pub export: Option<Exported>,
}

pub struct OutputService {
    cfg: OutputConfig,
    outbox: Arc<Outbox>,
    _sender: Option<SenderThread>,
    /// When this process runs no sender, it enforces the retention period itself.
    last_purge: std::sync::Mutex<Option<std::time::Instant>>,
}

/// How often retention is enforced by a process that runs no sender.
const PURGE_EVERY: std::time::Duration = std::time::Duration::from_secs(600);

impl OutputService {
    /// Open the outbox (creating it and its key on first use) and start delivering.
    pub fn start(cfg: &OutputConfig) -> Result<OutputService, OutputError> {
        let outbox = Arc::new(Outbox::open(&cfg.outbox)?);
        let sender = match &cfg.backend {
            // `sender_in_kiosk = false`: the madoguchi-sender service delivers instead, so
            // sending goes on while the kiosk UI restarts. The backend is still checked here.
            Some(b) if cfg.sender_in_kiosk => {
                Some(SenderThread::spawn(Sender::new(outbox.clone(), b)?).map_err(OutputError::Thread)?)
            }
            Some(b) => {
                Sender::new(outbox.clone(), b)?;
                None
            }
            None => None,
        };
        Ok(OutputService { cfg: cfg.clone(), outbox, _sender: sender, last_purge: Default::default() })
    }

    /// Make a confirmed submission durable: committed to the outbox (fsync) and, when
    /// configured, written to the export spool. Only after `Ok` may the resident be told
    /// it was accepted.
    pub fn accept(&self, sub: &Submission) -> Result<Accepted, OutputError> {
        // With no back office the outbox is the kiosk's own record: kept, never sent.
        let outbox = if self.cfg.backend.is_some() { self.outbox.enqueue(sub)? } else { self.outbox.keep(sub)? };
        self.purge_if_due();
        // Export once per submission: the RPA may already have taken (and deleted) the files
        // when the same submission is accepted again. A crash between writing the files and
        // the mark exports it again (at least once, never lost).
        let export = if self.cfg.export.enabled && !self.outbox.exported(outbox.id)? {
            let written = export_submission(&self.cfg.export, sub, Utc::now())?;
            self.outbox.mark_exported(outbox.id)?;
            Some(written)
        } else {
            None
        };
        Ok(Accepted { outbox, export })
    }

    fn purge_if_due(&self) {
        if self._sender.is_some() {
            return; // the sender purges
        }
        let mut last = self.last_purge.lock().unwrap_or_else(|p| p.into_inner());
        if last.is_none_or(|t| t.elapsed() >= PURGE_EVERY) {
            *last = Some(std::time::Instant::now());
            if let Err(e) = self.outbox.purge(Utc::now()) {
                eprintln!("madoguchi: outbox purge: {e}");
            }
        }
    }

    /// The configured printer, if printing is set up.
    pub fn printer(&self) -> Option<Result<Printer, PrintError>> {
        self.cfg.print.printer_uri.as_ref().map(|_| Printer::new(&self.cfg.print, None))
    }

    /// For the clerk screen (status, list, retry).
    pub fn outbox(&self) -> &Arc<Outbox> {
        &self.outbox
    }
}
