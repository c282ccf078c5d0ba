//! カードの状態 through the real stack (pcsc crate → pcscd → vpcd → the virtual card), by
//! the library and by `madoguchi card status`: what reaches the card is read from the virtual
//! card's own journal, so "no EF of the text AP is read, no PIN is sent" is checked where it
//! matters — on the card.

use crate::support::card_stack;

use std::process::{Command, Output, Stdio};

use card_stack::{SLOT0, SLOT1, assert_nothing_personal, lock, persona, place};
use madoguchi::card::sim::Df;
use madoguchi::card::status::{Advice, CertState, PinStatus};
use madoguchi::card::{CardError, PinKind, cert, read_status};

fn madoguchi() -> Command {
    Command::new(env!("CARGO_BIN_EXE_madoguchi"))
}

fn run(args: &[&str]) -> Output {
    madoguchi().args(args).stdin(Stdio::null()).output().unwrap()
}

fn text(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

/// What the card saw must hold no READ BINARY inside the text AP and no VERIFY with data.
fn assert_status_only(placed: &card_stack::Placed, what: &str) {
    let cmds = placed.commands();
    assert!(!cmds.is_empty(), "{what}: nothing reached the card");
    for c in &cmds {
        assert!(!(c.is_read_binary() && c.df == Some(Df::Text)), "{what}: a text-AP EF was read: {c:?}");
        assert!(!c.is_pin_verify(), "{what}: a PIN was sent: {c:?}");
    }
    assert!(cmds.iter().filter(|c| c.is_empty_verify()).count() >= 3, "{what}: tries of the three PINs asked");
}

#[test]
fn status_reads_no_text_ap_file_sends_no_pin_and_prints_nothing_personal() {
    let _g = lock();
    let today = cert::today_jst();
    for (id, counters, advice) in [
        ("typical", (3, 10, 3, 5), vec!["nothing_to_do"]),
        ("cert-expiring", (3, 10, 3, 5), vec!["renew_soon"]),
        ("auth-pin-locked", (3, 10, 0, 5), vec!["pin_locked"]),
        ("locked", (0, 10, 3, 5), vec!["pin_locked"]),
    ] {
        let p = persona(id);
        let mut placed = place(p.clone(), SLOT0);

        // The library, as the kiosk calls it.
        let st = read_status(&mut placed.reader, today).unwrap_or_else(|e| panic!("{id}: {e}"));
        assert_eq!(st.advice(90).iter().map(|a| a.key()).collect::<Vec<_>>(), advice, "{id}");
        assert!(matches!(st.auth_cert, CertState::Present(_)), "{id}");
        assert_status_only(&placed, id);
        placed.clear_journal();

        // The CLI, text and JSON.
        for args in
            [&["card", "status", "--reader", "PCD 00 00"][..], &["card", "status", "--reader", "PCD 00 00", "--json"]]
        {
            let out = run(args);
            let (stdout, stderr) = (text(&out.stdout), text(&out.stderr));
            assert!(out.status.success(), "{id}: {stderr}");
            assert_nothing_personal(&stdout, &p, &format!("{id} stdout"));
            assert_nothing_personal(&stderr, &p, &format!("{id} stderr"));
            assert_status_only(&placed, &format!("{id} {args:?}"));
            placed.clear_journal();
        }
        assert_eq!(placed.counters(), counters, "{id}: no try spent, by the card's own counters");
    }
}

#[test]
fn status_text_shows_the_three_pins_the_certificate_and_the_advice() {
    let _g = lock();
    let _placed = place(persona("cert-expiring"), SLOT0);
    let out = run(&["card", "status", "--reader", "PCD 00 00"]);
    let stdout = text(&out.stdout);
    assert!(out.status.success(), "{}", text(&out.stderr));
    // The reader listing stays.
    assert!(stdout.contains("* Virtual PCD 00 00: card present"), "{stdout}");
    assert!(stdout.contains("Virtual PCD 00 01: no card"), "{stdout}");
    for line in [
        "券面事項入力補助用暗証番号(数字4桁): 3 tries left / 残り3回",
        "利用者証明用電子証明書の暗証番号(数字4桁): 3 tries left / 残り3回",
        "署名用電子証明書のパスワード(英数字6〜16桁): 5 tries left / 残り5回",
        "(30 days left) / 有効期限",
        "(あと30日)",
        "expires in 30 days",
        "あと30日です",
    ] {
        assert!(stdout.contains(line), "missing {line:?} in:\n{stdout}");
    }
}

#[test]
fn status_json_gives_scripts_tries_days_and_advice() {
    let _g = lock();
    let today = cert::today_jst();
    let json = |args: &[&str]| -> serde_json::Value {
        let out = run(args);
        assert!(out.status.success(), "{}", text(&out.stderr));
        serde_json::from_slice(&out.stdout).unwrap()
    };
    let placed = place(persona("cert-expiring"), SLOT0);
    let v = json(&["card", "status", "--reader", "PCD 00 00", "--json"]);
    assert_eq!(v["card_present"], true);
    assert_eq!(v["profile"], "my_number_card");
    assert_eq!(v["pins"]["text_pin"]["tries_left"], 3);
    assert_eq!(v["pins"]["auth_pin"]["tries_left"], 3);
    assert_eq!(v["pins"]["sign_password"]["tries_left"], 5);
    assert_eq!(v["pins"]["sign_password"]["max_tries"], 5);
    assert_eq!(v["auth_certificate"]["state"], "present");
    assert_eq!(v["auth_certificate"]["days_left"], 30);
    assert_eq!(v["auth_certificate"]["expiry_date"], (today + chrono::TimeDelta::days(30)).to_string());
    assert_eq!(v["advice"][0]["code"], "renew_soon");
    assert_eq!(v["advice"][0]["needs_counter"], true);
    assert_eq!(v["advice"][0]["days_left"], 30);
    assert!(v["advice"][0]["en"].as_str().unwrap().contains("30 days"));
    assert!(v["readers"].as_array().unwrap().iter().any(|r| r["chosen"] == true && r["card_present"] == true));
    // The window is the municipality's choice.
    let v = json(&["card", "status", "--reader", "PCD 00 00", "--json", "--renew-within", "10"]);
    assert_eq!(v["advice"][0]["code"], "nothing_to_do");
    // Days are counted from a given date.
    let later = (today + chrono::TimeDelta::days(40)).to_string();
    let v = json(&["card", "status", "--reader", "PCD 00 00", "--json", "--date", &later]);
    assert_eq!(v["auth_certificate"]["days_left"], -10);
    assert_eq!(v["auth_certificate"]["expired"], true);
    assert_eq!(v["advice"][0]["code"], "certificate_expired");
    drop(placed);

    let _placed = place(persona("sign-password-locked"), SLOT0);
    let v = json(&["card", "status", "--reader", "PCD 00 00", "--json"]);
    assert_eq!(v["pins"]["sign_password"]["state"], "locked");
    assert_eq!(v["pins"]["sign_password"]["tries_left"], 0);
    assert_eq!(v["advice"][0]["code"], "pin_locked");
    assert_eq!(v["advice"][0]["pin"], "sign_password");

    // No card on the other slot: said so, and not an error.
    let empty = madoguchi::card::pcsc::PcscReader::open(SLOT1.0).unwrap();
    empty.wait_for_removal(std::time::Duration::from_secs(3)).unwrap();
    let v = json(&["card", "status", "--reader", "PCD 00 01", "--json"]);
    assert_eq!(v["card_present"], false);
    assert_eq!(v["reader"], SLOT1.0);
}

#[test]
fn every_status_persona_gives_its_advice_through_pcscd() {
    let _g = lock();
    let today = cert::today_jst();
    for (id, advice) in [
        ("cert-expired", vec![Advice::CertificateExpired]),
        ("sign-password-locked", vec![Advice::PinLocked(PinKind::SignPassword)]),
        ("no-auth-cert", vec![Advice::NoCertificate]),
        ("last-try", vec![Advice::OneTryLeft(PinKind::TextPin)]),
        ("locked-63c0", vec![Advice::PinLocked(PinKind::TextPin)]),
    ] {
        let mut placed = place(persona(id), SLOT0);
        let st = read_status(&mut placed.reader, today).unwrap_or_else(|e| panic!("{id}: {e}"));
        assert_eq!(st.advice(90), advice, "{id}");
        if id == "locked-63c0" {
            assert_eq!(st.text_pin, PinStatus::Locked);
        }
        assert_status_only(&placed, id);
    }
}

#[test]
fn cards_that_are_not_my_number_cards_get_a_clear_message() {
    let _g = lock();
    for (id, error, ja) in [
        ("other-card", CardError::UnknownCard, "このカードは読み取れません"),
        ("juki-card", CardError::JukiCard, "住民基本台帳カードは使えません"),
    ] {
        let mut placed = place(persona(id), SLOT0);
        assert_eq!(read_status(&mut placed.reader, cert::today_jst()), Err(error.clone()), "{id}");
        assert_eq!(madoguchi::card::identify(&mut placed.reader), Err(error.clone()), "{id}");
        let e = madoguchi::card::read_card(
            &mut placed.reader,
            &madoguchi::vocab::pin::Pin::parse("1234").unwrap(),
            Default::default(),
        )
        .unwrap_err();
        assert_eq!(e, error, "{id}");
        assert!(!placed.commands().iter().any(|c| c.is_pin_verify()), "{id}: no PIN to an unknown card");
        let out = run(&["card", "status", "--reader", "PCD 00 00"]);
        assert_eq!(out.status.code(), Some(1), "{id}");
        assert!(text(&out.stderr).contains(ja), "{id}: {}", text(&out.stderr));
    }
}
