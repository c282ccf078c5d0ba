//! `madoguchi outbox status|list|retry ID|purge` and `madoguchi print FILE.pdf`.
//!
//! Configuration: `--config FILE` (or MADOGUCHI_CONFIG) is a TOML file whose `[output]` table
//! (or, if it has none, the whole file) is the output configuration. Without it, defaults.

use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::Arc;

use clap::{Args, Subcommand};
use madoguchi::output::OutputConfig;
use madoguchi::output::outbox::{Outbox, Sender};
use madoguchi::output::print::{PrintRequest, Printer};
use zeroize::Zeroizing;

#[derive(Args)]
pub struct ConfigArg {
    /// Configuration file (TOML with an [output] table) / 設定ファイル
    #[arg(long, value_name = "FILE", env = "MADOGUCHI_CONFIG")]
    config: Option<PathBuf>,
}

#[derive(Subcommand)]
pub enum OutboxCmd {
    /// Counts per state / 送信待ちの件数
    Status(ConfigArg),
    /// Latest entries (no personal data) / 送信待ちの一覧
    List {
        #[command(flatten)]
        cfg: ConfigArg,
        #[arg(long, default_value_t = 50)]
        limit: usize,
    },
    /// Put an entry back in line now (same idempotency key) / 再送
    Retry {
        #[command(flatten)]
        cfg: ConfigArg,
        id: i64,
    },
    /// Delete delivered entries past the retention period / 送信済みの削除
    Purge(ConfigArg),
    /// Deliver the outbox until SIGTERM/SIGINT (the madoguchi-sender service); with no backend,
    /// only enforce the retention period / 送信処理を常駐で実行
    Run {
        #[command(flatten)]
        cfg: ConfigArg,
        /// Exit once nothing is pending
        #[arg(long)]
        until_empty: bool,
    },
}

#[derive(Args)]
pub struct PrintArgs {
    #[command(flatten)]
    cfg: ConfigArg,
    /// PDF file to print
    file: PathBuf,
    /// Printer URI, e.g. ipp://localhost:631/printers/kiosk (default: from configuration)
    #[arg(long, value_name = "URI")]
    printer: Option<String>,
}

fn load_config(path: Option<&Path>) -> Result<OutputConfig, String> {
    let Some(path) = path else { return Ok(OutputConfig::default()) };
    let text = std::fs::read_to_string(path)
        .map_err(|e| format!("cannot read {}: {e} / 設定ファイルを読めません", path.display()))?;
    let value: toml::Table =
        toml::from_str(&text).map_err(|e| format!("{}: {e} / 設定ファイルの書式が正しくありません", path.display()))?;
    let section = match value.get("output") {
        Some(toml::Value::Table(t)) => t.clone(),
        _ => value,
    };
    section.try_into().map_err(|e: toml::de::Error| format!("{}: {e} / 設定の項目が正しくありません", path.display()))
}

fn fail(msg: impl std::fmt::Display) -> ExitCode {
    eprintln!("error: {msg}");
    ExitCode::FAILURE
}

pub fn run_outbox(cmd: OutboxCmd) -> ExitCode {
    let cfg_path = match &cmd {
        OutboxCmd::Status(c) | OutboxCmd::Purge(c) => c.config.clone(),
        OutboxCmd::List { cfg, .. } | OutboxCmd::Retry { cfg, .. } | OutboxCmd::Run { cfg, .. } => cfg.config.clone(),
    };
    let cfg = match load_config(cfg_path.as_deref()) {
        Ok(c) => c,
        Err(e) => return fail(e),
    };
    let outbox = match Outbox::open(&cfg.outbox) {
        Ok(o) => Arc::new(o),
        Err(e) => return fail(e),
    };
    match cmd {
        OutboxCmd::Status(_) => match outbox.status() {
            Ok(s) => {
                println!("pending (送信待ち):       {}", s.pending);
                println!("needs clerk (要確認):     {}", s.needs_clerk);
                println!("sent (送信済み):          {}", s.sent);
                println!("kept, not sent (保存のみ): {}", s.kept);
                if cfg.backend.is_none() {
                    println!("backend: none configured (送信先未設定: 保存のみ)");
                }
                ExitCode::SUCCESS
            }
            Err(e) => fail(e),
        },
        OutboxCmd::List { limit, .. } => match outbox.list(limit) {
            Ok(rows) => {
                println!("id\tstate\tattempts\treceipt\tprocedure\tcreated\tlast_error");
                for r in rows {
                    let state = r.state.as_str();
                    println!(
                        "{}\t{}\t{}\t{}\t{}\t{}\t{}",
                        r.id,
                        state,
                        r.attempts,
                        r.receipt_id,
                        r.procedure_id,
                        r.created_at.to_rfc3339(),
                        r.last_error.unwrap_or_default()
                    );
                }
                ExitCode::SUCCESS
            }
            Err(e) => fail(e),
        },
        OutboxCmd::Retry { id, .. } => match outbox.retry(id) {
            Ok(()) => {
                println!("entry {id} queued for sending again / 再送を予約しました");
                ExitCode::SUCCESS
            }
            Err(e) => fail(e),
        },
        OutboxCmd::Purge(_) => match outbox.purge(chrono::Utc::now()) {
            Ok(n) => {
                println!("purged {n} delivered entries / 送信済み {n} 件を削除しました");
                ExitCode::SUCCESS
            }
            Err(e) => fail(e),
        },
        OutboxCmd::Run { until_empty, .. } => match cfg.backend {
            Some(backend) => run_sender(outbox, &backend, until_empty),
            None => run_housekeeping(&outbox, until_empty),
        },
    }
}

