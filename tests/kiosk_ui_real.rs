//! The window with the real forms and output layers: the 住民票の写し flow driven through the
//! Slint testing backend — navigation, choices, signature and 送信 by touch (accessible labels
//! or the callback a button fires) — to the filled PDF, whose content is checked.

mod kiosk_support;
mod output_support;

use i_slint_backend_testing::{AccessibleRole, ElementHandle};
use madoguchi::card::sim::persona;
use madoguchi::config::Config;
use madoguchi::output::{ExportConfig, OutputConfig};
use madoguchi::session::services::QuestionKind;
use madoguchi::session::{AnswerValue, Event, KioskOutput, Step};
use slint::platform::{PointerEventButton, WindowEvent};
use slint::{ComponentHandle, Model as _};

use kiosk_support::real::{catalog_forms, pdftotext};
use kiosk_support::rig::build;

fn tap(w: &madoguchi::ui::AppWindow, label: &str) {
    let hits: Vec<ElementHandle> = ElementHandle::find_by_accessible_label(w, label)
        .filter(|h| h.accessible_role() == Some(AccessibleRole::Button))
        .collect();
    assert_eq!(hits.len(), 1, "one button labelled {label:?} on screen {}", w.get_screen());
    hits[0].mock_single_click(PointerEventButton::Left);
}

/// Each answer as the review screen's control gives it: a choice by the index of its button.
fn answer(r: &kiosk_support::rig::UiRig, answers: Vec<(String, AnswerValue)>) {
    let w = &r.ui.window;
    for (id, v) in answers {
        let choice_index = {
            let s = r.ui.session();
            s.questions().iter().find(|q| q.id == id).and_then(|q| match (&q.kind, &v) {
                (QuestionKind::Choice(cs), AnswerValue::Choice(c)) => cs.iter().position(|x| &x.id == c),
                _ => None,
            })
        };
        match choice_index {
            Some(i) => w.invoke_answer_choose(id.as_str().into(), i as i32),
            None => r.ui.send(Event::Answer(id, v)),
        }
        r.ui.refresh();
    }
}

/// Review → signature → confirm: the answers, 次へ, a finger stroke, 次へ.
fn review_sign_confirm(r: &kiosk_support::rig::UiRig, answers: Vec<(String, AnswerValue)>) {
    let w = &r.ui.window;
    answer(r, answers);
    tap(w, "次へ");
    assert_eq!(w.get_screen(), "signature", "{:?}", r.ui.session().problems());
    sign(w);
    tap(w, "次へ");
    assert_eq!(w.get_screen(), "confirm", "{}", w.get_message());
}

/// A finger stroke across the signature pad.
fn sign(w: &madoguchi::ui::AppWindow) {
    let pad = ElementHandle::find_by_accessible_label(w, "署名欄").next().expect("signature pad");
    let (p, s) = (pad.absolute_position(), pad.size());
    let at = |fx: f32, fy: f32| slint::LogicalPosition::new(p.x + s.width * fx, p.y + s.height * fy);
    let win = w.window();
    win.dispatch_event(WindowEvent::PointerPressed { position: at(0.1, 0.5), button: PointerEventButton::Left });
    for i in 1..=8 {
        win.dispatch_event(WindowEvent::PointerMoved { position: at(0.1 + 0.1 * i as f32, 0.3 + 0.05 * i as f32) });
    }
    win.dispatch_event(WindowEvent::PointerReleased { position: at(0.9, 0.7), button: PointerEventButton::Left });
}

fn output_in(dir: &std::path::Path) -> KioskOutput {
    let out_cfg = OutputConfig {
        outbox: output_support::outbox_config(&dir.join("outbox")),
        export: ExportConfig { enabled: true, spool_dir: dir.join("export"), ..ExportConfig::default() },
        ..OutputConfig::default()
    };
    KioskOutput::start(&out_cfg, "K09", false).expect("output layer")
}

