//! `madoguchi kiosk`: the touch UI. With `--demo` it uses the in-process virtual card (persona
//! picker on the card screen). With no display (or `--headless`) the demo walks the resident
//! flow with the software renderer and writes a PNG of each screen.

use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::{Duration, Instant};

use clap::Args;
use madoguchi::card::sim::persona;
use madoguchi::config::{self, Config, ScreenOrientation};
use madoguchi::session::{Event, OutputAction, Stage};
use madoguchi::ui::{KioskUi, headless};
use madoguchi::vocab::Answers;
use madoguchi::wiring::{self, Kiosk};
use zeroize::Zeroizing;

#[derive(Args)]
pub struct KioskArgs {
    /// Configuration file (TOML); defaults apply without one / 設定ファイル
    #[arg(long, value_name = "FILE")]
    config: Option<PathBuf>,
    /// Virtual card with a persona picker instead of a reader / デモ(仮想カード)
    #[arg(long)]
    demo: bool,
    /// Never open a window: walk the demo flow and write screenshots / 画面を開かずに実行
    #[arg(long)]
    headless: bool,
    /// Where headless screenshots go / スクリーンショットの保存先
    #[arg(long, value_name = "DIR", default_value = "madoguchi-demo")]
    out: PathBuf,
    /// Persona used by the headless walk / ヘッドレス実行で使う架空の住民
    #[arg(long, value_name = "ID", default_value = "typical")]
    persona: String,
    /// Print an Argon2id hash of a staff PIN for clerk.pin_hash and exit / 職員用暗証番号のハッシュを作成
    #[arg(long)]
    hash_clerk_pin: bool,
    /// Headless walk: start with the pre-input code read from stdin, as the scanner types it
    /// (never on the command line: it holds a resident's answers) / 事前入力コードを標準入力から読んで開始
    #[arg(long, requires = "headless")]
    preinput_stdin: bool,
    /// Tests only (the kill -9 test, tests/it/output/kill_kiosk.rs): the headless demo keeps
    /// the configuration's back office and delivers with 印刷と送信. Hidden: a demo never
    /// sends fictitious residents to a real back office.
    #[arg(long, hide = true, requires = "headless")]
    test_deliver: bool,
}

fn load_config(args: &KioskArgs) -> Result<Config, ExitCode> {
    let mut cfg = match &args.config {
        Some(p) => match Config::load(p) {
            Ok(c) => c,
            Err(problems) => {
                eprintln!("madoguchi: configuration has {} problem(s) / 設定に問題があります:", problems.len());
                for p in problems {
                    eprintln!("  - {p}");
                }
                return Err(ExitCode::from(2));
            }
        },
        None => Config { demo: args.demo, ..Config::default() },
    };
    cfg.demo |= args.demo;
    Ok(cfg)
}

pub fn run(args: KioskArgs) -> ExitCode {
    if args.hash_clerk_pin {
        return hash_pin();
    }
    let cfg = match load_config(&args) {
        Ok(c) => c,
        Err(code) => return code,
    };
    // The demo keeps everything it writes under --out, with or without --config: fictitious
    // residents never reach a production outbox, export spool or receipt counter.
    let cfg = if cfg.demo {
        let backend = cfg.output.backend.clone();
        let mut demo = wiring::demo_config(cfg, &args.out);
        if args.test_deliver {
            demo.output.backend = backend;
        }
        demo
    } else {
        cfg
    };
    let has_display = std::env::var_os("DISPLAY").is_some() || std::env::var_os("WAYLAND_DISPLAY").is_some();
    let headless = args.headless || !has_display;
    if headless && !cfg.demo {
        eprintln!(
            "madoguchi: no display; only the demo can run headless (add --demo) / 画面がありません。--demo を付けてください"
        );
        return ExitCode::FAILURE;
    }
    let kiosk = match wiring::build(cfg) {
        Ok(k) => k,
        Err(e) => {
            eprintln!("madoguchi: {e}");
            return ExitCode::FAILURE;
        }
    };
    if headless {
        let (w, h) = match kiosk.config.screen.orientation {
            ScreenOrientation::Landscape => (1920, 1080),
            ScreenOrientation::Portrait => (1080, 1920),
        };
        return match walk_headless(kiosk, &args, (w, h)) {
            Ok(()) => ExitCode::SUCCESS,
            Err(e) => {
                eprintln!("madoguchi: {e}");
                ExitCode::FAILURE
            }
        };
    }
    let ui = match KioskUi::new(&kiosk.config, kiosk.session, kiosk.demo.map(|d| Box::new(d) as _)) {
        Ok(u) => u,
        Err(e) => {
            eprintln!("madoguchi: cannot open the window: {e} / 画面を開けません(--headless を試してください)");
            return ExitCode::FAILURE;
        }
    };
    match ui.run() {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("madoguchi: {e}");
            ExitCode::FAILURE
        }
    }
}

