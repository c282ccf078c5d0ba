//! Thin Slint glue: session state → window properties (`view`), window callbacks → session
//! events (here). The clock is injected so tests drive time without sleeping.

pub mod headless;
pub mod images;
pub mod view;

use std::cell::RefCell;
use std::rc::Rc;
use std::time::{Duration, Instant};

use chrono::{Months, NaiveDate};
use slint::ComponentHandle;
use zeroize::Zeroizing;

use crate::card::SecretString;
use crate::card::sim::Persona;
use crate::config::{Config, TextSize};
use crate::i18n::Msg;
use crate::session::answers::AnswerValue;
use crate::session::services::QuestionKind;
use crate::session::{Event, OutputAction, PAD_H, PAD_W, Session, SimHandle, Step};

slint::include_modules!();

/// Where "now" comes from: the system clock in production, a hand-moved one in tests.
pub type Clock = Rc<dyn Fn() -> Instant>;

/// Demo wiring: the simulated reader's hand and the personas to pick from.
pub struct Demo {
    pub hand: SimHandle,
    pub personas: Vec<Persona>,
}

struct Shared {
    session: RefCell<Session>,
    clock: Clock,
    demo: Option<Demo>,
    clerk_hash: String,
    /// The configured languages: the only ones set-language accepts.
    cfg_languages: Vec<String>,
    clerk_pin: RefCell<Zeroizing<String>>,
    clerk_message: RefCell<Option<Msg>>,
    kana_target: RefCell<Option<String>>,
    today_override: std::cell::Cell<Option<NaiveDate>>,
}

/// The kiosk window bound to a session.
pub struct KioskUi {
    pub window: AppWindow,
    shared: Rc<Shared>,
}

pub use crate::i18n::slint_language;

fn step_date(d: NaiveDate, part: &str, delta: i32) -> NaiveDate {
    let r = match part {
        "y" => {
            if delta >= 0 {
                d.checked_add_months(Months::new(12 * delta as u32))
            } else {
                d.checked_sub_months(Months::new(12 * delta.unsigned_abs()))
            }
        }
        "m" => {
            if delta >= 0 {
                d.checked_add_months(Months::new(delta as u32))
            } else {
                d.checked_sub_months(Months::new(delta.unsigned_abs()))
            }
        }
        _ => d.checked_add_signed(chrono::Duration::days(delta as i64)),
    };
    r.unwrap_or(d)
}

impl KioskUi {
    pub fn new(
        cfg: &Config,
        session: Session,
        demo: Option<Demo>,
        clock: Clock,
    ) -> Result<KioskUi, slint::PlatformError> {
        let window = AppWindow::new()?;
        let theme = window.global::<Theme>();
        theme.set_dpi(cfg.screen.dpi);
        theme.set_high_contrast(cfg.screen.high_contrast);
        theme.set_large_text(cfg.screen.text_size == TextSize::Large);
        let lang = cfg.languages.first().cloned().unwrap_or_else(|| "ja".into());
        window.set_language(lang.as_str().into());
        // Not bundled (e.g. a trimmed build) → stay in Japanese, the source language.
        let _ = slint::select_bundled_translation(slint_language(&lang));
        // The start screen offers the configured languages, in the kiosk's order.
        let offered: Vec<LangItem> = crate::i18n::LANGUAGES
            .iter()
            .filter(|(code, _)| cfg.languages.iter().any(|l| l == code))
            .map(|(code, label)| LangItem { code: (*code).into(), label: (*label).into() })
            .collect();
        window.set_languages(slint::ModelRc::from(Rc::new(slint::VecModel::from(offered))));
        window.set_demo(demo.is_some());
        window.set_pad_width(PAD_W as f32);
        window.set_pad_height(PAD_H as f32);
        if let Some(d) = &demo {
            window.set_personas(slint::ModelRc::from(Rc::new(slint::VecModel::from(
                d.personas
                    .iter()
                    .map(|p| PersonaItem { id: p.id.as_str().into(), label: p.label.as_str().into() })
                    .collect::<Vec<_>>(),
            ))));
        }
        let shared = Rc::new(Shared {
            session: RefCell::new(session),
            clock,
            demo,
            clerk_hash: cfg.clerk.pin_hash.clone(),
            cfg_languages: cfg.languages.clone(),
            clerk_pin: RefCell::new(Zeroizing::new(String::new())),
            clerk_message: RefCell::new(None),
            kana_target: RefCell::new(None),
            today_override: std::cell::Cell::new(None),
        });
        let ui = KioskUi { window, shared };
        ui.bind();
        ui.refresh();
        Ok(ui)
    }

