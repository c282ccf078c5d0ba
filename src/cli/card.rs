//! `madoguchi card status|read`: clerk/administrator tools for the card reader.
//!
//! The PIN is read from a no-echo prompt (terminal) or one line of stdin (pipes), never from
//! argv. Attributes go to stdout only; diagnostics go to stderr and carry no personal data.

use std::io::{BufRead, IsTerminal, Write};
use std::process::ExitCode;
use std::time::Duration;

use clap::{Args, Subcommand};
use madoguchi::card::pcsc::{self, PcscReader};
use madoguchi::card::sim::{self, InProcess, Persona};
use madoguchi::card::text_ap::{self, LastTry, ReadOutcome, ReadRequest};
use madoguchi::card::{CardError, Pin, TransportError};
use zeroize::Zeroizing;

#[derive(Subcommand)]
pub enum CardCmd {
    /// List readers, whether a card is present, and PIN tries left / リーダーとカードの状態
    Status(ReaderArgs),
    /// Read 基本4情報 (and the 個人番号 with --my-number) / 券面事項を読み取る
    Read(ReadArgs),
}

#[derive(Args)]
pub struct ReaderArgs {
    /// Use the first reader whose name contains PATTERN (case-insensitive)
    #[arg(long, value_name = "PATTERN", default_value = "")]
    reader: String,
    /// Use the built-in virtual card with this persona (id or TOML file) instead of PC/SC
    #[arg(long = "virtual", value_name = "PERSONA")]
    virtual_persona: Option<String>,
}

#[derive(Args)]
pub struct ReadArgs {
    #[command(flatten)]
    reader: ReaderArgs,
    /// Also read the 個人番号 (only when a form legally needs it)
    #[arg(long)]
    my_number: bool,
    /// Print JSON instead of text
    #[arg(long)]
    json: bool,
    /// Wait up to SECONDS for a card to be placed (and re-placed after removal)
    #[arg(long, value_name = "SECONDS", default_value_t = 0)]
    wait: u64,
    /// Allow spending the last PIN try (a clerk, with the resident's consent)
    #[arg(long)]
    clerk_override: bool,
}

/// Exit codes other tools can rely on (documented in the README).
const EXIT_ERROR: u8 = 1;
const EXIT_WRONG_PIN: u8 = 3;
const EXIT_LOCKED: u8 = 4;

pub fn run(cmd: CardCmd) -> ExitCode {
    let result = match cmd {
        CardCmd::Status(a) => status(&a),
        CardCmd::Read(a) => read(&a),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e}");
            eprintln!("{}", e.message_ja());
            ExitCode::from(match e {
                CardError::WrongPin { .. } | CardError::InvalidPinFormat => EXIT_WRONG_PIN,
                CardError::PinLocked { .. } | CardError::LastTryRefused => EXIT_LOCKED,
                _ => EXIT_ERROR,
            })
        }
    }
}

/// Resolve `--virtual`: a persona file path, or a built-in persona id.
pub fn load_persona(spec: &str) -> Result<Persona, CardError> {
    let path = std::path::Path::new(spec);
    if path.exists() {
        return Persona::load(path).map_err(|e| CardError::Transport(TransportError::Other(e.to_string())));
    }
    sim::persona::builtin_by_id(spec).ok_or_else(|| {
        CardError::Transport(TransportError::Other(format!("no persona file or built-in persona {spec:?}")))
    })
}

fn status(a: &ReaderArgs) -> Result<(), CardError> {
    if let Some(spec) = &a.virtual_persona {
        let p = load_persona(spec)?;
        println!("reader: (built-in virtual card, persona {})", p.id);
        return print_tries(text_ap::pin_status(InProcess::from_persona(p)));
    }
    let ctx = pcsc::establish()?;
    let readers = pcsc::list_readers(&ctx)?;
    if readers.is_empty() {
        return Err(TransportError::NoReader.into());
    }
    let chosen = pcsc::pick_reader(&readers, &a.reader)?;
    drop(ctx);
    for r in &readers {
        let present = PcscReader::open(r).and_then(|rd| rd.card_present()).unwrap_or(false);
        let mark = if *r == chosen { "*" } else { " " };
        println!("{mark} {r}: {}", if present { "card present / カードあり" } else { "no card / カードなし" });
    }
    let mut reader = PcscReader::open(&chosen)?;
    if !reader.card_present()? {
        println!("PIN tries: - (no card on {chosen})");
        return Ok(());
    }
    print_tries(text_ap::pin_status(&mut reader))
}

