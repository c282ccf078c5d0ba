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
}

impl OutputService {
    /// Open the outbox (creating it and its key on first use) and start delivering.
    pub fn start(cfg: &OutputConfig) -> Result<OutputService, OutputError> {
        let outbox = Arc::new(Outbox::open(&cfg.outbox)?);
        let sender = match &cfg.backend {
            Some(b) => Some(SenderThread::spawn(Sender::new(outbox.clone(), b)?).map_err(OutputError::Thread)?),
            None => None,
        };
        Ok(OutputService { cfg: cfg.clone(), outbox, _sender: sender })
    }

    /// Make a confirmed submission durable: committed to the outbox (fsync) and, when
    /// configured, written to the export spool. Only after `Ok` may the resident be told
    /// it was accepted.
    pub fn accept(&self, sub: &Submission) -> Result<Accepted, OutputError> {
        let outbox = self.outbox.enqueue(sub)?;
        let export =
            if self.cfg.export.enabled { Some(export_submission(&self.cfg.export, sub, Utc::now())?) } else { None };
        Ok(Accepted { outbox, export })
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