    /// The session, for tests and the CLI.
    pub fn session(&self) -> std::cell::Ref<'_, Session> {
        self.shared.session.borrow()
    }

    /// Fix the calendar date the date pickers start from (deterministic screenshots).
    pub fn set_today(&self, d: NaiveDate) {
        self.shared.today_override.set(Some(d));
        self.refresh();
    }

    /// Time passes (idle timeout, card polling, done auto-return), then redraw.
    pub fn tick(&self) {
        let now = (self.shared.clock)();
        self.shared.session.borrow_mut().tick(now);
        self.refresh();
    }

    pub fn refresh(&self) {
        refresh(&self.window, &self.shared);
    }

    /// Send one event, as a callback would.
    pub fn send(&self, ev: Event) {
        send(&self.window, &self.shared, ev);
    }

    /// Run the window with a 250 ms tick until it is closed.
    pub fn run(&self) -> Result<(), slint::PlatformError> {
        let timer = slint::Timer::default();
        let w = self.window.as_weak();
        let sh = self.shared.clone();
        timer.start(slint::TimerMode::Repeated, Duration::from_millis(250), move || {
            if let Some(w) = w.upgrade() {
                let now = (sh.clock)();
                sh.session.borrow_mut().tick(now);
                refresh(&w, &sh);
            }
        });
        self.window.run()
    }

    fn bind(&self) {
        let w = &self.window;
        macro_rules! on {
            ($setter:ident, |$sh:ident, $win:ident $(, $arg:ident : $t:ty)*| $body:expr) => {{
                let weak = w.as_weak();
                let $sh = self.shared.clone();
                w.$setter(move |$($arg: $t),*| {
                    if let Some($win) = weak.upgrade() {
                        $body;
                        refresh(&$win, &$sh);
                    }
                });
            }};
        }
        macro_rules! ev {
            ($setter:ident, $ev:expr) => {
                on!($setter, |sh, win| send(&win, &sh, $ev))
            };
        }
        ev!(on_begin, Event::Begin);
        ev!(on_back, Event::Back);
        ev!(on_cancel, Event::Cancel);
        ev!(on_keep_going, Event::Activity);
        ev!(on_show_guide, Event::ShowGuide);
        ev!(on_show_catalogue, Event::ShowCatalogue);
        ev!(on_guide_done, Event::GuideDone);
        ev!(on_pin_delete, Event::PinDelete);
        ev!(on_pin_submit, Event::PinSubmit);
        ev!(on_review_next, Event::ReviewDone);
        ev!(on_sig_clear, Event::SignatureClear);
        ev!(on_sig_undo, Event::SignatureUndo);
        ev!(on_sig_redo, Event::SignatureRedo);
        ev!(on_sig_next, Event::SignatureDone);
        ev!(on_print, Event::Deliver(OutputAction::Print));
        ev!(on_send, Event::Deliver(OutputAction::Send));
        ev!(on_print_and_send, Event::Deliver(OutputAction::PrintAndSend));
        ev!(on_finish, Event::Finish);
        ev!(on_clerk_allow_last_try, Event::ClerkAllowLastTry);
        ev!(on_clerk_reprint, Event::Deliver(OutputAction::Print));
        on!(on_clerk_lock, |sh, win| {
            send(&win, &sh, Event::ClerkLock);
            win.set_clerk_open(false);
        });
        on!(on_choose_procedure, |sh, win, id: slint::SharedString| send(&win, &sh, Event::ChooseProcedure(id.into())));
        on!(on_pin_digit, |sh, win, d: i32| send(&win, &sh, Event::PinDigit(d.clamp(0, 9) as u8)));
        on!(on_stroke_begin, |sh, win, x: f32, y: f32| send(&win, &sh, Event::StrokeBegin(x, y)));
        on!(on_stroke_move, |sh, win, x: f32, y: f32| send(&win, &sh, Event::StrokeMove(x, y)));
        on!(on_set_language, |sh, win, l: slint::SharedString| {
            // Only a language this kiosk offers.
            if !sh.cfg_languages.iter().any(|c| c.as_str() == l.as_str()) {
                return;
            }
            let _ = slint::select_bundled_translation(slint_language(&l));
            win.set_language(l);
        });
        on!(on_toggle_large_text, |sh, win| {
            let _ = &sh;
            let t = win.global::<Theme>();
            t.set_large_text(!t.get_large_text());
        });
        on!(on_toggle_contrast, |sh, win| {
            let _ = &sh;
            let t = win.global::<Theme>();
            t.set_high_contrast(!t.get_high_contrast());
        });
        on!(on_guide_choose, |sh, win, id: slint::SharedString, i: i32| {
            let v = {
                let s = sh.session.borrow();
                answer_for(&s.forms().guide_questions(s.guide_answers()), &id, i)
            };
            if let Some(v) = v {
                send(&win, &sh, Event::GuideAnswer(id.into(), v));
            }
        });
        on!(on_answer_choose, |sh, win, id: slint::SharedString, i: i32| {
            let v = answer_for(sh.session.borrow().questions(), &id, i);
            if let Some(v) = v {
                send(&win, &sh, Event::Answer(id.into(), v));
            }
        });
        on!(on_count_step, |sh, win, id: slint::SharedString, d: i32| {
            let cur = match sh.session.borrow().answers().get(&id) {
                Some(AnswerValue::Count(n)) => *n as i64,
                _ => 0,
            };
            let n = (cur + d as i64).max(0) as u32;
            send(&win, &sh, Event::Answer(id.into(), AnswerValue::Count(n)));
        });
        on!(on_date_step, |sh, win, id: slint::SharedString, part: slint::SharedString, d: i32| {
            let today = today(&sh);
            let cur = view::date_of(&sh.session.borrow(), &id, today);
            send(&win, &sh, Event::Answer(id.into(), AnswerValue::Date(step_date(cur, &part, d))));
        });
        on!(on_kana_start, |sh, win, id: slint::SharedString| {
            let _ = &win;
            *sh.kana_target.borrow_mut() = Some(id.into());
        });
        on!(on_kana_key, |sh, win, k: slint::SharedString| kana_edit(&win, &sh, |t| t.push_str(&k)));
        on!(on_kana_backspace, |sh, win| kana_edit(&win, &sh, |t| {
            t.pop();
        }));
        on!(on_kana_same_as_address, |sh, win| {
            let address = sh.session.borrow().current_address();
            if let Some(a) = address {
                kana_edit(&win, &sh, |t| {
                    t.clear();
                    t.push_str(a.expose());
                });
            }
        });
        on!(on_kana_set, |sh, win, text: slint::SharedString| kana_edit(&win, &sh, |t| {
            t.clear();
            t.push_str(&text);
        }));
        on!(on_kana_done, |sh, win| {
            let _ = &win;
            *sh.kana_target.borrow_mut() = None;
        });
        on!(on_place_demo_card, |sh, win, id: slint::SharedString| {
            if let Some(d) = &sh.demo
                && let Some(p) = d.personas.iter().find(|p| p.id == id.as_str())
            {
                d.hand.insert(p.clone());
            }
            let now = (sh.clock)();
            sh.session.borrow_mut().tick(now);
            let _ = &win;
        });
        on!(on_clerk_show, |sh, win| {
            *sh.clerk_message.borrow_mut() = None;
            win.set_clerk_open(true);
        });
        on!(on_clerk_close, |sh, win| {
            sh.clerk_pin.borrow_mut().clear();
            win.set_clerk_open(false);
        });
        on!(on_clerk_digit, |sh, win, d: i32| {
            let _ = &win;
            let mut p = sh.clerk_pin.borrow_mut();
            if p.len() < 12 && (0..=9).contains(&d) {
                p.push(char::from(b'0' + d as u8));
            }
        });
        on!(on_clerk_delete, |sh, win| {
            let _ = &win;
            sh.clerk_pin.borrow_mut().pop();
        });
        on!(on_clerk_submit, |sh, win| {
            let pin = std::mem::replace(&mut *sh.clerk_pin.borrow_mut(), Zeroizing::new(String::new()));
            if sh.clerk_hash.is_empty() {
                *sh.clerk_message.borrow_mut() =
                    Some(Msg::new("職員用暗証番号が設定されていません(設定ファイルの clerk.pin_hash)。"));
            } else if crate::config::verify_clerk_pin(&pin, &sh.clerk_hash) {
                *sh.clerk_message.borrow_mut() = None;
                send(&win, &sh, Event::ClerkUnlocked);
            } else {
                *sh.clerk_message.borrow_mut() = Some(Msg::new("暗証番号が違います。"));
            }
        });
        on!(on_clerk_save_edits, |sh, win, name: slint::SharedString, address: slint::SharedString| {
            send(&win, &sh, Event::ClerkEdit("name".into(), SecretString::new(name.as_str())));
            send(&win, &sh, Event::ClerkEdit("address".into(), SecretString::new(address.as_str())));
        });
    }
}