fn print_tries(r: Result<u8, CardError>) -> Result<(), CardError> {
    match r {
        Ok(n) => {
            println!("card: My Number Card / マイナンバーカード");
            println!("PIN tries left / 暗証番号の残り回数: {n}");
            Ok(())
        }
        Err(CardError::PinLocked { sw }) => {
            println!("card: My Number Card / マイナンバーカード");
            println!("PIN tries left / 暗証番号の残り回数: 0 (locked, SW {sw} / ロック中)");
            Ok(())
        }
        Err(e) => Err(e),
    }
}

/// Read the PIN without echo (terminal) or as one stdin line (pipe). Never from argv.
fn read_pin() -> Result<Pin, CardError> {
    let line = if std::io::stdin().is_terminal() {
        Zeroizing::new(rpassword::prompt_password("暗証番号 (数字4桁) / PIN (4 digits): ").map_err(|e| {
            CardError::Transport(TransportError::Other(format!("cannot read the PIN from the terminal: {e}")))
        })?)
    } else {
        let mut s = Zeroizing::new(String::new());
        std::io::stdin()
            .lock()
            .read_line(&mut s)
            .map_err(|e| CardError::Transport(TransportError::Other(format!("cannot read the PIN from stdin: {e}"))))?;
        s
    };
    Pin::parse(line.trim_end_matches(['\r', '\n']))
}

fn read(a: &ReadArgs) -> Result<(), CardError> {
    let req = ReadRequest {
        my_number: a.my_number,
        last_try: if a.clerk_override { LastTry::ClerkOverride } else { LastTry::Refuse },
    };
    let outcome = if let Some(spec) = &a.reader.virtual_persona {
        let persona = load_persona(spec)?;
        let pin = read_pin()?;
        text_ap::read_card(InProcess::from_persona(persona), &pin, req)?
    } else {
        let mut reader = PcscReader::open(&a.reader.reader)?;
        let wait = Duration::from_secs(a.wait);
        if !reader.card_present()? {
            if wait.is_zero() {
                return Err(TransportError::NoCard.into());
            }
            eprintln!("Place the card on {} / カードを置いてください", reader.name());
            reader.wait_for_card(wait)?;
        }
        // Ask for the PIN only once a card is there, like the kiosk does.
        let pin = read_pin()?;
        read_with_retry(&mut reader, &pin, req, wait)?
    };
    print_outcome(&outcome, a.json);
    Ok(())
}

/// One retry after the card was pulled mid-read, once it is placed again.
fn read_with_retry(
    reader: &mut PcscReader,
    pin: &Pin,
    req: ReadRequest,
    wait: Duration,
) -> Result<ReadOutcome, CardError> {
    match text_ap::read_card(&mut *reader, pin, req) {
        Err(e) if e.needs_card_again() && !wait.is_zero() => {
            eprintln!("{e}");
            reader.wait_for_card(wait)?;
            text_ap::read_card(reader, pin, req)
        }
        other => other,
    }
}

fn sex_key(s: madoguchi::card::Sex) -> &'static str {
    match s {
        madoguchi::card::Sex::Male => "male",
        madoguchi::card::Sex::Female => "female",
        madoguchi::card::Sex::NotApplicable => "not_applicable",
        madoguchi::card::Sex::NotKnown => "not_known",
    }
}

fn print_outcome(o: &ReadOutcome, json: bool) {
    let a = &o.attributes;
    let mut out = std::io::stdout().lock();
    if json {
        let mut v = serde_json::json!({
            "name": a.name.expose(),
            "address": a.address.expose(),
            "birth_date": a.birth_date.date().format("%Y-%m-%d").to_string(),
            "sex": sex_key(a.sex),
            "sex_code": (a.sex.code() as char).to_string(),
            "pin_tries_before": o.tries_before,
        });
        if let Some(n) = &o.my_number {
            v["my_number"] = serde_json::Value::String(n.expose().to_string());
        }
        let _ = writeln!(out, "{v}");
        // serde_json::Value holds copies of the data; it is dropped here. Its strings are not
        // zeroized (a known limit of printing), so the process exits right after.
    } else {
        let _ = writeln!(out, "氏名 / name:        {}", a.name.expose());
        let _ = writeln!(out, "住所 / address:     {}", a.address.expose());
        let _ = writeln!(out, "生年月日 / birth:   {}", a.birth_date.date().format("%Y-%m-%d"));
        let _ = writeln!(out, "性別 / sex:         {} ({})", a.sex.label_ja(), a.sex.code() as char);
        if let Some(n) = &o.my_number {
            let _ = writeln!(out, "個人番号 / number:  {}", n.expose());
        }
    }
}
