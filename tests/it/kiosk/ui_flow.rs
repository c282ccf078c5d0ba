//! The kiosk window driven headless with Slint's testing backend: find buttons by their
//! accessible label and click them, as a resident would. Covers the 住民票の写し flow with a tap
//! count, card removal, the idle timeout and the touch-target size check.

use crate::support::kiosk_support;

use i_slint_backend_testing::{AccessibleRole, ElementHandle};
use madoguchi::config::{Config, DEFAULT_DPI};
use madoguchi::session::demo_forms::DemoForms;
use madoguchi::session::{NotWiredOutput, Step};
use slint::ComponentHandle;
use slint::platform::{PointerEventButton, WindowEvent};

use kiosk_support::rig::{UiRig, build};
use kiosk_support::{AcceptingOutput, SignatureWritingForms};

fn demo_cfg() -> Config {
    Config { demo: true, ..Config::default() }
}

fn setup(size: (u32, u32)) -> UiRig {
    i_slint_backend_testing::init_no_event_loop();
    let r = build(&demo_cfg(), Box::new(DemoForms), Box::new(NotWiredOutput));
    r.ui.window.window().set_size(slint::PhysicalSize::new(size.0, size.1));
    r.ui.window.show().unwrap();
    r
}

struct Taps<'a> {
    r: &'a UiRig,
    n: usize,
}

impl Taps<'_> {
    /// The one button (or, failing that, the one element of another role) labelled `label`.
    /// A button's own text also carries the label, so buttons win.
    fn find(&self, label: &str) -> ElementHandle {
        let hits: Vec<_> = ElementHandle::find_by_accessible_label(&self.r.ui.window, label).collect();
        let screen = self.r.ui.window.get_screen();
        assert!(!hits.is_empty(), "nothing labelled {label:?} on screen {screen}");
        let buttons: Vec<_> =
            hits.iter().filter(|h| h.accessible_role() == Some(AccessibleRole::Button)).cloned().collect();
        if buttons.is_empty() {
            // A labelled value (e.g. 氏名) next to its caption text: take the one with the value.
            let valued = hits.iter().find(|h| h.accessible_value().is_some_and(|v| !v.is_empty()));
            return valued.cloned().unwrap_or_else(|| hits[0].clone());
        }
        assert_eq!(buttons.len(), 1, "expected one button labelled {label:?} on screen {screen}");
        buttons.into_iter().next().unwrap()
    }
    fn tap(&mut self, label: &str) {
        self.find(label).mock_single_click(PointerEventButton::Left);
        self.n += 1;
    }
    /// A finger stroke across the signature pad counts as one tap.
    fn sign(&mut self) {
        let pad = self.find("署名欄");
        let p = pad.absolute_position();
        let s = pad.size();
        let w = self.r.ui.window.window();
        let pt = |fx: f32, fy: f32| slint::LogicalPosition::new(p.x + s.width * fx, p.y + s.height * fy);
        w.dispatch_event(WindowEvent::PointerPressed { position: pt(0.1, 0.6), button: PointerEventButton::Left });
        for i in 1..=8 {
            let f = i as f32 / 8.0;
            w.dispatch_event(WindowEvent::PointerMoved { position: pt(0.1 + 0.7 * f, 0.6 - 0.3 * (f * 6.0).sin()) });
        }
        w.dispatch_event(WindowEvent::PointerReleased { position: pt(0.8, 0.5), button: PointerEventButton::Left });
        self.n += 1;
    }
}