#[test]
fn moving_in_guide_in_the_window_fills_several_forms() {
    i_slint_backend_testing::init_no_event_loop();
    let dir = tempfile::tempdir().unwrap();
    let forms = catalog_forms();
    let answers = forms.demo_answers(&["tennyu", "jidou-teate"]);
    let r = build(&Config { demo: true, ..Config::default() }, Box::new(forms), Box::new(output_in(dir.path())));
    let w = &r.ui.window;
    w.window().set_size(slint::PhysicalSize::new(1920, 1080));
    w.show().unwrap();
    tap(w, "はじめる");
    tap(w, "質問に答えて選ぶ");
    tap(w, "引っ越してきた（転入）");
    // The follow-up question of this life event appears; 「はい」 for children under 15.
    let idx = w.get_guide_questions().iter().position(|q| q.id == "children_under_15").expect("asked");
    w.invoke_guide_choose("children_under_15".into(), 0);
    assert!(idx > 0);
    tap(w, "この内容で進む");
    assert_eq!(w.get_screen(), "card", "{}", w.get_message());
    w.invoke_place_demo_card("long-address".into());
    for d in ["5", "6", "7", "8"] {
        tap(w, d);
    }
    tap(w, "確定");
    assert_eq!(w.get_screen(), "review", "{}", w.get_message());
    assert!(r.ui.session().has_my_number(), "児童手当 needs the 個人番号");
    review_sign_confirm(&r, answers);
    let rendered = r.ui.session().rendered().to_vec();
    assert_eq!(rendered.len(), 2, "住民異動届 and 児童手当認定請求書");
    let p = persona::builtin_by_id("long-address").unwrap();
    let all: String = rendered.iter().map(|f| pdftotext(&f.pdf)).collect();
    let compact: String = all.chars().filter(|c| !c.is_whitespace()).collect();
    assert!(compact.contains(p.my_number.expose()), "個人番号 on 児童手当");
    assert!(w.get_pages().row_count() >= 2, "a preview page per form");
    tap(w, "送信");
    r.settle();
    assert_eq!(r.ui.session().step(), Step::Done, "{}", w.get_message());
}

#[test]
fn juminhyo_in_the_window_with_the_real_forms_to_the_sent_pdf() {
    i_slint_backend_testing::init_no_event_loop();
    let dir = tempfile::tempdir().unwrap();
    let output = output_in(dir.path());
    let forms = catalog_forms();
    let answers = forms.demo_answers(&["juminhyo"]);
    let r = build(&Config { demo: true, ..Config::default() }, Box::new(forms), Box::new(output));
    let w = &r.ui.window;
    w.window().set_size(slint::PhysicalSize::new(1920, 1080));
    w.show().unwrap();

    tap(w, "はじめる");
    tap(w, "住民票の写しがほしい");
    assert_eq!(w.get_screen(), "card");
    w.invoke_place_demo_card("typical".into());
    for d in ["1", "2", "3", "4"] {
        tap(w, d);
    }
    tap(w, "確定");
    assert_eq!(w.get_screen(), "review", "{}", w.get_message());

    review_sign_confirm(&r, answers);
    assert!(w.get_pages().row_count() > 0, "a preview of the filled form");

    // The real PDF carries the card's name and address.
    let pdf = r.ui.session().rendered()[0].pdf.clone();
    let text = pdftotext(&pdf);
    let p = persona::builtin_by_id("typical").unwrap();
    assert!(text.contains(p.name.expose()), "name on the form:\n{text}");
    assert!(text.contains("住民票"), "{text}");

    tap(w, "送信");
    r.settle();
    assert_eq!(r.ui.session().step(), Step::Done, "{}", w.get_message());
    let receipt = w.get_receipt_id().to_string();
    assert!(receipt.starts_with("K09-"), "{receipt}");
    assert!(dir.path().join("export").join(format!("{receipt}-juminhyo.json")).exists(), "sent to the spool");
    tap(w, "おわる");
    assert!(!pdf.exists(), "the session's files are deleted at the end");
}
