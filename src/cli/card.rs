//! `madoguchi card status|read`: clerk/administrator tools for the card reader.
//!
//! The PIN and 照合番号B are read from a no-echo prompt (terminal) or one line of stdin
//! (pipes), never from argv. Attributes go to stdout only; diagnostics go to stderr and carry
//! no personal data.

use std::io::{BufRead, IsTerminal, Write};
use std::process::ExitCode;
use std::time::Duration;

use chrono::NaiveDate;
use clap::{Args, Subcommand};
use madoguchi::card::pcsc::{self, PcscReader};
use madoguchi::card::sim::{self, InProcess, Persona};
use madoguchi::card::status::{self, CardStatus, CertState, DEFAULT_RENEW_WITHIN_DAYS, PinStatus};
use madoguchi::card::text_ap::{self, LastTry, ReadFailure, ReadOutcome, ReadRequest};
use madoguchi::card::transport::{self, Transport};
use madoguchi::card::{CardError, TransportError, cert};
use madoguchi::i18n::Msg;
use madoguchi::vocab::pin::{Credential, Pin, PinB};
use serde_json::{Value, json};
use zeroize::Zeroizing;

#[derive(Subcommand)]
pub enum CardCmd {
    /// Readers, and the card's PIN tries and certificate validity (no PIN, no personal data) / カードの状態
    Status(StatusArgs),
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
pub struct StatusArgs {
    #[command(flatten)]
    reader: ReaderArgs,
    /// Print JSON instead of text (for scripts)
    #[arg(long)]
    json: bool,
    /// Advise renewal when the 利用者証明用電子証明書 expires within DAYS
    #[arg(long, value_name = "DAYS", default_value_t = DEFAULT_RENEW_WITHIN_DAYS)]
    renew_within: u32,
    /// Count days left from DATE (YYYY-MM-DD) instead of today in Japan
    #[arg(long, value_name = "YYYY-MM-DD")]
    date: Option<NaiveDate>,
}

#[derive(Args)]
pub struct ReadArgs {
    #[command(flatten)]
    reader: ReaderArgs,
    /// Also read the 個人番号 (only when a form legally needs it; not with --pin-b)
    #[arg(long, conflicts_with = "pin_b")]
    my_number: bool,
    /// Open the card with 照合番号B (14 digits printed on the card) instead of the PIN (clerks)
    #[arg(long)]
    pin_b: bool,
    /// Print JSON instead of text
    #[arg(long)]
    json: bool,
    /// Wait up to SECONDS for a card to be placed (and re-placed if it was pulled before the PIN was sent;
    /// at most an hour: a far larger value would overflow the deadline)
    #[arg(long, value_name = "SECONDS", default_value_t = 0, value_parser = clap::value_parser!(u64).range(0..=3600))]
    wait: u64,
    /// Allow spending the last try (a clerk, with the resident's consent; never carried into a retry)
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
                CardError::WrongPin { .. }
                | CardError::InvalidPinFormat
                | CardError::WrongPinB { .. }
                | CardError::InvalidPinB(_) => EXIT_WRONG_PIN,
                CardError::PinLocked { .. }
                | CardError::LastTryRefused
                | CardError::PinBLocked { .. }
                | CardError::PinBLastTryRefused => EXIT_LOCKED,
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

/// English / Japanese on one line.
fn both(m: &Msg) -> String {
    format!("{} / {}", m.render("en"), m.ja())
}

fn status(a: &StatusArgs) -> Result<(), CardError> {
    let today = a.date.unwrap_or_else(cert::today_jst);
    if let Some(spec) = &a.reader.virtual_persona {
        let p = load_persona(spec)?;
        let st = status::read_status(InProcess::from_persona(p.clone()), today)?;
        let reader = format!("(built-in virtual card, persona {})", p.id);
        return print_status(a, Some(&st), &[], &reader);
    }
    let ctx = pcsc::establish()?;
    let readers = pcsc::list_readers(&ctx)?;
    if readers.is_empty() {
        return Err(TransportError::NoReader.into());
    }
    let chosen = pcsc::pick_reader(&readers, &a.reader.reader)?;
    drop(ctx);
    let listing: Vec<(String, bool)> = readers
        .iter()
        .map(|r| (r.clone(), PcscReader::open(r).and_then(|rd| rd.card_present()).unwrap_or(false)))
        .collect();
    let mut reader = PcscReader::open(&chosen)?;
    if !reader.card_present()? {
        return print_status(a, None, &listing, &chosen);
    }
    let st = status::read_status(&mut reader, today)?;
    print_status(a, Some(&st), &listing, &chosen)
}

fn pin_json(kind: madoguchi::card::PinKind, s: PinStatus) -> Value {
    let mut v = json!({ "state": s.key(), "max_tries": kind.max_tries() });
    if let PinStatus::Left { tries } = s {
        v["tries_left"] = json!(tries);
    }
    if s == PinStatus::Locked {
        v["tries_left"] = json!(0);
    }
    v
}

fn status_json(a: &StatusArgs, st: &CardStatus) -> Value {
    let pins: serde_json::Map<String, Value> =
        st.pins().iter().map(|(k, s)| (k.key().to_string(), pin_json(*k, *s))).collect();
    let mut certv = json!({ "state": st.auth_cert.key() });
    match st.auth_cert {
        CertState::Present(v) => {
            certv["not_before"] = json!(v.not_before.to_rfc3339());
            certv["not_after"] = json!(v.not_after.to_rfc3339());
            certv["expiry_date"] = json!(v.expiry_date().to_string());
            certv["days_left"] = json!(v.days_left(st.today));
            certv["expired"] = json!(v.is_expired(st.today));
        }
        CertState::Unreadable(e) => certv["reason"] = json!(e.to_string()),
        CertState::Absent => {}
    }
    let advice: Vec<Value> = st
        .advice(a.renew_within)
        .into_iter()
        .map(|ad| {
            let mut v = json!({
                "code": ad.key(),
                "needs_counter": ad.needs_counter(),
                "en": ad.message().render("en"),
                "ja": ad.message().ja(),
            });
            match ad {
                status::Advice::PinLocked(k) | status::Advice::OneTryLeft(k) => v["pin"] = json!(k.key()),
                status::Advice::RenewSoon { days_left } => v["days_left"] = json!(days_left),
                _ => {}
            }
            v
        })
        .collect();
    json!({
        "card_present": true,
        "profile": st.profile.key(),
        "today": st.today.to_string(),
        "renew_within_days": a.renew_within,
        "pins": pins,
        "auth_certificate": certv,
        "advice": advice,
    })
}

fn print_status(
    a: &StatusArgs,
    st: Option<&CardStatus>,
    listing: &[(String, bool)],
    chosen: &str,
) -> Result<(), CardError> {
    let mut out = std::io::stdout().lock();
    if a.json {
        let mut v = match st {
            Some(st) => status_json(a, st),
            None => json!({ "card_present": false }),
        };
        v["reader"] = json!(chosen);
        v["readers"] = listing
            .iter()
            .map(|(name, present)| json!({ "name": name, "card_present": present, "chosen": name == chosen }))
            .collect();
        let _ = writeln!(out, "{v}");
        return Ok(());
    }
    if listing.is_empty() {
        let _ = writeln!(out, "reader: {chosen}");
    }
    for (r, present) in listing {
        let mark = if r == chosen { "*" } else { " " };
        let _ = writeln!(
            out,
            "{mark} {r}: {}",
            if *present { "card present / カードあり" } else { "no card / カードなし" }
        );
    }
    let Some(st) = st else {
        let _ = writeln!(out, "card: - (no card on {chosen} / カードが置かれていません)");
        return Ok(());
    };
    let _ = writeln!(out, "card: {}", st.profile.name());
    for (kind, s) in st.pins() {
        let _ = writeln!(out, "{}: {}", both(&kind.label()), both(&s.message()));
    }
    let cert_label = Msg::new("利用者証明用電子証明書");
    let _ = writeln!(out, "{}: {}", both(&cert_label), both(&st.auth_cert.message(st.today)));
    if let CertState::Present(v) = st.auth_cert {
        let _ = writeln!(out, "  valid / 有効期間: {} – {} (JST)", v.start_date(), v.expiry_date());
    }
    let _ = writeln!(out, "advice / 案内 (as of {}):", st.today);
    for ad in st.advice(a.renew_within) {
        let _ = writeln!(out, "  - {}", both(&ad.message()));
    }
    Ok(())
}

/// Read one secret line without echo (terminal) or from stdin (pipe). Never from argv.
fn read_secret(prompt: &str) -> Result<Zeroizing<String>, CardError> {
    if std::io::stdin().is_terminal() {
        Ok(Zeroizing::new(
            rpassword::prompt_password(prompt).map_err(|e| {
                CardError::Transport(TransportError::Other(format!("cannot read from the terminal: {e}")))
            })?,
        ))
    } else {
        let mut s = Zeroizing::new(String::new());
        std::io::stdin()
            .lock()
            .read_line(&mut s)
            .map_err(|e| CardError::Transport(TransportError::Other(format!("cannot read from stdin: {e}"))))?;
        let trimmed = Zeroizing::new(s.trim_end_matches(['\r', '\n']).to_string());
        Ok(trimmed)
    }
}

/// The PIN or 照合番号B, as the command asks for.
enum Secret {
    Pin(Pin),
    PinB(PinB),
}

impl Secret {
    fn ask(pin_b: bool) -> Result<Secret, CardError> {
        if pin_b {
            let line = read_secret(
                "照合番号B (数字14桁: 生年月日6桁・有効期限の年4桁・セキュリティコード4桁) / check code B (14 digits): ",
            )?;
            PinB::parse(&line).map(Secret::PinB).map_err(CardError::InvalidPinB)
        } else {
            Ok(Pin::parse(&read_secret("暗証番号 (数字4桁) / PIN (4 digits): ")?).map(Secret::Pin)?)
        }
    }