#[test]
fn juminhyo_resident_flow_by_touch_within_ten_taps_plus_pin() {
    let r = setup((1920, 1080));
    let mut t = Taps { r: &r, n: 0 };
    t.tap("はじめる");
    assert_eq!(r.ui.window.get_screen(), "procedure");
    t.tap("住民票の写し");
    assert_eq!(r.ui.window.get_screen(), "card");
    // Placing the card is not a tap on the screen: the demo persona picker stands in for the hand.
    r.ui.window.invoke_place_demo_card("typical".into());
    assert_eq!(r.ui.window.get_screen(), "pin");
    assert!(r.ui.window.get_pin_state_text().contains("あと3回"));
    let mut digits = 0;
    for d in ["1", "2", "3", "4"] {
        t.find(d).mock_single_click(PointerEventButton::Left);
        digits += 1;
    }
    assert_eq!(r.ui.window.get_pin_entered(), 4);
    t.tap("確定");
    assert_eq!(r.ui.window.get_screen(), "review", "{}", r.ui.window.get_message());
    // The card values are shown read-only.
    let name = t.find("氏名");
    assert_eq!(name.accessible_value().unwrap(), "山田 太郎");
    t.tap("世帯全員");
    t.tap("役所の手続き");
    t.tap("次へ");
    assert_eq!(r.ui.window.get_screen(), "signature");
    t.sign();
    assert!(!r.ui.session().signature().is_empty(), "the stroke reached the session");
    assert!(r.ui.window.get_strokes().starts_with("M "));
    t.tap("次へ");
    assert_eq!(r.ui.window.get_screen(), "confirm");
    // The demo forms are not wired: the confirm screen says so instead of showing a fake form.
    assert!(r.ui.window.get_message().contains("接続されていません"));
    // 印刷と送信 (both are offered) would be the last tap.
    let print = t.find("印刷と送信");
    assert_eq!(print.accessible_enabled(), Some(false), "no preview → nothing to print");
    let taps = t.n + 1;
    assert!(taps <= 10, "住民票の写し took {taps} taps plus {digits} PIN digits");
    assert_eq!(digits, 4);
}

#[test]
fn card_removed_mid_flow_goes_back_to_card_screen_with_message() {
    let r = setup((1920, 1080));
    let mut t = Taps { r: &r, n: 0 };
    t.tap("はじめる");
    t.tap("住民票の写し");
    r.ui.window.invoke_place_demo_card("typical".into());
    for d in ["1", "2", "3", "4"] {
        t.tap(d);
    }
    t.tap("確定");
    assert_eq!(r.ui.window.get_screen(), "review");
    r.hand.remove();
    r.clock.advance(1);
    r.ui.tick();
    assert_eq!(r.ui.window.get_screen(), "card");
    t.find("カードが取り外されました。もう一度カードを置いてください。");
    assert!(r.ui.session().attributes().is_none());
    assert_eq!(r.ui.window.get_fields().row_count_of(), 0, "no card values left on the window");
}

#[test]
fn idle_timeout_in_the_window_warns_then_wipes() {
    let r = setup((1920, 1080));
    let mut t = Taps { r: &r, n: 0 };
    t.tap("はじめる");
    t.tap("住民票の写し");
    r.ui.window.invoke_place_demo_card("typical".into());
    for d in ["1", "2", "3", "4"] {
        t.tap(d);
    }
    t.tap("確定");
    r.clock.advance(45);
    r.ui.tick();
    assert_eq!(r.ui.window.get_idle_seconds_left(), 15);
    t.tap("続ける");
    assert_eq!(r.ui.window.get_idle_seconds_left(), -1);
    r.clock.advance(60);
    r.ui.tick();
    assert_eq!(r.ui.window.get_screen(), "start");
    assert!(r.ui.session().attributes().is_none());
    assert_eq!(r.ui.window.get_edit_name(), "", "the name is gone from the window too");
}

trait RowCount {
    fn row_count_of(&self) -> usize;
}
impl<T> RowCount for slint::ModelRc<T> {
    fn row_count_of(&self) -> usize {
        slint::Model::row_count(self)
    }
}

/// Every button on the current screen, with its size in mm at `dpi`.
fn small_buttons(r: &UiRig, dpi: f32) -> Vec<String> {
    let mm = dpi / 25.4;
    let mut bad = Vec::new();
    let all: Vec<ElementHandle> = i_slint_backend_testing::ElementQuery::from_root(&r.ui.window)
        .match_descendants()
        .match_accessible_role(AccessibleRole::Button)
        .find_all();
    assert!(!all.is_empty(), "no buttons found on {}", r.ui.window.get_screen());
    for b in all {
        let s = b.size();
        if s.width < 10.0 * mm || s.height < 10.0 * mm {
            bad.push(format!(
                "{}: {:?} is {:.1}×{:.1} mm",
                r.ui.window.get_screen(),
                b.accessible_label().unwrap_or_default(),
                s.width / mm,
                s.height / mm
            ));
        }
    }
    bad
}

