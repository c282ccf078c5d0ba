//! A pre-input code in the session, through pcscd + vpcd with the virtual card and the real
//! forms layer: scanned on the start screen it selects the procedure and, after the card and
//! the PIN, the review shows its answers (editable) and they reach the PDF; every bad code
//! is refused in plain Japanese and changes nothing; a scan at the wrong screen is named and
//! changes nothing; nothing of the code is left after the visit.

use std::sync::Arc;

use madoguchi::session::stage::Stage;
use madoguchi::session::{EndReason, Event};
use madoguchi::vocab::AnswerValue;
use madoguchi::vocab::preinput_code;
use madoguchi::vocab::preinput_code::{PreInput, encode};

use crate::support::card_stack::{SLOT0, lock, persona, place};
use crate::support::kiosk_support::{AcceptingOutput, real::pdftotext};
use crate::support::preinput_support::{KANA, PHONE, PcscRig, SUBMIT_TO, juminhyo, juminhyo_code, text, today};

fn rig() -> PcscRig {
    PcscRig::new(Arc::new(AcceptingOutput::printing()), SLOT0.0)
}

/// Scan `code` on the start screen, place `typical`'s card, enter its PIN: the review.
fn to_review(r: &mut PcscRig, code: &str) -> crate::support::card_stack::Placed {
    r.scan(code);
    assert_eq!(r.stage_name(), "card", "{}", r.message_ja());
    let placed = place(persona("typical"), SLOT0);
    r.tick_until("the PIN screen", |s| matches!(s.stage(), Stage::Pin(_)));
    r.pin(persona("typical").pin.expose());
    assert!(r.on_review(), "{}", r.message_ja());
    placed
}

fn compact(s: &str) -> String {
    s.chars().filter(|c| !c.is_whitespace()).collect()
}

#[test]
fn a_code_on_the_start_screen_selects_juminhyo_and_the_review_shows_its_answers_after_card_and_pin() {
    let _g = lock();
    let mut r = rig();
    let started = r.s.sessions_started();
    r.scan(&juminhyo_code());
    assert_eq!(r.stage_name(), "card", "{}", r.message_ja());
    assert_eq!(r.s.stage().plan().unwrap().procedures, ["juminhyo"]);
    assert_eq!(r.s.sessions_started(), started + 1, "a scan starts a visit like はじめる");
    assert!(r.s.preinput_used());
    assert!(r.s.stage().answers().is_none(), "no answers are shown before the card is read");
    let placed = place(persona("typical"), SLOT0);
    r.tick_until("the PIN screen", |s| matches!(s.stage(), Stage::Pin(_)));
    r.pin(persona("typical").pin.expose());
    assert!(r.on_review(), "{}", r.message_ja());
    let a = r.answers();
    assert_eq!(a.get("requester"), Some(&AnswerValue::Choice("self".into())));
    assert_eq!(a.get("juminhyo_copies"), Some(&AnswerValue::Count(2)));
    assert!(matches!(a.get("applicant_kana"), Some(AnswerValue::Text(t)) if t.expose() == KANA));
    assert!(r.message_ja().contains("事前入力の答えを入れました"), "{}", r.message_ja());
    // The card's own values come from the card.
    assert_eq!(r.s.stage().card().unwrap().attributes.name.expose(), persona("typical").name.expose());
    // Editable like any answer: another purpose by touch.
    r.ev(Event::Choose { question: "purpose".into(), index: 1 });
    assert_eq!(r.answers().get("purpose"), Some(&AnswerValue::Choice("pension".into())));
    // Complete: 次へ leads to the forms to confirm (the holder's own 住民票 asks no signature).
    r.ev(Event::ReviewDone);
    assert_eq!(r.stage_name(), "confirm", "{:?}", crate::support::kiosk_support::review_problems(&r.s));
    drop(placed);
}

#[test]
fn the_answers_from_a_code_reach_the_pdf() {
    let _g = lock();
    let mut r = rig();
    let placed = to_review(&mut r, &juminhyo_code());
    r.ev(Event::ReviewDone);
    assert_eq!(r.stage_name(), "confirm", "{}", r.message_ja());
    let pdf = r.s.stage().rendered().unwrap().forms[0].pdf_path.clone();
    let text = compact(&pdftotext(&pdf));
    for (what, v) in [("reading", KANA), ("phone", PHONE), ("submit_to", SUBMIT_TO)] {
        let v = compact(v);
        let digits_only: String = text.chars().filter(char::is_ascii_digit).collect();
        let found = text.contains(&v) || (what == "phone" && digits_only.contains(&v));
        assert!(found, "{what} from the code on the form:\n{text}");
    }
    assert!(text.contains(&compact(persona("typical").name.expose())), "the card's name on the form");
    drop(placed);
}

