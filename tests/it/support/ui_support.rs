//! Driving the kiosk window as a finger would, through Slint's testing backend: buttons found
//! by their accessible label, choices tapped inside their question, the review screen scrolled
//! to a question, strokes on the signature pad, keys on the on-screen keyboards.

use i_slint_backend_testing::{AccessibleRole, ElementHandle};
use madoguchi::session::stage::Stage;
use madoguchi::ui::{AppWindow, ReviewPage};
use madoguchi::vocab::{AnswerValue, QuestionKind};
use slint::platform::{PointerEventButton, WindowEvent};
use slint::{ComponentHandle, Model as _};

use super::kiosk_support::UiRig;

/// The testing backend with the software renderer: scrolling to a question needs the screen
/// laid out as it is drawn. One platform per test thread: a second call keeps the first.
pub fn init_with_renderer() {
    use i_slint_backend_testing::{TestingBackend, TestingBackendOptions};
    let _already_set = slint::platform::set_platform(Box::new(TestingBackend::new(TestingBackendOptions {
        mock_time: true,
        threading: false,
        renderer_name: Some("software".into()),
    })));
}

/// The one button (or, failing that, the one element of another role) labelled `label`.
/// A button's own text also carries the label, so buttons win.
pub fn find(w: &AppWindow, label: &str) -> ElementHandle {
    let hits: Vec<_> = ElementHandle::find_by_accessible_label(w, label).collect();
    assert!(!hits.is_empty(), "nothing labelled {label:?} on screen {:?}", screen(w));
    let buttons: Vec<_> =
        hits.iter().filter(|h| h.accessible_role() == Some(AccessibleRole::Button)).cloned().collect();
    if buttons.is_empty() {
        // A labelled value (e.g. 氏名) next to its caption text: take the one with the value.
        let valued = hits.iter().find(|h| h.accessible_value().is_some_and(|v| !v.is_empty()));
        return valued.cloned().unwrap_or_else(|| hits[0].clone());
    }
    assert_eq!(buttons.len(), 1, "expected one button labelled {label:?} on screen {:?}", screen(w));
    buttons.into_iter().next().unwrap()
}

pub fn screen(w: &AppWindow) -> madoguchi::ui::Screen {
    w.global::<madoguchi::ui::Kiosk>().get_screen()
}

pub fn tap(w: &AppWindow, label: &str) {
    find(w, label).mock_single_click(PointerEventButton::Left);
}

/// Taps counted, as the tap-count measure of a flow.
pub struct Taps<'a> {
    pub w: &'a AppWindow,
    pub n: usize,
}

impl Taps<'_> {
    pub fn tap(&mut self, label: &str) {
        tap(self.w, label);
        self.n += 1;
    }
    pub fn tap_in_question(&mut self, question: &str, label: &str) {
        tap_in_question(self.w, question, label);
        self.n += 1;
    }
}

/// A finger stroke across the signature pad.
pub fn sign(w: &AppWindow) {
    let pad = find(w, "署名欄");
    let (p, s) = (pad.absolute_position(), pad.size());
    let at = |fx: f32, fy: f32| slint::LogicalPosition::new(p.x + s.width * fx, p.y + s.height * fy);
    let win = w.window();
    win.dispatch_event(WindowEvent::PointerPressed { position: at(0.1, 0.6), button: PointerEventButton::Left });
    for i in 1..=8 {
        let f = i as f32 / 8.0;
        win.dispatch_event(WindowEvent::PointerMoved { position: at(0.1 + 0.7 * f, 0.6 - 0.3 * (f * 6.0).sin()) });
    }
    win.dispatch_event(WindowEvent::PointerReleased { position: at(0.8, 0.5), button: PointerEventButton::Left });
}