fn walk_every_screen(size: (u32, u32)) -> Vec<String> {
    i_slint_backend_testing::init_no_event_loop();
    let mut cfg = demo_cfg();
    cfg.clerk.pin_hash = madoguchi::config::hash_clerk_pin("2580").unwrap();
    let r = build(&cfg, Box::new(SignatureWritingForms), Box::new(AcceptingOutput));
    r.ui.window.window().set_size(slint::PhysicalSize::new(size.0, size.1));
    r.ui.window.show().unwrap();
    let w = &r.ui.window;
    let mut bad = Vec::new();
    let check = |bad: &mut Vec<String>| bad.extend(small_buttons(&r, DEFAULT_DPI));
    check(&mut bad); // start
    w.invoke_begin();
    check(&mut bad); // procedure catalogue
    w.invoke_show_guide();
    check(&mut bad); // guide
    w.invoke_guide_choose("g-move".into(), 0);
    w.invoke_guide_choose("g-children".into(), 1);
    w.invoke_guide_choose("g-kokuho".into(), 1);
    w.invoke_guide_done();
    check(&mut bad); // card with persona picker
    w.invoke_place_demo_card("typical".into());
    check(&mut bad); // pin
    w.invoke_clerk_show();
    check(&mut bad); // clerk panel, locked
    for d in [2, 5, 8, 0] {
        w.invoke_clerk_digit(d);
    }
    w.invoke_clerk_submit();
    assert!(w.get_clerk_unlocked(), "staff PIN should unlock: {}", w.get_clerk_message());
    w.invoke_clerk_close();
    for d in [1, 2, 3, 4] {
        w.invoke_pin_digit(d);
    }
    w.invoke_pin_submit();
    assert_eq!(w.get_screen(), "review");
    check(&mut bad); // review with date picker + kana field
    w.invoke_clerk_show();
    check(&mut bad); // clerk panel, unlocked, edit fields
    w.invoke_clerk_close();
    w.invoke_kana_start("furigana".into());
    check(&mut bad); // kana keyboard
    for k in ["ヤ", "マ", "ダ"] {
        w.invoke_kana_key(k.into());
    }
    w.invoke_kana_done();
    w.invoke_kana_start("prev-honseki".into());
    check(&mut bad); // place keyboard with 住所と同じ and the clerk's keyboard field
    w.invoke_kana_done();
    w.invoke_date_step("moved-on".into(), "d".into(), -1);
    w.invoke_review_next();
    assert_eq!(w.get_screen(), "signature", "{:?}", r.ui.session().problems());
    check(&mut bad);
    w.invoke_stroke_begin(50.0, 50.0);
    w.invoke_stroke_move(300.0, 200.0);
    w.invoke_sig_next();
    check(&mut bad); // confirm
    r.clock.advance(46);
    r.ui.tick();
    check(&mut bad); // idle warning
    w.invoke_keep_going();
    w.invoke_print();
    r.settle();
    assert_eq!(r.ui.session().step(), Step::Done);
    check(&mut bad); // done
    bad
}

#[test]
fn every_touch_target_is_at_least_10_mm_landscape() {
    let bad = walk_every_screen((1920, 1080));
    assert!(bad.is_empty(), "touch targets under 10 mm:\n{}", bad.join("\n"));
}

#[test]
fn every_touch_target_is_at_least_10_mm_portrait() {
    let bad = walk_every_screen((1080, 1920));
    assert!(bad.is_empty(), "touch targets under 10 mm:\n{}", bad.join("\n"));
}

