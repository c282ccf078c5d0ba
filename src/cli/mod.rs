//! Command-line interface. One file per command group; this file only dispatches.
//! Messages for people are English + Japanese; no personal data is ever printed to logs.

mod card;
mod forms;
mod kiosk;
mod output;
mod preinput;
mod simcard;
mod stats;

use std::process::ExitCode;

use clap::{Parser, Subcommand};

#[derive(Parser)]
#[command(name = "madoguchi", version, about = "書かない窓口 kiosk / no-writing counter kiosk")]
struct Cli {
    #[command(subcommand)]
    cmd: Cmd,
}

#[derive(Subcommand)]
enum Cmd {
    /// My Number Card tools: reader status, read attributes / カード読み取り
    #[command(subcommand)]
    Card(card::CardCmd),
    /// Serve the virtual My Number Card to pcscd through vsmartcard vpcd / 仮想カード
    SimCard(simcard::SimCardArgs),
    /// Outbox to the back office: status, list, retry, purge / 送信待ち
    #[command(subcommand)]
    Outbox(output::OutboxCmd),
    /// Print a PDF over IPP / PDFを印刷
    Print(output::PrintArgs),
    /// Form templates: list, check, preview / 様式テンプレート
    #[command(subcommand)]
    Forms(forms::FormsCmd),
    /// The kiosk touch UI (--demo: virtual card; headless screenshots without a display) / キオスク画面
    Kiosk(kiosk::KioskArgs),
    /// Pre-input at home: build the resident's web page, read a code / 事前入力
    #[command(subcommand)]
    Preinput(preinput::PreinputCmd),
    /// Counter statistics without personal data: CSV export, HTML report, today's summary / 窓口の統計
    #[command(subcommand)]
    Stats(stats::StatsCmd),
}

pub fn run() -> ExitCode {
    let cli = Cli::parse();
    match cli.cmd {
        Cmd::Card(c) => card::run(c),
        Cmd::SimCard(a) => simcard::run(a),
        Cmd::Outbox(c) => output::run_outbox(c),
        Cmd::Print(a) => output::run_print(a),
        Cmd::Forms(c) => forms::run(c),
        Cmd::Kiosk(a) => kiosk::run(a),
        Cmd::Preinput(c) => preinput::run(c),
        Cmd::Stats(c) => stats::run(c),
    }
}