fn hash_pin() -> ExitCode {
    let pin = match rpassword::prompt_password("職員用暗証番号 / staff PIN (6–12 digits): ") {
        Ok(p) => Zeroizing::new(p),
        Err(e) => {
            eprintln!("madoguchi: cannot read the PIN: {e} / 暗証番号を読めません");
            return ExitCode::FAILURE;
        }
    };
    match config::hash_clerk_pin(pin.trim()) {
        Ok(h) => {
            println!("{h}");
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("madoguchi: {e}");
            ExitCode::FAILURE
        }
    }
}

fn walk_headless(kiosk: Kiosk, args: &KioskArgs, (w, h): (u32, u32)) -> Result<(), String> {
    let Kiosk { session, demo, config: cfg, demo_answers } = kiosk;
    let persona = persona::builtin_by_id(&args.persona)
        .ok_or_else(|| format!("unknown persona {:?} / 不明なペルソナです", args.persona))?;
    let hand = demo.as_ref().map(|d| d.hand.clone()).ok_or("demo only")?;
    let window = headless::install(w, h).map_err(|e| e.to_string())?;
    let ui = KioskUi::new(&cfg, session, demo.map(|d| Box::new(d) as _)).map_err(|e| e.to_string())?;
    slint::ComponentHandle::show(&ui.window).map_err(|e| e.to_string())?;
    std::fs::create_dir_all(&args.out)
        .map_err(|e| format!("cannot create {}: {e} / 保存先フォルダを作れません", args.out.display()))?;
    let mut written = Vec::new();
    let mut shot = |name: &str| -> Result<(), String> {
        let png = headless::render_png(&window).map_err(|e| e.to_string())?;
        let path = args.out.join(format!("{name}.png"));
        std::fs::write(&path, png).map_err(|e| format!("cannot write {}: {e}", path.display()))?;
        written.push(path);
        Ok(())
    };
    shot("01-start")?;
    if args.preinput_stdin {
        let mut line = Zeroizing::new(String::new());
        std::io::stdin()
            .read_line(&mut line)
            .map_err(|e| format!("cannot read the code from stdin: {e} / 標準入力からコードを読めません"))?;
        ui.send(Event::ScanCode(madoguchi::vocab::person::SecretString::new(line.trim_end())));
        if !matches!(ui.session().stage(), Stage::Card(_)) {
            let why = ui.session().message().map(en_ja).unwrap_or_default();
            return Err(format!("the pre-input code was not taken / 事前入力コードを受け付けませんでした: {why}"));
        }
    } else {
        ui.send(Event::Begin);
        shot("02-procedure")?;
        ui.send(Event::ChooseProcedure("juminhyo".into()));
    }
    shot("03-card")?;
    hand.insert(persona.clone());
    ui.tick();
    for c in persona.pin.expose().bytes() {
        ui.send(Event::PinDigit(c.wrapping_sub(b'0')));
    }
    shot("04-pin")?;
    ui.send(Event::PinSubmit);
    shot("05-review")?;
    answer(&ui, demo_answers, args.preinput_stdin);
    ui.send(Event::ReviewDone);
    // The pad comes only when a chosen form asks for a signature (住民票 by the holder does not).
    if matches!(ui.session().stage(), Stage::Signing(_)) {
        for (i, (x, y)) in
            [(120.0, 200.0), (260.0, 90.0), (380.0, 210.0), (520.0, 100.0), (700.0, 190.0)].iter().enumerate()
        {
            ui.send(if i == 0 { Event::StrokeBegin(*x, *y) } else { Event::StrokeMove(*x, *y) });
        }
        shot("06-signature")?;
        ui.send(Event::SignatureDone);
    }
    shot("07-confirm")?;
    // The session deletes its files at the end: keep copies of the demo PDFs.
    let mut pdfs = Vec::new();
    for f in ui.session().stage().rendered().map_or(&[][..], |r| r.forms.as_slice()) {
        let name = f.pdf_path.file_name().map(|n| n.to_os_string()).unwrap_or_default();
        let dest = args.out.join(name);
        std::fs::write(&dest, f.pdf.as_slice()).map_err(|e| format!("cannot write {}: {e}", dest.display()))?;
        pdfs.push(dest);
    }
    if let Some(m) = ui.session().message() {
        println!("madoguchi: {}", en_ja(m));
    }
    // 送信: the submission goes into the local outbox (and the export spool).
    ui.send(Event::Deliver(if args.test_deliver { OutputAction::PrintAndSend } else { OutputAction::Send }));
    let started = Instant::now();
    while ui.session().delivering().is_some() && started.elapsed() < Duration::from_secs(60) {
        std::thread::sleep(Duration::from_millis(20));
        ui.tick();
    }
    let receipt = match ui.session().stage() {
        Stage::Done(d) => Some(d.receipt.id.clone()),
        _ => None,
    };
    shot(if receipt.is_some() { "08-done" } else { "08-output" })?;
    let problem = ui.session().message().map(en_ja);
    ui.send(Event::Finish);
    ui.send(Event::Cancel);
    hand.remove();
    println!("madoguchi: headless demo screenshots / 画面の画像:");
    for p in &written {
        println!("  {}", display(p));
    }
    println!("madoguchi: filled forms (PDF) / 作成した申請書:");
    for p in &pdfs {
        println!("  {}", display(p));
    }
    let Some(receipt) = receipt else {
        return Err(format!(
            "sending failed / 送信できませんでした: {}",
            problem.unwrap_or_else(|| "no answer from the output layer".into())
        ));
    };
    let out_cfg = &cfg.output;
    println!("madoguchi: accepted as 受付番号 {receipt}");
    println!("  outbox (SQLite, encrypted) / 送信待ち: {}", display(&out_cfg.outbox.db_path));
    if out_cfg.export.enabled {
        println!("  export spool (JSON + CSV) / 連携用ファイル: {}", display(&out_cfg.export.spool_dir));
    }
    if cfg.stats.enabled {
        println!("  statistics (no personal data) / 窓口の統計: {}", display(&cfg.stats.db_path));
    }
    Ok(())
}

/// Answer the review's questions as a resident would, with the demo's sample answers (with
/// `keep`, those a pre-input code already answered stay as they are).
fn answer(ui: &KioskUi, answers: Answers, keep: bool) {
    for (id, v) in answers.iter() {
        let given = keep && ui.session().stage().answers().is_some_and(|a| a.get(id).is_some());
        if !given {
            ui.send(Event::Answer(id.to_string(), v.clone()));
        }
    }
}

/// A session message for the terminal: English / Japanese, like every CLI message.
fn en_ja(m: &madoguchi::i18n::Msg) -> String {
    format!("{} / {}", m.render("en"), m.ja())
}

fn display(p: &Path) -> String {
    p.canonicalize().unwrap_or_else(|_| p.to_path_buf()).display().to_string()
}
