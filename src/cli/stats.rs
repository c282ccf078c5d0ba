//! `madoguchi stats export|report|summary|generate`: the counter statistics (no personal
//! data). Several kiosks' databases merge into one export or report (`--db`, repeatable).

use std::collections::BTreeMap;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use chrono::NaiveDate;
use clap::{Args, Subcommand};
use madoguchi::config::{Config, StatsConfig};
use madoguchi::forms::Catalog;
use madoguchi::stats::aggregate::Acc;
use madoguchi::stats::csv::{self, Encoding};
use madoguchi::stats::report::{self, ReportMeta};
use madoguchi::stats::{Filter, StatsStore, synthetic};
use madoguchi::vocab::visit::DaySummary;
use madoguchi::vocab::visit::End;

#[derive(Args)]
pub struct Source {
    /// Kiosk configuration (its [stats] table: database, paper baseline) / 設定ファイル
    #[arg(long, value_name = "FILE", env = "MADOGUCHI_CONFIG")]
    config: Option<PathBuf>,
    /// A statistics database; repeat to merge kiosks (default: the configured one) / 統計データベース(複数可)
    #[arg(long = "db", value_name = "FILE")]
    dbs: Vec<PathBuf>,
    /// First day, YYYY-MM-DD (inclusive) / 集計の開始日
    #[arg(long, value_name = "DATE", value_parser = parse_date)]
    from: Option<NaiveDate>,
    /// Last day, YYYY-MM-DD (inclusive) / 集計の終了日
    #[arg(long, value_name = "DATE", value_parser = parse_date)]
    to: Option<NaiveDate>,
}

#[derive(Subcommand)]
pub enum StatsCmd {
    /// CSV for BI tools (one visit per line) / CSV で書き出す
    Export {
        #[command(flatten)]
        src: Source,
        /// utf-8, utf-8-bom (Excel) or shift_jis / 文字コード
        #[arg(long, default_value = "utf-8", value_parser = parse_encoding)]
        encoding: Encoding,
        /// Output file (default: standard output) / 出力ファイル
        #[arg(short, long, value_name = "FILE")]
        output: Option<PathBuf>,
    },
    /// One self-contained HTML report with charts, printable on A4 / 報告書(HTML)を作る
    Report {
        #[command(flatten)]
        src: Source,
        /// Clerk minutes per paper form (default: [stats] paper_minutes_per_form) / 紙の申請書1件の職員時間(分)
        #[arg(long, value_name = "MINUTES")]
        paper_minutes: Option<f64>,
        /// Output file / 出力ファイル
        #[arg(short, long, value_name = "FILE")]
        output: PathBuf,
    },
    /// Today's visits and how they ended (what the clerk panel shows) / 本日の利用件数
    Summary {
        #[command(flatten)]
        src: Source,
        /// The day (default: today) / 日付
        #[arg(long, value_name = "DATE", value_parser = parse_date)]
        day: Option<NaiveDate>,
    },
    /// Fill a NEW database with synthetic visits, to try the report / 架空の利用データを作る(試用)
    Generate {
        /// The new database (must not exist) / 作成するデータベース
        #[arg(long, value_name = "FILE")]
        db: PathBuf,
        #[arg(long, default_value_t = 3)]
        kiosks: u32,
        #[arg(long, default_value_t = 30)]
        days: u32,
        #[arg(long, value_name = "DATE", value_parser = parse_date)]
        first_day: Option<NaiveDate>,
        /// Mean visits per kiosk per open day
        #[arg(long, default_value_t = 60.0)]
        per_day: f64,
        #[arg(long, default_value_t = 15)]
        seed: u64,
    },
}

fn parse_date(s: &str) -> Result<NaiveDate, String> {
    NaiveDate::parse_from_str(s, "%Y-%m-%d")
        .map_err(|_| format!("{s:?} is not a date YYYY-MM-DD / 日付は YYYY-MM-DD で指定してください"))
}

fn parse_encoding(s: &str) -> Result<Encoding, String> {
    Encoding::parse(s).ok_or_else(|| {
        format!("unknown encoding {s:?}: use utf-8, utf-8-bom or shift_jis / 文字コードは utf-8, utf-8-bom, shift_jis のいずれかです")
    })
}

fn fail(msg: impl std::fmt::Display) -> ExitCode {
    eprintln!("madoguchi: {msg}");
    ExitCode::FAILURE
}

fn load_config(src: &Source) -> Result<Config, ExitCode> {
    match &src.config {
        None => Ok(Config::default()),
        Some(p) => Config::load(p).map_err(|problems| {
            eprintln!("madoguchi: configuration has {} problem(s) / 設定に問題があります:", problems.len());
            for p in problems {
                eprintln!("  - {p}");
            }
            ExitCode::from(2)
        }),
    }
}

/// The configuration, every database of `src` (the configured one when none is named) and
/// the date filter.
fn open_all(src: &Source) -> Result<(Config, Vec<StatsStore>, Filter), ExitCode> {
    let cfg = load_config(src)?;
    if let (Some(f), Some(t)) = (src.from, src.to)
        && f > t
    {
        return Err(fail("--from is after --to / 開始日が終了日より後です"));
    }
    let paths = if src.dbs.is_empty() { vec![cfg.stats.db_path.clone()] } else { src.dbs.clone() };
    let mut stores = Vec::new();
    for p in &paths {
        match StatsStore::open_read(p) {
            Ok(s) => stores.push(s),
            Err(e) => return Err(fail(e)),
        }
    }
    Ok((cfg, stores, Filter { from: src.from, to: src.to }))
}