/// Tap the button labelled `label` inside the question labelled `question`, scrolling the
/// review screen to it first as a finger would.
pub fn tap_in_question(w: &AppWindow, question: &str, label: &str) {
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

/// Tap a button by its own (unique) label, scrolling to it first.
pub fn tap_scrolled(w: &AppWindow, label: &str) {
    let find = || {
        ElementHandle::find_by_accessible_label(w, label).find(|h| h.accessible_role() == Some(AccessibleRole::Button))
    };
    scroll_to(w, label, find).mock_single_click(PointerEventButton::Left);
}

/// Scroll with the wheel (a drag on a touch screen) until what `find` finds lies between the
/// title bar and the 次へ bar.
pub fn scroll_to(w: &AppWindow, what: &str, find: impl Fn() -> Option<ElementHandle>) -> ElementHandle {
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
    let model: Vec<String> = w.global::<ReviewPage>().get_questions().iter().map(|q| q.label.to_string()).collect();
    panic!("{what:?} cannot be brought into view on screen {:?} (questions: {model:?})", screen(w))
}

/// Type `text` on the open on-screen keyboard, key by key (`prefix`: "kana:", "place:" or
/// "phone:"); returns the number of taps.
pub fn type_keys(w: &AppWindow, prefix: &str, text: &str) -> usize {
    let mut n = 0;
    for c in text.chars() {
        let label = if c == '　' || c == ' ' { "空白".to_string() } else { format!("{prefix}{c}") };
        tap(w, &label);
        n += 1;
    }
    n
}

/// Each answer as the resident gives it, counting taps: a choice or yes/no by tapping its
/// button inside the question's group (labels such as はい repeat across questions), a count
/// with +/−, text on the question's own on-screen keyboard (kana, phone keypad; place text
/// through the clerk's keyboard field when `clerk_text`, else typed on the place keys), a date
/// through its picker's event. Questions appear as earlier answers ask for them: answer what
/// is on screen until nothing more appears; answers to questions never shown are not given.
pub fn answer_by_touch(r: &UiRig, mut pending: Vec<(String, AnswerValue)>) -> usize {
    let mut taps = 0;
    loop {
        let shown = |id: &str| questions(r).iter().any(|q| q.id == id);
        let (now, later): (Vec<_>, Vec<_>) = pending.into_iter().partition(|(id, _)| shown(id));
        if now.is_empty() {
            break;
        }
        for (id, v) in now {
            taps += answer_one(r, id, v);
        }
        pending = later;
    }
    taps
}

pub fn questions(r: &UiRig) -> Vec<madoguchi::vocab::Question> {
    match r.ui.session().stage() {
        Stage::Review(rv) => rv.questions.clone(),
        _ => Vec::new(),
    }
}

pub fn answer_of(r: &UiRig, id: &str) -> Option<AnswerValue> {
    r.ui.session().stage().answers().and_then(|a| a.get(id).cloned())
}

fn answer_one(r: &UiRig, id: String, v: AnswerValue) -> usize {
    let w = &r.ui.window;
    let mut want = v.clone();
    let q = questions(r).into_iter().find(|q| q.id == id).expect("shown");
    let label = q.label.ja.clone();
    let mut taps = 0;
    match (&q.kind, &v) {
        (QuestionKind::Choice(cs), AnswerValue::Choice(c)) => {
            let choice = cs.iter().find(|x| &x.id == c).map(|x| x.label.ja.clone()).expect("choice");
            tap_in_question(w, &label, &choice);
            taps += 1;
        }
        (QuestionKind::YesNo, AnswerValue::YesNo(b)) => {
            if answer_of(r, &id).as_ref() != Some(&v) {
                tap_in_question(w, &label, if *b { "はい" } else { "いいえ" });
                taps += 1;
            }
        }
        (QuestionKind::Count { .. }, AnswerValue::Count(n)) => {
            let now = match answer_of(r, &id) {
                Some(AnswerValue::Count(c)) => c,
                _ => 0,
            };
            let (button, times) = if *n >= now { ("ふやす", n - now) } else { ("へらす", now - n) };
            for _ in 0..times {
                tap_scrolled(w, &format!("{label} {button}"));
                taps += 1;
            }
        }
        (QuestionKind::Kana { .. } | QuestionKind::Phone, AnswerValue::Text(t)) => {
            tap_scrolled(w, &format!("{label} 入力する"));
            let prefix = if matches!(q.kind, QuestionKind::Phone) { "phone:" } else { "kana:" };
            taps += 1 + type_keys(w, prefix, t.expose());
            tap(w, "入力おわり");
            taps += 1;
            // The keyboard's space key is the full-width one.
            want = AnswerValue::Text(madoguchi::vocab::person::SecretString::new(t.expose().replace(' ', "　")));
        }
        _ => {
            // Dates, and place text that needs kanji (a clerk's keyboard): their pickers'
            // events, as kiosk/ui_flow.rs drives them by touch.
            r.ui.send(madoguchi::session::Event::Answer(id.clone(), v.clone()));
        }
    }
    r.ui.refresh();
    assert_eq!(answer_of(r, &id), Some(want), "answer to {id}");
    taps
}
