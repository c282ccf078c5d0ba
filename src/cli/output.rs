//! `madoguchi outbox status|list|retry ID|purge` and `madoguchi print FILE.pdf`.
//!
//! Configuration: `--config FILE` (or MADOGUCHI_CONFIG) is a TOML file whose `[output]` table
//! (or, if it has none, the whole file) is the output configuration. Without it, defaults.

use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::Arc;

use clap::{Args, Subcommand};
use madoguchi::output::export::sweep;
use madoguchi::output::outbox::{EntryState, Outbox, Sender};
use madoguchi::output::print::{PrintRequest, Printer};
use madoguchi::output::{ExportConfig, OutputConfig, OutputService};
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
        /// The entry id (from `outbox list`)
        #[arg(required_unless_present = "all", conflicts_with = "all")]
        id: Option<i64>,
        /// Every entry that needs a clerk (after fixing the cause, e.g. the backend URL)
        #[arg(long)]
        all: bool,
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
    /// Tests only (tests/it/output/kill_delivery.rs): one delivery the way the kiosk does it
    /// — accept (outbox commit, export), then print — for a fictitious persona, so a test can
    /// kill -9 it at each step (MADOGUCHI_TEST_PAUSE_AT). Hidden: not for administrators.
    #[command(hide = true)]
    TestDeliver {
        #[command(flatten)]
        cfg: ConfigArg,
        /// Idempotency key of the submission (the same on a retry)
        #[arg(long)]
        key: String,
        #[arg(long)]
        receipt: String,
        /// The signed PDF to submit and print
        #[arg(long)]
        pdf: PathBuf,
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
    // Line and column only: toml's own message quotes the line, which may be the bearer token.
    let value: toml::Table = toml::from_str(&text).map_err(|e| {
        format!(
            "{}: {} / 設定ファイルの書式が正しくありません",
            path.display(),
            madoguchi::config::toml_error(&text, &e)
        )
    })?;
    let section = match value.get("output") {
        Some(toml::Value::Table(t)) => t.clone(),
        _ => value,
    };
    let cfg: OutputConfig = section.try_into().map_err(|e: toml::de::Error| {
        // A table's own span is not a span in the file: the message only (no value, see toml_error).
        format!("{}: {} / 設定の項目が正しくありません", path.display(), madoguchi::config::toml_message(&e))
    })?;
    let problems = cfg.validate();
    if !problems.is_empty() {
        let lines: Vec<String> = problems
            .iter()
            .map(|p| format!("{}: {}: {} / {}", path.display(), p.field, p.problem, p.problem_ja))
            .collect();
        return Err(lines.join("\n"));
    }
    Ok(cfg)
}

fn fail(msg: impl std::fmt::Display) -> ExitCode {
    eprintln!("error: {msg}");
    ExitCode::FAILURE
}

pub fn run_outbox(cmd: OutboxCmd) -> ExitCode {
    let cfg_path = match &cmd {
        OutboxCmd::Status(c) | OutboxCmd::Purge(c) => c.config.clone(),
        OutboxCmd::List { cfg, .. }
        | OutboxCmd::Retry { cfg, .. }
        | OutboxCmd::Run { cfg, .. }
        | OutboxCmd::TestDeliver { cfg, .. } => cfg.config.clone(),
    };
    let cfg = match load_config(cfg_path.as_deref()) {
        Ok(c) => c,
        Err(e) => return fail(e),
    };
    if let OutboxCmd::TestDeliver { key, receipt, pdf, .. } = &cmd {
        return test_deliver(&cfg, key, receipt, pdf);
    }
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
                // One line for what holds everything up (e.g. refused credentials), not one per entry.
                if s.pending > 0
                    && let Ok(rows) = outbox.list(1000)
                    && let Some(e) =
                        rows.iter().filter(|r| r.state == EntryState::Pending).find_map(|r| r.last_error.clone())
                {
                    println!("last delivery error (直近の送信エラー): {e}");
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
        OutboxCmd::Retry { all: true, .. } => match outbox.retry_all() {
            Ok(n) => {
                println!("{n} entries queued for sending again / {n} 件の再送を予約しました");
                ExitCode::SUCCESS
            }
            Err(e) => fail(e),
        },
        OutboxCmd::Retry { id, .. } => match outbox.retry(id.unwrap_or_default()) {
            Ok(()) => {
                println!("entry {} queued for sending again / 再送を予約しました", id.unwrap_or_default());
                ExitCode::SUCCESS
            }
            Err(e) => fail(e),
        },
        OutboxCmd::Purge(_) => match outbox.purge(chrono::Utc::now()) {
            Ok(n) => {
                println!("purged {n} delivered entries / 送信済み {n} 件を削除しました");
                if cfg.export.enabled {
                    match sweep(&cfg.export, std::time::SystemTime::now()) {
                        Ok(n) => {
                            println!("deleted {n} expired export files / 期限切れの連携ファイル {n} 件を削除しました")
                        }
                        Err(e) => return fail(e),
                    }
                }
                ExitCode::SUCCESS
            }
            Err(e) => fail(e),
        },
        OutboxCmd::Run { until_empty, .. } => match &cfg.backend {
            Some(backend) => run_sender(outbox, backend, &cfg.export, until_empty),
            None => run_housekeeping(&outbox, &cfg.export, until_empty),
        },
        OutboxCmd::TestDeliver { .. } => ExitCode::FAILURE,
    }
}

