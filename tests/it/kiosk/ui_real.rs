//! The window with the real forms and output layers: the 住民票の写し and 転入 flows driven by
//! touch through the Slint testing backend — navigation, choices (tapped inside their
//! question, scrolling the review screen to it), the kana keyboard and the phone keypad, the
//! signature and 送信 — to the filled PDFs, whose content is checked.

use std::sync::Arc;

use madoguchi::card::sim::persona;
use madoguchi::config::Config;
use madoguchi::output::{ExportConfig, OutputConfig};
use madoguchi::session::stage::Stage;
use madoguchi::ui::{ConfirmPage, DonePage, ProcedurePage};
use madoguchi::wiring::KioskOutput;
use slint::{ComponentHandle, Model as _};

use crate::support::kiosk_support::real::{demo_answers, pdftotext};
use crate::support::kiosk_support::{UiRig, ui_rig};
use crate::support::output_support;
use crate::support::ui_support::{answer_by_touch, init_with_renderer, screen, sign, tap};
use madoguchi::ui::Screen;

fn output_in(dir: &std::path::Path) -> Arc<KioskOutput> {
    let out_cfg = OutputConfig {
        outbox: output_support::outbox_config(&dir.join("outbox")),
        export: ExportConfig { enabled: true, spool_dir: dir.join("export"), ..ExportConfig::default() },
        ..OutputConfig::default()
    };
    Arc::new(KioskOutput::start(&out_cfg, "K09", false).expect("output layer"))
}

fn window(output: Arc<KioskOutput>) -> UiRig {
    init_with_renderer();
    let r = ui_rig(&Config { demo: true, ..Config::default() }, output);
    r.ui.window.window().set_size(slint::PhysicalSize::new(1920, 1080));
    r.ui.window.show().unwrap();
    r
}

/// Review → signature (when `signed`) → confirm: the answers by touch, 次へ, a finger
/// stroke, 次へ.
fn review_sign_confirm(r: &UiRig, procedures: &[&str], signed: bool) {
    let w = &r.ui.window;
    answer_by_touch(r, demo_answers(procedures).iter().map(|(k, v)| (k.to_string(), v.clone())).collect());
    tap(w, "次へ");
    if signed {
        let problems = crate::support::kiosk_support::review_problems(&r.ui.session());
        assert_eq!(screen(w), Screen::Signature, "{problems:?}");
        sign(w);
        tap(w, "次へ");
    }
    assert_eq!(screen(w), Screen::Confirm, "{:?}", r.ui.session().message());
}

fn pin(w: &madoguchi::ui::AppWindow, digits: &str) {
    for d in digits.chars() {
        tap(w, &d.to_string());
    }
    tap(w, "確定");
}

#[test]
fn moving_in_guide_in_the_window_fills_several_forms() {
    let dir = tempfile::tempdir().unwrap();
    let r = window(output_in(dir.path()));
    let w = &r.ui.window;
    tap(w, "はじめる");
    tap(w, "質問に答えて選ぶ");
    tap(w, "引っ越してきた（転入）");
    // The follow-up question of this life event appears; 「はい」 for children under 15.
    let asked = w.global::<ProcedurePage>().get_guide_questions().iter().any(|q| q.id == "children_under_15");
    assert!(asked, "the follow-up question appears");
    crate::support::ui_support::tap_in_question(
        w,
        "15歳未満（中学生まで）のお子さんも一緒に引っ越してきましたか",
        "はい",
    );
    tap(w, "この内容で進む");
    assert_eq!(screen(w), Screen::Card, "{:?}", r.ui.session().message());
    w.global::<madoguchi::ui::DemoPage>().invoke_place("long-address".into());
    pin(w, "5678");
    assert_eq!(screen(w), Screen::Review, "{:?}", r.ui.session().message());
    assert!(r.ui.session().stage().card().unwrap().my_number.is_some(), "児童手当 needs the 個人番号");
    review_sign_confirm(&r, &["tennyu", "jidou-teate"], true);
    let s = r.ui.session();
    let rendered = s.stage().rendered().unwrap();
    assert_eq!(rendered.forms.len(), 2, "住民異動届 and 児童手当認定請求書");
    let p = persona::builtin_by_id("long-address").unwrap();
    let all: String = rendered.forms.iter().map(|f| pdftotext(&f.pdf_path)).collect();
    let compact: String = all.chars().filter(|c| !c.is_whitespace()).collect();
    assert!(compact.contains(p.my_number.expose()), "個人番号 on 児童手当");
    drop(s);
    assert!(w.global::<ConfirmPage>().get_pages().row_count() >= 2, "a preview page per form");
    tap(w, "送信");
    r.settle();
    assert!(matches!(r.ui.session().stage(), Stage::Done(_)), "{:?}", r.ui.session().message());
}

#[test]
fn juminhyo_in_the_window_with_the_real_forms_to_the_sent_pdf() {
    let dir = tempfile::tempdir().unwrap();
    let r = window(output_in(dir.path()));
    let w = &r.ui.window;
    tap(w, "はじめる");
    tap(w, "住民票の写しがほしい");
    assert_eq!(screen(w), Screen::Card);
    w.global::<madoguchi::ui::DemoPage>().invoke_place("typical".into());
    pin(w, "1234");
    assert_eq!(screen(w), Screen::Review, "{:?}", r.ui.session().message());
    // The holder's own request: the PIN identified them, no signature.
    review_sign_confirm(&r, &["juminhyo"], false);
    assert!(w.global::<ConfirmPage>().get_pages().row_count() > 0, "a preview of the filled form");

    // The real PDF carries the card's name and the answers typed on the keyboards.
    let pdf = r.ui.session().stage().rendered().unwrap().forms[0].pdf_path.clone();
    let text = pdftotext(&pdf);
    let p = persona::builtin_by_id("typical").unwrap();
    assert!(text.contains(p.name.expose()), "name on the form:\n{text}");
    assert!(text.contains("住民票"), "{text}");
    let compact: String = text.chars().filter(|c| !c.is_whitespace()).collect();
    assert!(compact.contains("03-1234-5678") || compact.contains("0312345678"), "the phone number typed:\n{text}");

    tap(w, "送信");
    r.settle();
    assert!(matches!(r.ui.session().stage(), Stage::Done(_)), "{:?}", r.ui.session().message());
    let receipt = w.global::<DonePage>().get_receipt_id().to_string();
    assert!(receipt.starts_with("K09-"), "{receipt}");
    assert!(dir.path().join("export").join(format!("{receipt}-juminhyo.json")).exists(), "sent to the spool");
    tap(w, "おわる");
    assert!(!pdf.exists(), "the session's files are deleted at the end");
}