#[test]
fn every_bad_code_is_refused_in_plain_japanese_and_changes_nothing() {
    let _g = lock();
    let good = juminhyo_code();
    let mut corrupted = good.clone().into_bytes();
    corrupted[40] = if corrupted[40] == b'9' { b'0' } else { corrupted[40] + 1 };
    let expired = PreInput { expires: today().pred_opt().unwrap(), ..juminhyo(1) };
    let elsewhere = PreInput { procedures: vec!["pet-license".into()], ..juminhyo(1) };
    let cases: Vec<(&str, String, &str)> = vec![
        ("a URL", "https://example.jp/pay?id=123".into(), "窓口の事前入力コードではありません"),
        ("a payment code", "4912345678904".into(), "窓口の事前入力コードではありません"),
        ("a truncated code", good[..good.len() - 9].to_string(), "最後まで読み取れませんでした"),
        ("a corrupted code", String::from_utf8(corrupted).unwrap(), "最後まで読み取れませんでした"),
        ("an expired code", encode(&expired), "有効期限(2026-11-21)を過ぎています"),
        ("a code far too large", "1".repeat(5000), "大きすぎて"),
        ("a newer format", preinput_code::seal(2, br#"{"x":"2026-12-31"}"#), "新しい形式"),
        (
            "a broken body",
            preinput_code::seal(1, br#"{"x":"2026-12-31","p":"juminhyo"}"#),
            "内容を読み取れませんでした",
        ),
        ("procedures not offered here", encode(&elsewhere), "この窓口では受け付けていません"),
    ];
    for (what, code, said) in cases {
        let mut r = rig();
        let started = r.s.sessions_started();
        r.scan(&code);
        assert_eq!(r.stage_name(), "start", "{what}");
        let m = r.message_ja();
        assert!(m.contains(said), "{what}: {m}");
        assert!(m.contains("ください"), "{what}: says what to do: {m}");
        assert!(!m.contains(KANA) && !m.contains(PHONE) && !m.contains(SUBMIT_TO), "{what}: no content");
        assert_eq!(r.s.sessions_started(), started, "{what}: no visit started");
        assert!(!r.s.preinput_used());
        // Nothing broke: はじめる works as ever.
        r.ev(Event::Begin);
        assert_eq!(r.stage_name(), "procedure", "{what}");
    }
}

#[test]
fn a_code_for_an_older_template_keeps_what_still_fits_and_says_the_rest_is_asked() {
    let _g = lock();
    let mut r = rig();
    let mut old = juminhyo(0);
    // An answer to a question the form no longer has, and a choice it no longer offers.
    old.answers.insert("juminhyo_office".into(), text("honcho"));
    old.answers.insert("purpose".into(), text("retired_choice"));
    let placed = to_review(&mut r, &encode(&old));
    let a = r.answers();
    assert_eq!(a.get("requester"), Some(&AnswerValue::Choice("self".into())), "kept: still fits");
    assert!(a.get("purpose").is_none(), "asked again");
    assert!(r.message_ja().contains("様式が変わりました"), "{}", r.message_ja());
    r.ev(Event::ReviewDone);
    assert_eq!(r.stage_name(), "review", "the purpose must be answered again");
    let problems = crate::support::kiosk_support::review_problems(&r.s);
    assert!(problems.iter().any(|(id, _)| id == "purpose"), "{problems:?}");
    drop(placed);
}

#[test]
fn a_scan_at_the_wrong_screen_is_named_and_changes_nothing() {
    let _g = lock();
    let mut r = rig();
    r.ev(Event::Begin);
    // A resident on the procedure screen: not here.
    r.scan(&juminhyo_code());
    assert_eq!(r.stage_name(), "procedure");
    assert!(r.message_ja().contains("最初の画面で読み取らせてください"), "{}", r.message_ja());
    r.ev(Event::ChooseProcedure("juminhyo".into()));
    let placed = place(persona("typical"), SLOT0);
    r.tick_until("the PIN screen", |s| matches!(s.stage(), Stage::Pin(_)));
    // During PIN entry: no digit of the code is taken, the two typed stay.
    r.ev(Event::PinDigit(1));
    r.ev(Event::PinDigit(2));
    r.scan(&juminhyo_code());
    let Stage::Pin(p) = r.s.stage() else { panic!("{}", r.stage_name()) };
    assert_eq!(p.entry.len(), 2);
    assert!(r.message_ja().contains("最初の画面で読み取らせてください"));
    r.ev(Event::PinDigit(3));
    r.ev(Event::PinDigit(4));
    r.ev(Event::PinSubmit);
    assert!(r.on_review(), "the PIN still works: {}", r.message_ja());
    // On the review: the answers stay as they are.
    r.ev(Event::Choose { question: "requester".into(), index: 0 });
    let before = r.answers();
    r.scan(&juminhyo_code());
    assert_eq!(r.answers(), before);
    assert!(r.message_ja().contains("最初の画面で"));
    // While signing: the strokes stay.
    crate::support::kiosk_support::real::demo_answers(&["juminhyo"])
        .iter()
        .for_each(|(id, v)| r.ev(Event::Answer(id.to_string(), v.clone())));
    // Requested for someone of the same household: a case that is signed.
    r.ev(Event::Answer("requester".into(), AnswerValue::Choice("household".into())));
    r.ev(Event::ReviewDone);
    r.ev(Event::StrokeBegin(100.0, 150.0));
    r.ev(Event::StrokeMove(300.0, 120.0));
    r.scan(&juminhyo_code());
    let Stage::Signing(sg) = r.s.stage() else { panic!("{}", r.stage_name()) };
    assert_eq!(format!("{:?}", sg.pad), "Signature(1 strokes)");
    assert!(!r.s.preinput_used(), "this visit had no code");
    drop(placed);
}

#[test]
fn a_clerk_may_scan_on_the_procedure_and_card_screens() {
    let _g = lock();
    let mut r = rig();
    r.ev(Event::Begin);
    r.unlock_clerk();
    r.scan(&juminhyo_code());
    assert_eq!(r.stage_name(), "card", "{}", r.message_ja());
    assert!(r.s.clerk_unlocked(), "the clerk's powers stay within the visit");
    // Again on the card screen (another resident's code, say): taken as well.
    r.scan(&juminhyo_code());
    assert_eq!(r.stage_name(), "card");
    assert_eq!(r.s.stage().plan().unwrap().procedures, ["juminhyo"]);
}

#[test]
fn nothing_of_the_code_is_left_after_the_visit() {
    let _g = lock();
    let mut r = rig();
    let placed = to_review(&mut r, &juminhyo_code());
    let shown = format!("{:?}", r.s.stage());
    for v in [KANA, PHONE, SUBMIT_TO, "0312"] {
        assert!(!shown.contains(v), "the stage's Debug shows a value of the code");
    }
    r.ev(Event::Cancel);
    assert_eq!(r.s.last_end(), Some(EndReason::Cancelled));
    assert!(r.s.stage().answers().is_none() && r.s.stage().plan().is_none());
    let left = format!("{:?}", r.s.stage());
    assert!(!left.contains(KANA) && !left.contains(SUBMIT_TO));
    drop(placed);
    // A code whose visit times out on the card screen is gone as well.
    r.tick_until("the card taken", |s| !matches!(s.stage(), Stage::Start(st) if st.notice.is_some()));
    r.scan(&juminhyo_code());
    assert_eq!(r.stage_name(), "card");
    r.clock.advance(120);
    r.s.tick();
    assert_eq!(r.stage_name(), "start");
    assert_eq!(r.s.last_end(), Some(EndReason::TimedOut));
    assert!(r.s.stage().plan().is_none(), "the plan with the code's answers went with the visit");
}

#[test]
fn the_language_used_at_home_is_taken_when_the_kiosk_offers_it() {
    let _g = lock();
    let mut r = rig();
    let english = PreInput { language: Some("en".into()), ..juminhyo(1) };
    r.scan(&encode(&english));
    assert_eq!(r.stage_name(), "card");
    assert_eq!(r.s.language(), "en");
    r.ev(Event::Cancel);
    assert_eq!(r.s.language(), "ja", "the next resident starts in the kiosk's language");
    let korean = PreInput { language: Some("ko".into()), ..juminhyo(1) };
    r.scan(&encode(&korean));
    assert_eq!(r.stage_name(), "card");
    assert_eq!(r.s.language(), "ja", "not offered here: the kiosk keeps its own");
}