/// The export spool's retention, run by the long-lived `outbox run` (the sender service).
fn sweep_export(cfg: &ExportConfig) {
    if cfg.enabled
        && let Err(e) = sweep(cfg, std::time::SystemTime::now())
    {
        eprintln!("export spool sweep: {e}");
    }
}

fn test_deliver(cfg: &OutputConfig, key: &str, receipt: &str, pdf: &Path) -> ExitCode {
    use madoguchi::output::payload::{DeclaredCard, FormInput, Submission};
    let Some(p) = madoguchi::card::sim::persona::builtin_by_id("typical") else {
        return fail("no built-in persona typical");
    };
    let pdf = match std::fs::read(pdf) {
        Ok(b) => Zeroizing::new(b),
        Err(e) => return fail(format!("cannot read {}: {e}", pdf.display())),
    };
    let sub = Submission {
        idempotency_key: key.to_string(),
        receipt_id: receipt.to_string(),
        kiosk_id: "T01".into(),
        procedure_id: "juminhyo".into(),
        created_at: chrono::Utc::now(),
        forms: vec![FormInput {
            form_id: "juminhyo".into(),
            template_version: "1".into(),
            values: vec![("copies".into(), madoguchi::vocab::person::SecretString::new("1"))],
        }],
        card: DeclaredCard { name: Some(p.name.clone()), address: Some(p.address.clone()), ..DeclaredCard::default() },
        card_corrected: Vec::new(),
        signature_png: None,
        pdf: pdf.clone(),
    };
    let svc = match OutputService::start(cfg) {
        Ok(s) => s,
        Err(e) => return fail(e),
    };
    if let Err(e) = svc.accept(&sub) {
        return fail(e);
    }
    eprintln!("madoguchi-test accepted {key}");
    if let Some(printer) = svc.printer() {
        let printer = match printer {
            Ok(p) => p,
            Err(e) => return fail(e),
        };
        let req = PrintRequest { pdf, job_name: receipt.to_string() };
        let job = match printer.check().and_then(|()| printer.submit(&req)) {
            Ok(j) => j,
            Err(e) => return fail(e),
        };
        madoguchi::output::service::test_pause("printing");
        if let Err(e) = printer.wait(job) {
            return fail(e);
        }
        eprintln!("madoguchi-test printed {key}");
    }
    ExitCode::SUCCESS
}

fn run_sender(
    outbox: Arc<Outbox>,
    backend: &madoguchi::output::BackendConfig,
    export: &ExportConfig,
    until_empty: bool,
) -> ExitCode {
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
        let export = export.clone();
        let watcher = tokio::spawn(async move {
            let mut term = terminate_signal();
            let mut swept: Option<std::time::Instant> = None;
            loop {
                if swept.is_none_or(|t| t.elapsed() > std::time::Duration::from_secs(600)) {
                    swept = Some(std::time::Instant::now());
                    sweep_export(&export);
                }
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
fn run_housekeeping(outbox: &Outbox, export: &ExportConfig, until_empty: bool) -> ExitCode {
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
            sweep_export(export);
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
    let uri = a.printer.as_deref().or(cfg.print.printer_uri.as_deref()).unwrap_or_default();
    if let Some(w) =
        madoguchi::output::print::cups::privacy_warning(uri, Path::new(madoguchi::output::print::cups::CUPSD_CONF))
    {
        eprintln!("{w}");
    }
    let job_name = a.file.file_stem().map(|s| s.to_string_lossy().into_owned()).unwrap_or_default();
    match printer.print(&PrintRequest { pdf, job_name }) {
        Ok(done) => {
            println!("printed: job {} in {} ms / 印刷しました", done.job_id, done.elapsed.as_millis());
            ExitCode::SUCCESS
        }
        Err(e) => fail(format!("{e}\n{}", e.message_ja())),
    }
}