#[test]
fn place_text_by_touch_same_as_address_and_by_a_clerk_keyboard() {
    use madoguchi::session::AnswerValue;
    i_slint_backend_testing::init_no_event_loop();
    let mut cfg = demo_cfg();
    cfg.clerk.pin_hash = madoguchi::config::hash_clerk_pin("2580").unwrap();
    let r = build(&cfg, Box::new(SignatureWritingForms), Box::new(AcceptingOutput));
    r.ui.window.window().set_size(slint::PhysicalSize::new(1920, 1080));
    r.ui.window.show().unwrap();
    let w = &r.ui.window;
    w.invoke_begin();
    w.invoke_choose_procedure(madoguchi::session::demo_forms::TENNYU.into());
    w.invoke_place_demo_card("typical".into());
    for d in [1, 2, 3, 4] {
        w.invoke_pin_digit(d);
    }
    w.invoke_pin_submit();
    assert_eq!(w.get_screen(), "review");
    let text = |r: &UiRig| match r.ui.session().answers().get("prev-honseki") {
        Some(AnswerValue::Text(t)) => t.expose().to_string(),
        _ => String::new(),
    };
    let mut t = Taps { r: &r, n: 0 };
    w.invoke_kana_start("prev-honseki".into());
    assert!(w.get_kana_place(), "本籍 gets the place keyboard");
    assert!(
        ElementHandle::find_by_accessible_label(w, "キーボード入力").next().is_none(),
        "no keyboard field without a clerk"
    );
    t.tap("住所と同じ");
    let address = madoguchi::card::sim::persona::builtin_by_id("typical").unwrap().address.expose().to_string();
    assert_eq!(text(&r), address);
    t.tap("1文字消す");
    t.tap("place:番地");
    assert_eq!(text(&r), format!("{}番地", &address[..address.len() - address.chars().last().unwrap().len_utf8()]));
    w.invoke_kana_done();
    // A clerk types kanji on a hardware keyboard (through its input method) into the field.
    r.unlock_clerk();
    w.invoke_kana_start("prev-honseki".into());
    let field =
        ElementHandle::find_by_accessible_label(w, "キーボード入力").next().expect("the clerk's keyboard field");
    field.set_accessible_value("北海道札幌市中央区北一条西二丁目1番地");
    assert_eq!(text(&r), "北海道札幌市中央区北一条西二丁目1番地");
    assert_eq!(w.get_kana_text(), "北海道札幌市中央区北一条西二丁目1番地");
    // The kana keyboard for フリガナ has neither.
    w.invoke_kana_done();
    w.invoke_kana_start("furigana".into());
    assert!(!w.get_kana_place());
}

