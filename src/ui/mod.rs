//! Thin Slint glue: window callbacks → session events (here), session state → the screens'
//! globals ([`view`]). No rules live here: what a tap means is the session's business.

pub mod headless;
pub mod images;
mod models;
pub mod scanner;
pub mod view;

use std::cell::RefCell;
use std::rc::Rc;
use std::time::Duration;

use slint::ComponentHandle;

use crate::session::{Event, OutputAction, PAD_H, PAD_W, Session};
use crate::vocab::person::SecretString;
slint::include_modules!();

pub use crate::i18n::slint_language;

/// The demo's fictitious cards behind the card screen's 「デモ:置くカード」 buttons (the
/// wiring's virtual reader; the UI knows nothing else of it).
pub trait DemoCards {
    /// Each card as (id, label).
    fn cards(&self) -> Vec<(String, String)>;
    /// Place card `id` on the reader (an unknown id does nothing).
    fn place(&self, id: &str);
}

struct Shared {
    session: RefCell<Session>,
    demo: Option<Box<dyn DemoCards>>,
    models: models::Models,
    /// The Slint translation now selected (switched only when the session's language changes).
    shown_language: RefCell<String>,
    /// The session revision last drawn (`None`: never).
    shown_revision: std::cell::Cell<Option<u64>>,
    /// Digits the scanner (or a keyboard) typed, held back until Enter or a pause.
    scanner: RefCell<scanner::ScanBuffer>,
    /// Fires after a pause in held digits: a person typed them, give them back.
    scan_pause: slint::Timer,
    /// Held digits are being given back to the focused element: let them through.
    typing_back: std::cell::Cell<bool>,
}

/// A pause this long between digits ends a scan that has no Enter yet: the digits were typed
/// by a person (a scanner types a code's digits a few milliseconds apart).
pub const SCAN_PAUSE: Duration = Duration::from_millis(300);

/// The kiosk window bound to a session.
pub struct KioskUi {
    pub window: AppWindow,
    shared: Rc<Shared>,
}

impl KioskUi {
    pub fn new(
        cfg: &crate::config::Config,
        session: Session,
        demo: Option<Box<dyn DemoCards>>,
    ) -> Result<KioskUi, slint::PlatformError> {
        let window = AppWindow::new()?;
        window.global::<Theme>().set_dpi(cfg.screen.dpi);
        let shared = Rc::new(Shared {
            session: RefCell::new(session),
            demo,
            models: models::Models::default(),
            shown_language: RefCell::new(String::new()),
            shown_revision: std::cell::Cell::new(None),
            scanner: RefCell::default(),
            scan_pause: slint::Timer::default(),
            typing_back: std::cell::Cell::new(false),
        });
        view::bind_models(&window, &shared.models);
        // The start screen offers the configured languages, in the kiosk's order.
        let offered: Vec<LangItem> = shared
            .session
            .borrow()
            .languages()
            .iter()
            .filter_map(|code| crate::i18n::language(code))
            .map(|l| LangItem { code: l.code.as_str().into(), label: l.name.as_str().into() })
            .collect();
        models::sync(&shared.models.languages, offered);
        if let Some(d) = &shared.demo {
            models::sync(
                &shared.models.personas,
                d.cards().into_iter().map(|(id, label)| PersonaItem { id: id.into(), label: label.into() }).collect(),
            );
        }
        window.global::<DemoPage>().set_demo(shared.demo.is_some());
        let sig = window.global::<SignaturePage>();
        sig.set_pad_width(PAD_W as f32);
        sig.set_pad_height(PAD_H as f32);
        let ui = KioskUi { window, shared };
        ui.bind();
        ui.refresh();
        Ok(ui)
    }