    fn credential(&self) -> Credential<'_> {
        match self {
            Secret::Pin(p) => Credential::Pin(p),
            Secret::PinB(p) => Credential::PinB(p),
        }
    }
}

fn read(a: &ReadArgs) -> Result<(), CardError> {
    let req = ReadRequest {
        my_number: a.my_number,
        last_try: if a.clerk_override { LastTry::ClerkOverride } else { LastTry::Refuse },
    };
    let outcome = if let Some(spec) = &a.reader.virtual_persona {
        let persona = load_persona(spec)?;
        let secret = Secret::ask(a.pin_b)?;
        text_ap::read_with(InProcess::from_persona(persona), secret.credential(), req)?
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
        let secret = Secret::ask(a.pin_b)?;
        if wait.is_zero() {
            text_ap::read_with(&mut reader, secret.credential(), req)?
        } else {
            read_with_retry(&mut reader, secret.credential(), req, wait)?
        }
    };
    print_outcome(&outcome, a.json);
    Ok(())
}

/// One attempt: the card's fingerprint (to recognise it if it has to be placed again), and
/// the read only if it is `expected` (when given) — both in one exclusive procedure, so the
/// check and the VERIFY see the same card.
fn attempt(
    reader: &mut PcscReader,
    cred: Credential<'_>,
    req: ReadRequest,
    expected: Option<[u8; 32]>,
) -> (Option<[u8; 32]>, Result<ReadOutcome, ReadFailure>) {
    let r = transport::exclusive(reader, |t: &mut dyn Transport| {
        let id = status::fingerprint(&mut *t).ok().flatten();
        if expected.is_some() && id != expected {
            return (id, Err(ReadFailure { error: CardError::NotTheSameCard, verify_sent: false }));
        }
        (id, text_ap::read_with(t, cred, req))
    });
    r.unwrap_or_else(|e| (None, Err(ReadFailure { error: e.into(), verify_sent: false })))
}

/// `--wait`: one retry after the card was pulled mid-read, once it is placed again — only
/// when no VERIFY was sent (a VERIFY that reached the card may have cost a try), only on the
/// same card (never resident A's PIN to card B), and never with the clerk's override.
fn read_with_retry(
    reader: &mut PcscReader,
    cred: Credential<'_>,
    req: ReadRequest,
    wait: Duration,
) -> Result<ReadOutcome, CardError> {
    let (id, first) = attempt(reader, cred, req, None);
    let failure = match first {
        Ok(out) => return Ok(out),
        Err(f) if !f.error.needs_card_again() => return Err(f.error),
        Err(f) => f,
    };
    if failure.verify_sent {
        eprintln!(
            "The card was removed after the PIN was sent: not retried. Check the tries left with `madoguchi card status` before trying again.\n\
             暗証番号を送った後にカードが外れたため、やり直しません。残り回数を `madoguchi card status` で確かめてから、もう一度実行してください。"
        );
        return Err(failure.error);
    }
    let Some(id) = id else {
        eprintln!(
            "The card was removed before it could be recognised: not retried (the same PIN must not reach another card).\n\
             カードを確認する前に外れたため、やり直しません(別のカードに暗証番号を送らないため)。もう一度実行してください。"
        );
        return Err(failure.error);
    };
    eprintln!("{}\nPlace the same card again / 同じカードをもう一度置いてください", failure.error);
    // pcscd notices a removal at its next poll (up to 400 ms): until then it still reports
    // the card present, so wait for it to be seen gone before waiting for it to come back.
    match reader.wait_for_removal(Duration::from_secs(2)) {
        Ok(()) | Err(TransportError::Timeout) => {}
        Err(e) => return Err(e.into()),
    }
    reader.wait_for_card(wait)?;
    let retry = ReadRequest { last_try: LastTry::Refuse, ..req };
    attempt(reader, cred, retry, Some(id)).1.map_err(CardError::from)
}

fn sex_key(s: madoguchi::vocab::person::Sex) -> &'static str {
    match s {
        madoguchi::vocab::person::Sex::Male => "male",
        madoguchi::vocab::person::Sex::Female => "female",
        madoguchi::vocab::person::Sex::NotApplicable => "not_applicable",
        madoguchi::vocab::person::Sex::NotKnown => "not_known",
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
            "credential": o.credential.key(),
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
