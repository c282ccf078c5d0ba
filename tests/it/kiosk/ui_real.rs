//! The window with the real forms and output layers: the 住民票の写し flow driven through the
//! Slint testing backend — navigation, choices (tapped inside their question, scrolling the
//! review screen to it), signature and 送信 by touch — to the filled PDF, whose content is
//! checked.

use crate::support::kiosk_support;
use crate::support::output_support;

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

/// Each answer as the resident gives it: a choice or yes/no by tapping its button inside the
/// question's group (labels such as はい repeat across questions), a count with +/−. Dates
/// and free text go through the session event their pickers fire (the date and place/kana
/// keyboards are driven by touch in kiosk_ui_flow.rs). Questions appear as earlier answers
/// ask for them (a second child's row after the count is 2): answer what is on screen until
/// nothing more appears; sample answers to questions never shown (a proxy's 委任状 when the
/// resident asks for themself) are not given.
fn answer(r: &kiosk_support::rig::UiRig, mut pending: Vec<(String, AnswerValue)>) {
    loop {
        let shown = |id: &str| r.ui.session().questions().iter().any(|q| q.id == id);
        let (now, later): (Vec<_>, Vec<_>) = pending.into_iter().partition(|(id, _)| shown(id));
        if now.is_empty() {
            break;
        }
        for (id, v) in now {
            answer_one(r, id, v);
        }
        pending = later;
    }
}

fn answer_one(r: &kiosk_support::rig::UiRig, id: String, v: AnswerValue) {
    let w = &r.ui.window;
    let q = r.ui.session().questions().iter().find(|q| q.id == id).cloned().expect("shown");
    let button = match (&q.kind, &v) {
        (QuestionKind::Choice(cs), AnswerValue::Choice(c)) => {
            cs.iter().find(|x| &x.id == c).map(|x| x.label_ja.clone())
        }
        (QuestionKind::YesNo, AnswerValue::YesNo(b)) => Some(if *b { "はい" } else { "いいえ" }.to_string()),
        (QuestionKind::Count { .. }, AnswerValue::Count(n)) => {
            let now = match r.ui.session().answers().get(&id) {
                Some(AnswerValue::Count(c)) => *c,
                _ => 0,
            };
            let (label, times) = if *n >= now { ("ふやす", n - now) } else { ("へらす", now - n) };
            for _ in 0..times {
                tap_scrolled(w, &format!("{} {label}", q.label_ja));
            }
            None
        }
        _ => {
            r.ui.send(Event::Answer(id.clone(), v.clone()));
            None
        }
    };
    if let Some(label) = button {
        tap_in_question(w, &q.label_ja, &label);
    }
    r.ui.refresh();
    assert_eq!(r.ui.session().answers().get(&id), Some(&v), "answer to {id}");
}

/// Tap the button labelled `label` inside the question labelled `question`, scrolling the
/// review screen to it first as a finger would.
fn tap_in_question(w: &madoguchi::ui::AppWindow, question: &str, label: &str) {
    let find = || {
        let group = ElementHandle::find_by_accessible_label(w, question)
            .find(|h| h.accessible_role() == Some(AccessibleRole::Groupbox))?;
        let wanted = label.to_string();
        let hits = group
            .query_descendants()
            .match_accessible_role(AccessibleRole::Button)
            .match_predicate(move |h| h.accessible_label().is_some_and(|l| l == wanted.as_str()))
            .find_all();
        assert!(hits.len() <= 1, "one button {label:?} in question {question:?}");
        hits.into_iter().next()
    };
    scroll_to(w, &format!("{question} / {label}"), find).mock_single_click(PointerEventButton::Left);
}

/// The testing backend with the software renderer: scrolling to a question needs the screen
/// laid out as it is drawn.
fn init_with_renderer() {
    use i_slint_backend_testing::{TestingBackend, TestingBackendOptions};
    slint::platform::set_platform(Box::new(TestingBackend::new(TestingBackendOptions {
        mock_time: true,
        threading: false,
        renderer_name: Some("software".into()),
    })))
    .expect("one platform per test thread");
}

/// Tap a button by its own (unique) label, scrolling to it first.
fn tap_scrolled(w: &madoguchi::ui::AppWindow, label: &str) {
    let find = || {
        ElementHandle::find_by_accessible_label(w, label).find(|h| h.accessible_role() == Some(AccessibleRole::Button))
    };
    scroll_to(w, label, find).mock_single_click(PointerEventButton::Left);
}

/// Scroll with the wheel (a drag on a touch screen) until what `find` finds lies between the
/// title bar and the 次へ bar.
fn scroll_to(w: &madoguchi::ui::AppWindow, what: &str, find: impl Fn() -> Option<ElementHandle>) -> ElementHandle {
    let win = w.window();
    let size = win.size().to_logical(win.scale_factor());
    // Below the title bar, above the bar with 次へ.
    let band_top = 90.0;
    let band_bottom = ElementHandle::find_by_accessible_label(w, "次へ")
        .find(|h| h.accessible_role() == Some(AccessibleRole::Button))
        .map_or(size.height, |h| h.absolute_position().y);
    let middle = slint::LogicalPosition::new(size.width / 2.0, size.height / 2.0);
    let scroll =
        |dy: f32| win.dispatch_event(WindowEvent::PointerScrolled { position: middle, delta_x: 0.0, delta_y: dy });
    // Rows far off screen are not instantiated: not found yet → scroll down, then back up.
    let mut misses = 0;
    for _ in 0..80 {
        // Rendering lays the screen out and instantiates the rows now in view.
        win.take_snapshot().expect("software renderer snapshot");
        let Some(h) = find() else {
            misses += 1;
            scroll(if misses <= 25 { -300.0 } else { 300.0 });
            continue;
        };
        let top = h.absolute_position().y;
        let bottom = top + h.size().height;
        // Half a pixel of slack: scroll positions are fractional.
        if top < band_top - 0.5 {
            scroll((band_top - top + 10.0).min(300.0));
        } else if bottom > band_bottom + 0.5 {
            scroll(-(bottom - band_bottom + 10.0).min(300.0));
        } else {
            return h;
        }
    }
    let model: Vec<String> = w.get_questions().iter().map(|q| q.label.to_string()).collect();
    panic!("{what:?} cannot be brought into view on screen {} (questions: {model:?})", w.get_screen())
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
    init_with_renderer();
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
    init_with_renderer();
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