    /// The session, for tests and the CLI.
    pub fn session(&self) -> std::cell::Ref<'_, Session> {
        self.shared.session.borrow()
    }

    /// Time passes (idle timeout, card polling, done auto-return), then redraw.
    pub fn tick(&self) {
        self.shared.session.borrow_mut().tick();
        self.refresh();
    }

    pub fn refresh(&self) {
        refresh(&self.window, &self.shared);
    }

    /// Draw everything again (e.g. after a window resize in a test).
    pub fn redraw(&self) {
        self.shared.shown_revision.set(None);
        self.refresh();
    }

    /// Send one event, as a callback would, and redraw.
    pub fn send(&self, ev: Event) {
        self.shared.session.borrow_mut().handle(ev);
        self.refresh();
    }

    /// Run the window with a 250 ms tick until it is closed.
    pub fn run(&self) -> Result<(), slint::PlatformError> {
        let timer = slint::Timer::default();
        let w = self.window.as_weak();
        let sh = self.shared.clone();
        timer.start(slint::TimerMode::Repeated, Duration::from_millis(250), move || {
            if let Some(w) = w.upgrade() {
                sh.session.borrow_mut().tick();
                refresh(&w, &sh);
            }
        });
        self.window.run()
    }

    fn bind(&self) {
        let w = &self.window;
        macro_rules! on {
            ($global:ident . $setter:ident, || $ev:expr) => {
                on!($global.$setter, | | $ev)
            };
            ($global:ident . $setter:ident, |$($arg:ident : $t:ty),*| $ev:expr) => {{
                let weak = w.as_weak();
                let sh = self.shared.clone();
                w.global::<$global>().$setter(move |$($arg: $t),*| {
                    if let Some(win) = weak.upgrade() {
                        let ev: Option<Event> = $ev;
                        if let Some(ev) = ev {
                            sh.session.borrow_mut().handle(ev);
                        }
                        refresh(&win, &sh);
                    }
                });
            }};
        }
        fn s(x: slint::SharedString) -> String {
            x.into()
        }
        fn index(i: i32) -> usize {
            usize::try_from(i).unwrap_or(usize::MAX)
        }
        fn digit(d: i32) -> u8 {
            u8::try_from(d.clamp(0, 9)).unwrap_or(0)
        }
        on!(Kiosk.on_back, || Some(Event::Back));
        on!(Kiosk.on_cancel, || Some(Event::Cancel));
        on!(Kiosk.on_keep_going, || Some(Event::Activity));
        on!(StartPage.on_begin, || Some(Event::Begin));
        on!(StartPage.on_check_card, || Some(Event::CheckCard));
        on!(CheckPage.on_print, || Some(Event::PrintCardAdvice));
        on!(CheckPage.on_apply, |id: slint::SharedString| Some(Event::ChooseProcedure(s(id))));
        on!(StartPage.on_set_language, |l: slint::SharedString| Some(Event::SetLanguage(s(l))));
        on!(StartPage.on_toggle_large_text, || Some(Event::ToggleLargeText));
        on!(StartPage.on_toggle_contrast, || Some(Event::ToggleContrast));
        on!(ProcedurePage.on_choose, |id: slint::SharedString| Some(Event::ChooseProcedure(s(id))));
        on!(ProcedurePage.on_show_guide, || Some(Event::ShowGuide));
        on!(ProcedurePage.on_show_catalogue, || Some(Event::ShowCatalogue));
        on!(ProcedurePage.on_answer, |id: slint::SharedString, i: i32| Some(Event::Choose {
            question: s(id),
            index: index(i)
        }));
        on!(ProcedurePage.on_guide_done, || Some(Event::GuideDone));
        on!(PinPage.on_digit, |d: i32| Some(Event::PinDigit(digit(d))));
        on!(PinPage.on_delete, || Some(Event::PinDelete));
        on!(PinPage.on_submit, || Some(Event::PinSubmit));
        on!(PinPage.on_call_clerk, || Some(Event::ClerkPanel(true)));
        on!(ReviewPage.on_choose, |id: slint::SharedString, i: i32| Some(Event::Choose {
            question: s(id),
            index: index(i)
        }));
        on!(ReviewPage.on_count_step, |id: slint::SharedString, d: i32| Some(Event::CountStep(s(id), d)));
        on!(ReviewPage.on_date_step, |id: slint::SharedString, part: self::DatePart, d: i32| Some(Event::DateStep(
            s(id),
            match part {
                self::DatePart::Year => crate::session::DatePart::Year,
                self::DatePart::Month => crate::session::DatePart::Month,
                self::DatePart::Day => crate::session::DatePart::Day,
            },
            d
        )));
        on!(ReviewPage.on_edit, |id: slint::SharedString| Some(Event::EditStart(s(id))));
        on!(ReviewPage.on_next, || Some(Event::ReviewDone));
        on!(KeyboardPage.on_key, |k: slint::SharedString| Some(Event::EditKey(s(k))));
        on!(KeyboardPage.on_backspace, || Some(Event::EditBackspace));
        on!(KeyboardPage.on_same_as_address, || Some(Event::EditSameAsAddress));
        on!(KeyboardPage.on_set_text, |t: slint::SharedString| Some(Event::EditSet(SecretString::new(t.as_str()))));
        on!(KeyboardPage.on_done, || Some(Event::EditDone));
        on!(SignaturePage.on_stroke_begin, |x: f32, y: f32| Some(Event::StrokeBegin(x, y)));
        on!(SignaturePage.on_stroke_move, |x: f32, y: f32| Some(Event::StrokeMove(x, y)));
        on!(SignaturePage.on_clear, || Some(Event::SignatureClear));
        on!(SignaturePage.on_undo, || Some(Event::SignatureUndo));
        on!(SignaturePage.on_redo, || Some(Event::SignatureRedo));
        on!(SignaturePage.on_next, || Some(Event::SignatureDone));
        on!(ConfirmPage.on_deliver, |d: Delivery| Some(Event::Deliver(action(d))));
        let retry = {
            let sh = self.shared.clone();
            move || sh.session.borrow().output_action().map(Event::Deliver)
        };
        on!(OutputPage.on_retry, || retry());
        on!(OutputPage.on_finish, || Some(Event::Cancel));
        on!(DonePage.on_finish, || Some(Event::Finish));
        on!(ClerkPage.on_show, || Some(Event::ClerkPanel(true)));
        on!(ClerkPage.on_close, || Some(Event::ClerkPanel(false)));
        on!(ClerkPage.on_digit, |d: i32| Some(Event::ClerkDigit(digit(d))));
        on!(ClerkPage.on_delete, || Some(Event::ClerkDelete));
        on!(ClerkPage.on_submit, || Some(Event::ClerkSubmit));
        on!(ClerkPage.on_lock, || Some(Event::ClerkLock));
        on!(ClerkPage.on_allow_last_try, || Some(Event::ClerkAllowLastTry));
        on!(ClerkPage.on_use_pin_b, || Some(Event::ClerkUsePinB));
        on!(ClerkPage.on_reprint, || Some(Event::Deliver(OutputAction::Print)));
        on!(ClerkPage.on_save_edits, |name: slint::SharedString, address: slint::SharedString| Some(
            Event::ClerkCorrect {
                name: SecretString::new(name.as_str()),
                address: SecretString::new(address.as_str())
            }
        ));
        self.bind_scanner();
        let sh = self.shared.clone();
        let weak = w.as_weak();
        w.global::<DemoPage>().on_place(move |id| {
            if let Some(d) = &sh.demo {
                d.place(id.as_str());
            }
            sh.session.borrow_mut().tick();
            if let Some(win) = weak.upgrade() {
                refresh(&win, &sh);
            }
        });
    }
}