fn run_sender(outbox: Arc<Outbox>, backend: &madoguchi::output::BackendConfig, until_empty: bool) -> ExitCode {
    let sender = match Sender::new(outbox.clone(), backend) {
        Ok(s) => s,
        Err(e) => return fail(e),
    };
    let rt = match tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build() {
        Ok(rt) => rt,
        Err(e) => return fail(e),
    };
    rt.block_on(async {
        let (tx, rx) = tokio::sync::watch::channel(false);
        let watcher = tokio::spawn(async move {
            let mut term = terminate_signal();
            loop {
                if until_empty && outbox.status().map(|s| s.pending == 0).unwrap_or(false) {
                    break;
                }
                tokio::select! {
                    _ = tokio::signal::ctrl_c() => break,
                    _ = recv(&mut term) => break,
                    _ = tokio::time::sleep(std::time::Duration::from_millis(200)) => {}
                }
            }
            let _ = tx.send(true);
        });
        sender.run(rx, |e| eprintln!("outbox sender: {e}")).await;
        let _ = watcher.await;
    });
    ExitCode::SUCCESS
}

/// systemd stops services with SIGTERM.
fn terminate_signal() -> Option<tokio::signal::unix::Signal> {
    tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()).ok()
}

async fn recv(s: &mut Option<tokio::signal::unix::Signal>) {
    match s {
        Some(s) => {
            s.recv().await;
        }
        None => std::future::pending().await,
    }
}

/// No back office: nothing to send, but kept entries still expire after the retention period.
fn run_housekeeping(outbox: &Outbox, until_empty: bool) -> ExitCode {
    eprintln!(
        "outbox: no [output.backend] configured; only enforcing the retention period / 送信先が未設定のため、保存期間の管理のみ行います"
    );
    let rt = match tokio::runtime::Builder::new_current_thread().enable_all().build() {
        Ok(rt) => rt,
        Err(e) => return fail(e),
    };
    rt.block_on(async {
        let mut term = terminate_signal();
        loop {
            if let Err(e) = outbox.purge(chrono::Utc::now()) {
                eprintln!("outbox purge: {e}");
            }
            if until_empty {
                break;
            }
            tokio::select! {
                _ = tokio::signal::ctrl_c() => break,
                _ = recv(&mut term) => break,
                _ = tokio::time::sleep(std::time::Duration::from_secs(600)) => {}
            }
        }
    });
    ExitCode::SUCCESS
}

pub fn run_print(a: PrintArgs) -> ExitCode {
    let cfg = match load_config(a.cfg.config.as_deref()) {
        Ok(c) => c,
        Err(e) => return fail(e),
    };
    let pdf = match std::fs::read(&a.file) {
        Ok(b) => Zeroizing::new(b),
        Err(e) => return fail(format!("cannot read {}: {e} / ファイルを読めません", a.file.display())),
    };
    if !pdf.starts_with(b"%PDF-") {
        return fail(format!("{} is not a PDF / PDFファイルではありません", a.file.display()));
    }
    let printer = match Printer::new(&cfg.print, a.printer.as_deref()) {
        Ok(p) => p,
        Err(e) => return fail(format!("{e}\n{}", e.message_ja())),
    };
    let job_name = a.file.file_stem().map(|s| s.to_string_lossy().into_owned()).unwrap_or_default();
    match printer.print(&PrintRequest { pdf, job_name }) {
        Ok(done) => {
            println!("printed: job {} in {} ms / 印刷しました", done.job_id, done.elapsed.as_millis());
            ExitCode::SUCCESS
        }
        Err(e) => fail(format!("{e}\n{}", e.message_ja())),
    }
}