pub fn run(cmd: StatsCmd) -> ExitCode {
    match cmd {
        StatsCmd::Export { src, encoding, output } => export(&src, encoding, output.as_deref()),
        StatsCmd::Report { src, paper_minutes, output } => make_report(&src, paper_minutes, &output),
        StatsCmd::Summary { src, day } => summary(&src, day),
        StatsCmd::Generate { db, kiosks, days, first_day, per_day, seed } => {
            generate(&db, kiosks, days, first_day, per_day, seed)
        }
    }
}

fn export(src: &Source, enc: Encoding, output: Option<&Path>) -> ExitCode {
    let (_, stores, filter) = match open_all(src) {
        Ok(x) => x,
        Err(code) => return code,
    };
    let result = match output {
        Some(p) => match std::fs::File::create(p) {
            Ok(f) => csv::export(&stores, &filter, std::io::BufWriter::new(f), enc),
            Err(e) => return fail(format!("cannot create {}: {e} / 出力ファイルを作れません", p.display())),
        },
        None => csv::export(&stores, &filter, std::io::BufWriter::new(std::io::stdout().lock()), enc),
    };
    match result {
        Ok(rows) => {
            let to = output.map_or_else(|| "standard output".to_string(), |p| p.display().to_string());
            eprintln!(
                "madoguchi: {rows} visit(s) → {to}, encoding {} / {rows}件を書き出しました(文字コード {})",
                enc.label(),
                enc.label()
            );
            ExitCode::SUCCESS
        }
        Err(e) => fail(e),
    }
}

/// Japanese procedure titles from the templates (the configured ones, else those built in).
fn titles(cfg: &Config) -> BTreeMap<String, String> {
    let catalog = Catalog::load(&cfg.paths.templates_dir, &cfg.paths.procedures_dir.join("procedures.toml"))
        .or_else(|_| Catalog::embedded());
    let mut out = BTreeMap::new();
    if let Ok(c) = catalog {
        for p in &c.procedures {
            out.insert(p.id.clone(), p.title.ja.clone());
        }
    }
    out
}

fn make_report(src: &Source, paper_minutes: Option<f64>, output: &Path) -> ExitCode {
    let (cfg, stores, filter) = match open_all(src) {
        Ok(x) => x,
        Err(code) => return code,
    };
    let mut baseline = cfg.stats.baseline();
    if let Some(m) = paper_minutes {
        if !StatsConfig::paper_minutes_ok(m) {
            return fail("--paper-minutes must be 0 to 600 / --paper-minutes は0〜600分です");
        }
        baseline.minutes_per_form = m;
    }
    let mut acc = Acc::new();
    for s in &stores {
        if let Err(e) = s.for_each(&filter, |v| acc.add(&v, &baseline)) {
            return fail(e);
        }
    }
    let figures = acc.finish();
    let sources = stores
        .iter()
        .map(|s| s.path().file_name().map_or_else(String::new, |n| n.to_string_lossy().into_owned()))
        .collect();
    let meta = ReportMeta { from: filter.from, to: filter.to, titles: titles(&cfg), baseline, sources };
    let html = report::render(&figures, &meta);
    if let Err(e) = std::fs::write(output, html) {
        return fail(format!("cannot write {}: {e} / 報告書を書き込めません", output.display()));
    }
    eprintln!(
        "madoguchi: report of {} visit(s) → {} / {}件の報告書を作成しました",
        figures.visits,
        output.display(),
        figures.visits
    );
    ExitCode::SUCCESS
}

fn summary(src: &Source, day: Option<NaiveDate>) -> ExitCode {
    let (_, stores, _) = match open_all(src) {
        Ok(x) => x,
        Err(code) => return code,
    };
    let day = day.unwrap_or_else(|| chrono::Local::now().date_naive());
    let mut total = DaySummary { day, ..DaySummary::default() };
    for s in &stores {
        match s.day_summary(day) {
            Ok(d) => {
                total.visits += d.visits;
                for e in End::ALL {
                    total.by_end[e.index()] += d.by_end[e.index()];
                }
            }
            Err(e) => return fail(e),
        }
    }
    let mut out = std::io::stdout().lock();
    let _ = writeln!(out, "{day}: {}", total.line_ja());
    for e in End::ALL {
        let _ = writeln!(out, "  {:<13} {:>6}  {}", e.code(), total.by_end[e.index()], e.ja());
    }
    ExitCode::SUCCESS
}

fn generate(db: &Path, kiosks: u32, days: u32, first_day: Option<NaiveDate>, per_day: f64, seed: u64) -> ExitCode {
    if db.exists() {
        return fail(format!(
            "{} exists: synthetic visits go only into a new file, never into a kiosk's real statistics / 既存のファイルには書きません",
            db.display()
        ));
    }
    let in_range = (1..=1000).contains(&kiosks) && (1..=3660).contains(&days) && (0.0..=5000.0).contains(&per_day);
    if !in_range {
        return fail("--kiosks 1–1000, --days 1–3660, --per-day 0–5000 / 値の範囲を確認してください");
    }
    let first_day = first_day.unwrap_or_else(|| chrono::Local::now().date_naive() - chrono::Days::new(u64::from(days)));
    let store = match StatsStore::open(db, 0) {
        Ok(s) => s,
        Err(e) => return fail(e),
    };
    let plan = synthetic::Plan { seed, kiosks, first_day, days, per_day };
    let visits: Vec<_> = synthetic::visits(plan).collect();
    match store.record_all(&visits) {
        Ok(n) => {
            eprintln!("madoguchi: {n} synthetic visit(s) → {} / 架空の利用 {n}件を作成しました", db.display());
            ExitCode::SUCCESS
        }
        Err(e) => fail(e),
    }
}