#[test]
fn english_shows_the_templates_english_titles_and_labels() {
    use slint::Model as _;
    i_slint_backend_testing::init_no_event_loop();
    let forms = kiosk_support::real::catalog_forms();
    let r = build(&demo_cfg(), Box::new(forms), Box::new(AcceptingOutput));
    r.ui.window.window().set_size(slint::PhysicalSize::new(1920, 1080));
    r.ui.window.show().unwrap();
    let w = &r.ui.window;
    w.invoke_set_language("en".into());
    w.invoke_begin();
    let titles: Vec<String> = w.get_procedures().iter().map(|p| p.title.to_string()).collect();
    assert!(titles.iter().any(|t| t == "I need a copy of my resident record"), "{titles:?}");
    let cats: Vec<String> = w.get_procedures().iter().map(|p| p.category.to_string()).collect();
    assert!(cats.iter().any(|c| c == "Certificates"), "{cats:?}");
    w.invoke_show_guide();
    let first = w.get_guide_questions().iter().next().expect("the life-event question");
    assert_eq!(first.label.as_str(), "What brings you here today?");
    assert!(first.choices.iter().any(|c| c == "I moved into the city"));
    // Messages made in Rust follow the language too: the guide finished without an answer …
    w.invoke_guide_done();
    assert_eq!(w.get_message().as_str(), "Please choose \"What brings you here today?\".");
    // … the PIN screen and the card's labels …
    w.invoke_show_catalogue();
    w.invoke_choose_procedure("juminhyo".into());
    w.invoke_place_demo_card("typical".into());
    assert!(w.get_pin_state_text().starts_with("Please press your 4-digit PIN"), "{}", w.get_pin_state_text());
    for d in [1, 2, 3, 4] {
        w.invoke_pin_digit(d);
    }
    w.invoke_pin_submit();
    assert_eq!(w.get_screen(), "review");
    let labels: Vec<String> = w.get_fields().iter().map(|f| f.label.to_string()).collect();
    assert_eq!(labels, ["Name", "Address", "Date of birth", "Sex"]);
    let born = w.get_fields().iter().nth(2).map(|f| f.value.to_string()).unwrap_or_default();
    assert_eq!(born, "12 April 1985 (昭和60年4月12日)");
    // The templates' hints under the controls, in English where the template has it.
    let helps: Vec<String> = w.get_questions().iter().map(|q| q.help.to_string()).filter(|h| !h.is_empty()).collect();
    assert!(helps.iter().any(|h| h == "Shared by every form of the visit."), "{helps:?}");
    // … and the validation of the answers still missing.
    w.invoke_review_next();
    let problems: Vec<String> =
        w.get_questions().iter().map(|q| q.problem.to_string()).filter(|p| !p.is_empty()).collect();
    assert!(!problems.is_empty(), "required answers are missing");
    assert!(problems.iter().all(|p| p.starts_with("Please") && p.is_ascii()), "{problems:?}");
    // The clerk panel too (this configuration has no staff PIN).
    w.invoke_clerk_show();
    for d in [1, 1, 1, 1] {
        w.invoke_clerk_digit(d);
    }
    w.invoke_clerk_submit();
    assert!(w.get_clerk_message().starts_with("No staff PIN is set up"), "{}", w.get_clerk_message());
    w.invoke_clerk_close();
    // やさしい日本語 has its own wording, Japanese falls back to the source.
    w.invoke_set_language("ja-easy".into());
    assert!(w.get_fields().iter().any(|f| f.label == "なまえ"));
    w.invoke_set_language("ja".into());
    assert!(w.get_fields().iter().any(|f| f.label == "氏名"));
    assert!(w.get_questions().iter().any(|q| q.help == "この質問はお選びの書類すべてに共通です。"));
    w.invoke_cancel();
    // Back to Japanese: the same data in Japanese.
    w.invoke_set_language("ja".into());
    let titles: Vec<String> = w.get_procedures().iter().map(|p| p.title.to_string()).collect();
    assert!(titles.iter().any(|t| t == "住民票の写しがほしい"), "{titles:?}");
}

#[test]
fn the_start_screen_offers_only_the_configured_languages() {
    i_slint_backend_testing::init_no_event_loop();
    let buttons = |r: &UiRig, label: &str| {
        ElementHandle::find_by_accessible_label(&r.ui.window, label)
            .filter(|h| h.accessible_role() == Some(AccessibleRole::Button))
            .count()
    };
    // Japanese and English only: two buttons, and やさしい日本語 cannot be chosen.
    let cfg = Config { languages: vec!["ja".into(), "en".into()], ..demo_cfg() };
    let r = build(&cfg, Box::new(DemoForms), Box::new(NotWiredOutput));
    r.ui.window.show().unwrap();
    assert_eq!((buttons(&r, "日本語"), buttons(&r, "English"), buttons(&r, "やさしい にほんご")), (1, 1, 0));
    r.ui.window.invoke_set_language("ja-easy".into());
    assert_eq!(r.ui.window.get_language(), "ja");
    let english = ElementHandle::find_by_accessible_label(&r.ui.window, "English").next().unwrap();
    english.mock_single_click(PointerEventButton::Left);
    assert_eq!(r.ui.window.get_language(), "en");
    // English first: the kiosk starts in English; one language: no language row at all.
    let r =
        build(&Config { languages: vec!["en".into()], ..demo_cfg() }, Box::new(DemoForms), Box::new(NotWiredOutput));
    r.ui.window.show().unwrap();
    assert_eq!(r.ui.window.get_language(), "en");
    assert_eq!(buttons(&r, "日本語") + buttons(&r, "English"), 0);
}
