//! The kiosk window with the counter's scanner: the code typed as key events through the
//! Slint window (testing backend), over the real forms layer and the demo's virtual card.
//! The tap count of 住民票の写し with a code, a scan where it does not belong (PIN pad, a
//! clerk's text field) and what the start screen says.

use std::sync::Arc;

use madoguchi::config::Config;
use madoguchi::ui::{DemoPage, KeyboardPage, PinPage, ReviewPage, Screen, StartPage};
use madoguchi::vocab::AnswerValue;
use madoguchi::vocab::preinput_code::{PreInput, encode};
use slint::ComponentHandle;
use slint::platform::{PointerEventButton, WindowEvent};

use crate::support::kiosk_support::{AcceptingOutput, UiRig, staff_pin_hash, ui_rig};
use crate::support::preinput_support::{juminhyo, juminhyo_code, scan_code, today};
use crate::support::ui_support::{Taps, answer_of, find, init_with_renderer, screen, tap};

fn window(cfg: &Config) -> UiRig {
    init_with_renderer();
    let r = ui_rig(cfg, Arc::new(AcceptingOutput::printing()));
    r.ui.window.window().set_size(slint::PhysicalSize::new(1920, 1080));
    r.ui.window.show().unwrap();
    r
}

fn demo() -> Config {
    Config { demo: true, ..Config::default() }
}

fn pin_digits(w: &madoguchi::ui::AppWindow, digits: &str) -> usize {
    for d in digits.chars() {
        find(w, &d.to_string()).mock_single_click(PointerEventButton::Left);
    }
    digits.len()
}

/// 住民票の写し with a code made at home: the scan (key events, not taps), the card (the
/// hand), the PIN, then only what the resident must still do: confirm the PIN, 次へ on the
/// filled review, 印刷 (the holder's own 住民票 asks no signature: the PIN identified them).
#[test]
fn juminhyo_with_a_code_counts_its_taps() {
    let r = window(&demo());
    let w = &r.ui.window;
    let mut t = Taps { w, n: 0 };
    scan_code(w, &juminhyo_code());
    assert_eq!(screen(w), Screen::Card, "{:?}", r.ui.session().message());
    w.global::<DemoPage>().invoke_place("typical".into());
    assert_eq!(screen(w), Screen::Pin);
    let digits = pin_digits(w, "1234");
    t.tap("確定");
    assert_eq!(screen(w), Screen::Review, "{:?}", r.ui.session().message());
    assert!(w.global::<ReviewPage>().get_message().contains("事前入力の答えを入れました"));
    assert_eq!(answer_of(&r, "requester"), Some(AnswerValue::Choice("self".into())), "filled, shown as chosen");
    t.tap("次へ");
    assert_eq!(screen(w), Screen::Confirm, "{:?}", crate::support::kiosk_support::review_problems(&r.ui.session()));
    t.tap("印刷");
    r.settle();
    assert_eq!(screen(w), Screen::Done);
    let taps = t.n;
    println!("住民票の写し with a pre-input code: {taps} taps + {digits} PIN digits (by touch alone: 23 taps)");
    assert_eq!(digits, 4);
    // PIN 確定, 次へ, 印刷: the target of 3 (see README, "Pre-input codes at the counter").
    assert!(taps <= 3, "住民票の写し with a code took {taps} taps plus {digits} PIN digits");
}

#[test]
fn a_scan_on_the_pin_screen_is_not_taken_as_pin_digits() {
    let r = window(&demo());
    let w = &r.ui.window;
    tap(w, "はじめる");
    tap(w, "住民票の写しがほしい");
    w.global::<DemoPage>().invoke_place("typical".into());
    pin_digits(w, "1");
    scan_code(w, &juminhyo_code());
    assert_eq!(screen(w), Screen::Pin);
    let pin = w.global::<PinPage>();
    assert_eq!(pin.get_entered(), 1, "not one digit of the code reached the PIN");
    assert!(pin.get_message().contains("最初の画面で読み取らせてください"), "{}", pin.get_message());
    pin_digits(w, "234");
    tap(w, "確定");
    assert_eq!(screen(w), Screen::Review, "the PIN still works");
}

#[test]
fn the_start_screen_takes_a_code_or_says_why_not_and_ignores_other_keys() {
    let r = window(&demo());
    let w = &r.ui.window;
    // A URL from a foreign QR code: named as not ours.
    scan_code(w, "https://example.jp/pay?id=1");
    assert_eq!(screen(w), Screen::Start);
    let notice = w.global::<StartPage>().get_notice();
    assert!(notice.contains("窓口の事前入力コードではありません"), "{notice}");
    assert!(!notice.contains("example"), "the foreign text is not shown");
    // An expired code: said on the start screen.
    let expired = PreInput { expires: today().pred_opt().unwrap(), ..juminhyo(1) };
    scan_code(w, &encode(&expired));
    assert_eq!(screen(w), Screen::Start);
    assert!(w.global::<StartPage>().get_notice().contains("有効期限"), "{}", w.global::<StartPage>().get_notice());
    // A few digits and Enter (a bumped keyboard) are not a scan either.
    scan_code(w, "123");
    assert!(w.global::<StartPage>().get_notice().contains("有効期限"), "unchanged");
    scan_code(w, &juminhyo_code());
    assert_eq!(screen(w), Screen::Card);
}

/// A clerk types into the hardware-keyboard field of the kana keyboard; a scan arrives while
/// that field has the focus: the code is not typed into it, the resident is told where to
/// scan, and the clerk's own digits still reach the field in order.
#[test]
fn a_scan_is_not_lost_into_a_clerks_text_field_and_typing_still_works() {
    let cfg = Config {
        demo: true,
        clerk: madoguchi::config::ClerkConfig { pin_hash: staff_pin_hash(), ..Default::default() },
        ..Config::default()
    };
    let r = window(&cfg);
    let w = &r.ui.window;
    tap(w, "はじめる");
    tap(w, "住民票の写しがほしい");
    w.global::<DemoPage>().invoke_place("typical".into());
    pin_digits(w, "1234");
    tap(w, "確定");
    assert_eq!(screen(w), Screen::Review);
    r.unlock_clerk();
    w.global::<ReviewPage>().invoke_edit("submit_to".into());
    assert!(w.global::<KeyboardPage>().get_open());
    find(w, "キーボード入力").mock_single_click(PointerEventButton::Left);
    let key = |c: char| {
        let text: slint::SharedString = c.into();
        w.window().dispatch_event(WindowEvent::KeyPressed { text: text.clone() });
        w.window().dispatch_event(WindowEvent::KeyReleased { text });
    };
    for c in "12丁目".chars() {
        key(c);
    }
    let typed = || match answer_of(&r, "submit_to") {
        Some(AnswerValue::Text(t)) => t.expose().to_string(),
        other => format!("{other:?}"),
    };
    assert_eq!(typed(), "12丁目", "the clerk's digits reach the field, in order");
    scan_code(w, &juminhyo_code());
    assert_eq!(typed(), "12丁目", "not one digit of the code in the field");
    assert!(r.ui.session().message().unwrap().ja().contains("最初の画面で"), "the resident is told where to scan");
    assert_eq!(screen(w), Screen::Review);
}
