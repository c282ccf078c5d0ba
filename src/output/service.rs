//! The one object the kiosk flow holds: opens the outbox, runs the sender when a backend is
//! configured, and turns "the resident confirmed" into durable outputs.

use std::sync::Arc;

use chrono::Utc;

use super::config::OutputConfig;
use super::export::{ExportError, Exported, export_submission, preflight, sweep};
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
    /// The submission is committed (and will be delivered, or is kept), but its export files
    /// could not be written. Accepting it again writes them (the outbox entry is reused).
    #[error(
        "submission accepted into the outbox, but the export failed: {source} / 送信は受け付けましたが、連携ファイルを書き出せませんでした"
    )]
    ExportAfterCommit {
        source: ExportError,
        /// `true`: a back office is configured (the submission will be sent); `false`: kept.
        sent: bool,
    },
}

impl OutputError {
    pub fn message_ja(&self) -> &'static str {
        match self {
            OutputError::Outbox(e) => e.message_ja(),
            OutputError::Export(e) => e.message_ja(),
            // Says exactly what was accepted: the resident must not submit again elsewhere.
            OutputError::ExportAfterCommit { sent: true, .. } => {
                "窓口への送信は受け付けました。連携ファイルの書き出しに失敗しました。職員に連絡してください(もう一度送信しても二重にはなりません)。"
            }
            OutputError::ExportAfterCommit { sent: false, .. } => {
                "申請は保存しました。連携ファイルの書き出しに失敗しました。職員に連絡してください(もう一度送信しても二重にはなりません)。"
            }
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

/// Tests only: `MADOGUCHI_TEST_PAUSE_AT=<step>` makes the process print
/// `madoguchi-test-paused <step>` on stderr and stop there for good at that step of a
/// delivery, so the kill -9 test (tests/it/output/kill_delivery.rs) can kill it exactly
/// there. Not set in production; the variable is read at the pause points only.
pub fn test_pause(step: &str) {
    if std::env::var_os("MADOGUCHI_TEST_PAUSE_AT").is_some_and(|v| v == step) {
        eprintln!("madoguchi-test-paused {step}");
        loop {
            std::thread::sleep(std::time::Duration::from_secs(3600));
        }
    }
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
        let mut all = self.accept_all(std::slice::from_ref(sub))?;
        all.pop().ok_or(OutputError::Outbox(OutboxError::NoSuchEntry(0)))
    }

    /// Accept every submission of one visit. What can fail is checked for all of them first
    /// (export: encodable, spool writable, room for the files), so a problem there accepts
    /// nothing; then every submission is committed, and only then exported, so that
    /// [`OutputError::ExportAfterCommit`] ("accepted, the export failed") is true of all of
    /// them. A commit that fails after earlier ones is an outbox error; 再送 commits the rest
    /// (the idempotency keys keep what is already in from being added twice).
    pub fn accept_all(&self, subs: &[Submission]) -> Result<Vec<Accepted>, OutputError> {
        if self.cfg.export.enabled {
            let refs: Vec<&Submission> = subs.iter().collect();
            preflight(&self.cfg.export, &refs, Utc::now())?;
        }
        test_pause("before-commit");
        let mut committed = Vec::with_capacity(subs.len());
        for sub in subs {
            // With no back office the outbox is the kiosk's own record: kept, never sent.
            committed.push(if self.cfg.backend.is_some() {
                self.outbox.enqueue(sub)?
            } else {
                self.outbox.keep(sub)?
            });
        }
        test_pause("after-commit");
        let mut out = Vec::with_capacity(subs.len());
        for (outbox, sub) in committed.into_iter().zip(subs) {
            let export = self.export_once(&outbox, sub).map_err(|e| match e {
                OutputError::Export(source) => {
                    OutputError::ExportAfterCommit { source, sent: self.cfg.backend.is_some() }
                }
                other => other,
            })?;
            out.push(Accepted { outbox, export });
        }
        self.purge_if_due();
        Ok(out)
    }

    /// Export once per submission: the RPA may already have taken (and deleted) the files
    /// when the same submission is accepted again. A crash between writing the files and
    /// the mark exports it again (at least once, never lost).
    fn export_once(&self, outbox: &Enqueued, sub: &Submission) -> Result<Option<Exported>, OutputError> {
        if !self.cfg.export.enabled || self.outbox.exported(outbox.id)? {
            return Ok(None);
        }
        let written = export_submission(&self.cfg.export, sub, Utc::now())?;
        test_pause("after-export");
        self.outbox.mark_exported(outbox.id)?;
        Ok(Some(written))
    }

    /// Retention without a visit: the kiosk calls this while idle (at most one sweep per
    /// ten minutes, the first right away), so exports and outbox rows past their retention
    /// go even when nobody is served for days.
    pub fn housekeeping(&self) {
        self.purge_if_due();
    }

    fn purge_if_due(&self) {
        let mut last = self.last_purge.lock().unwrap_or_else(|p| p.into_inner());
        if last.is_none_or(|t| t.elapsed() >= PURGE_EVERY) {
            *last = Some(std::time::Instant::now());
            // The sender purges the outbox when it runs; the export spool is swept here.
            if self._sender.is_none()
                && let Err(e) = self.outbox.purge(Utc::now())
            {
                eprintln!("madoguchi: outbox purge: {e}");
            }
            if self.cfg.export.enabled
                && let Err(e) = sweep(&self.cfg.export, std::time::SystemTime::now())
            {
                eprintln!("madoguchi: export spool sweep: {e}");
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
