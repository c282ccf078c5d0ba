//! 照合番号B through the real stack: the library and `madoguchi card read --pin-b`, with the
//! virtual card's own counter and journal as the judge.

use crate::support::card_stack;

use std::io::Write;
use std::process::{Command, Output, Stdio};

use card_stack::{SLOT0, assert_nothing_personal, lock, persona, place};
use madoguchi::card::{CardError, LastTry, PinKind, ReadFailure, ReadRequest, pin_b_status, read_with};
use madoguchi::vocab::pin::Credential;
use madoguchi::vocab::pin::PinB;

fn madoguchi() -> Command {
    Command::new(env!("CARGO_BIN_EXE_madoguchi"))
}

fn run(args: &[&str], stdin_text: &str) -> Output {
    let mut child =
        madoguchi().args(args).stdin(Stdio::piped()).stdout(Stdio::piped()).stderr(Stdio::piped()).spawn().unwrap();
    child.stdin.take().unwrap().write_all(stdin_text.as_bytes()).unwrap();
    child.wait_with_output().unwrap()
}

fn text(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

#[test]
fn pin_b_reads_basic_four_through_pcscd_and_the_cli() {
    let _g = lock();
    let p = persona("rare-kanji"); // 平成元年1月8日: 照合番号B starts 010108
    let mut placed = place(p.clone(), SLOT0);
    assert_eq!(pin_b_status(&mut placed.reader), Ok(10));
    let pb = PinB::parse(p.pin_b.expose()).unwrap();
    let out = read_with(&mut placed.reader, Credential::PinB(&pb), ReadRequest::default()).unwrap();
    assert_eq!(out.attributes.name.expose(), p.name.expose());
    assert_eq!(out.attributes.address.expose(), p.address.expose());
    assert_eq!(out.credential, PinKind::PinB);
    assert!(out.my_number.is_none());
    let verifies: Vec<_> = placed.commands().into_iter().filter(|c| c.is_pin_verify()).collect();
    assert_eq!(verifies.len(), 1);
    assert_eq!((verifies[0].ef, verifies[0].data_len, verifies[0].sw), (Some(0x0015), 14, 0x9000));
    assert!(!placed.commands().iter().any(|c| c.is_read_binary() && c.ef == Some(0x0001)), "no 個人番号 read");
    placed.clear_journal();

    let out = run(&["card", "read", "--reader", "PCD 00 00", "--pin-b", "--json"], &format!("{}\n", p.pin_b.expose()));
    assert!(out.status.success(), "{}", text(&out.stderr));
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["name"], p.name.expose());
    assert_eq!(v["birth_date"], "1989-01-08");
    assert_eq!(v["credential"], "pin_b");
    assert!(v.get("my_number").is_none());
    assert!(!text(&out.stdout).contains(p.pin_b.expose()), "照合番号B is never printed");
    assert_nothing_personal(&text(&out.stderr), &p, "stderr");
    assert_eq!(placed.counters().1, 10, "a correct 照合番号B leaves its counter full");
}

#[test]
fn a_wrong_pin_b_costs_one_try_on_the_card_and_a_malformed_one_costs_none() {
    let _g = lock();
    let p = persona("typical");
    let placed = place(p.clone(), SLOT0);
    // Western birth year instead of the printed 和暦 one: a plausible clerk's mistake.
    let western = format!("85{}", &p.pin_b.expose()[2..]);
    let out = run(&["card", "read", "--reader", "PCD 00 00", "--pin-b"], &format!("{western}\n"));
    assert_eq!(out.status.code(), Some(3));
    let err = text(&out.stderr);
    assert!(err.contains("照合番号Bが違います") && err.contains("あと9回"), "{err}");
    assert!(!err.contains(&western) && !err.contains(p.pin_b.expose()), "no digits in messages");
    assert_eq!(placed.counters(), (3, 9, 3, 5), "one try of 照合番号B, nothing else");
    placed.clear_journal();

    for (typed, msg) in [("1234", "数字14桁"), ("19850412203448", "生年月日"), ("60041219994821", "有効期限の年")]
    {
        let out = run(&["card", "read", "--reader", "PCD 00 00", "--pin-b"], &format!("{typed}\n"));
        assert_eq!(out.status.code(), Some(3), "{typed}");
        assert!(text(&out.stderr).contains(msg), "{typed}: {}", text(&out.stderr));
    }
    assert!(placed.commands().is_empty(), "a malformed 照合番号B never reaches the card");
    assert_eq!(placed.counters().1, 9);
}

#[test]
fn the_last_pin_b_try_needs_the_clerk_override() {
    let _g = lock();
    let p = persona("pin-b-last-try");
    let mut placed = place(p.clone(), SLOT0);
    let pb = PinB::parse(p.pin_b.expose()).unwrap();
    let f = read_with(&mut placed.reader, Credential::PinB(&pb), ReadRequest::default()).unwrap_err();
    assert_eq!(f, ReadFailure { error: CardError::PinBLastTryRefused, verify_sent: false });
    let out = run(&["card", "read", "--reader", "PCD 00 00", "--pin-b"], &format!("{}\n", p.pin_b.expose()));
    assert_eq!(out.status.code(), Some(4));
    assert!(text(&out.stderr).contains("最後の1回を許可"), "{}", text(&out.stderr));
    assert!(!placed.commands().iter().any(|c| c.is_pin_verify()));
    assert_eq!(placed.counters().1, 1);

    let out = run(
        &["card", "read", "--reader", "PCD 00 00", "--pin-b", "--clerk-override", "--json"],
        &format!("{}\n", p.pin_b.expose()),
    );
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert_eq!(placed.counters().1, 10, "the correct entry reset the counter");
    let req = ReadRequest { last_try: LastTry::ClerkOverride, ..Default::default() };
    read_with(&mut placed.reader, Credential::PinB(&pb), req).unwrap();
}

#[test]
fn pin_b_with_the_my_number_is_refused_before_the_card() {
    let _g = lock();
    let p = persona("typical");
    let mut placed = place(p.clone(), SLOT0);
    let out =
        run(&["card", "read", "--reader", "PCD 00 00", "--pin-b", "--my-number"], &format!("{}\n", p.pin_b.expose()));
    assert_eq!(out.status.code(), Some(2), "a usage error");
    let pb = PinB::parse(p.pin_b.expose()).unwrap();
    let req = ReadRequest { my_number: true, ..Default::default() };
    let f = read_with(&mut placed.reader, Credential::PinB(&pb), req).unwrap_err();
    assert_eq!(f.error, CardError::MyNumberNeedsPin);
    assert!(f.error.message_ja().contains("4桁の暗証番号"));
    assert!(placed.commands().is_empty(), "nothing was sent");
}