impl KioskUi {
    /// Keys before the focused element gets them (see [`scanner`]): a scan becomes
    /// [`Event::ScanCode`]; digits a person typed go on to where they were typed.
    fn bind_scanner(&self) {
        let weak = self.window.as_weak();
        let sh = Rc::downgrade(&self.shared);
        self.window.global::<Kiosk>().on_scanner_key(move |text, typing| {
            let (Some(win), Some(sh)) = (weak.upgrade(), sh.upgrade()) else { return false };
            if sh.typing_back.get() {
                return false;
            }
            let key = sh.scanner.borrow_mut().key(text.as_str(), typing);
            match key {
                scanner::Key::Held => {
                    let (weak, later) = (win.as_weak(), Rc::downgrade(&sh));
                    sh.scan_pause.start(slint::TimerMode::SingleShot, SCAN_PAUSE, move || {
                        if let (Some(win), Some(sh)) = (weak.upgrade(), later.upgrade()) {
                            let digits = sh.scanner.borrow_mut().release();
                            type_back(&win, &sh, &digits);
                        }
                    });
                    true
                }
                scanner::Key::Scan(code) => {
                    sh.scan_pause.stop();
                    sh.session.borrow_mut().handle(Event::ScanCode(code));
                    refresh(&win, &sh);
                    true
                }
                scanner::Key::Foreign => {
                    sh.scan_pause.stop();
                    // Not digits: the decoder answers "not a madoguchi code" (or the screen
                    // says where codes are scanned); the foreign text itself is not passed on.
                    sh.session.borrow_mut().handle(Event::ScanCode(SecretString::default()));
                    refresh(&win, &sh);
                    true
                }
                scanner::Key::Pass(digits) => {
                    sh.scan_pause.stop();
                    type_back(&win, &sh, &digits);
                    false
                }
            }
        });
    }
}

/// Give held digits to the focused element, as the keys they were.
fn type_back(w: &AppWindow, sh: &Shared, digits: &str) {
    use slint::platform::WindowEvent;
    sh.typing_back.set(true);
    for c in digits.chars() {
        let text: slint::SharedString = c.into();
        w.window().dispatch_event(WindowEvent::KeyPressed { text: text.clone() });
        w.window().dispatch_event(WindowEvent::KeyReleased { text });
    }
    sh.typing_back.set(false);
}

fn action(d: Delivery) -> OutputAction {
    match d {
        Delivery::Print => OutputAction::Print,
        Delivery::Send => OutputAction::Send,
        Delivery::Both => OutputAction::PrintAndSend,
    }
}

fn refresh(w: &AppWindow, sh: &Shared) {
    let s = sh.session.borrow();
    if *sh.shown_language.borrow() != s.language() {
        // Not bundled (e.g. a trimmed build) → stay in Japanese, the source language.
        let _ = slint::select_bundled_translation(slint_language(s.language()));
        *sh.shown_language.borrow_mut() = s.language().to_string();
        sh.shown_revision.set(None);
    }
    // Only countdowns move between changes: the lists (with the card's values) are rebuilt
    // when the session changed, not four times a second.
    if sh.shown_revision.get() == Some(s.revision()) {
        view::apply_clock(w, &s);
        return;
    }
    sh.shown_revision.set(Some(s.revision()));
    view::apply(w, &sh.models, &s);
    w.invoke_focus_scanner();
}