fn today(sh: &Shared) -> NaiveDate {
    // The session clock is monotonic; the calendar date comes from the wall clock.
    sh.today_override.get().unwrap_or_else(|| chrono::Local::now().date_naive())
}

/// The answer a tap on choice `i` of question `id` means.
fn answer_for(qs: &[crate::session::services::Question], id: &str, i: i32) -> Option<AnswerValue> {
    let q = qs.iter().find(|q| q.id == id)?;
    match &q.kind {
        QuestionKind::Choice(cs) => cs.get(usize::try_from(i).ok()?).map(|c| AnswerValue::Choice(c.id.clone())),
        QuestionKind::YesNo => Some(AnswerValue::YesNo(i == 0)),
        _ => None,
    }
}

fn kana_edit(w: &AppWindow, sh: &Shared, f: impl FnOnce(&mut String)) {
    let Some(id) = sh.kana_target.borrow().clone() else { return };
    let mut text = Zeroizing::new(match sh.session.borrow().answers().get(&id) {
        Some(AnswerValue::Text(t)) => t.expose().to_string(),
        _ => String::new(),
    });
    f(&mut text);
    send(w, sh, Event::Answer(id, AnswerValue::Text(SecretString::new(text.as_str()))));
}

fn send(_w: &AppWindow, sh: &Shared, ev: Event) {
    let now = (sh.clock)();
    sh.session.borrow_mut().handle(ev, now);
}

fn refresh(w: &AppWindow, sh: &Shared) {
    let now = (sh.clock)();
    let s = sh.session.borrow();
    view::apply(w, &s, now, today(sh));
    w.set_clerk_entered(sh.clerk_pin.borrow().len() as i32);
    let lang = w.get_language();
    w.set_clerk_message(sh.clerk_message.borrow().as_ref().map(|m| m.render(&lang)).unwrap_or_default().into());
    let target = sh.kana_target.borrow();
    match (&*target, s.step()) {
        (Some(id), Step::Review) => {
            let q = s.questions().iter().find(|q| &q.id == id);
            w.set_kana_open(q.is_some());
            w.set_kana_place(q.is_some_and(|q| matches!(q.kind, QuestionKind::Text { .. })));
            w.set_kana_label(q.map_or("", |q| view::in_language(&q.label_ja, &q.label_en, &lang)).into());
            w.set_kana_text(match s.answers().get(id) {
                Some(AnswerValue::Text(t)) => t.expose().into(),
                _ => "".into(),
            });
        }
        _ => {
            w.set_kana_open(false);
            w.set_kana_text("".into());
        }
    }
}
