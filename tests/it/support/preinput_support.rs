//! Pre-input codes for the tests, the counter's scanner as the window meets it (key events
//! through the Slint window), and a session over pcscd + vpcd for the code's visits.

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::{Duration, Instant};

use chrono::NaiveDate;
use madoguchi::session::{Event, OutputPort, Session, Stage};
use madoguchi::ui::AppWindow;
use madoguchi::vocab::person::SecretString;
use madoguchi::vocab::preinput_code::{PreInput, RawValue, encode};
use slint::platform::WindowEvent;

use super::kiosk_support::{self, HandClock, STAFF_PIN};

/// The hand clock's today (kiosk_support::HandClock starts on 2026-11-22).
pub fn today() -> NaiveDate {
    NaiveDate::from_ymd_opt(2026, 11, 22).unwrap()
}

pub fn text(s: &str) -> RawValue {
    RawValue::Text(SecretString::new(s))
}

/// The free-text answers of [`juminhyo`], to look for in the PDF and (never) in logs.
pub const KANA: &str = "ヤマダ タロウ";
pub const PHONE: &str = "0312345678";
pub const SUBMIT_TO: &str = "見本商事";

/// Every answer 住民票の写し needs for a resident asking for their own household's copy.
pub fn juminhyo_answers() -> BTreeMap<String, RawValue> {
    [
        ("requester", text("self")),
        ("applicant_kana", text(KANA)),
        ("phone", text(PHONE)),
        ("juminhyo_certificate", text("all")),
        ("juminhyo_copies", RawValue::Number(2)),
        ("purpose", text("employment")),
        ("submit_to", text(SUBMIT_TO)),
        ("id_document", text("mynumber_card")),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_string(), v))
    .collect()
}

/// A code made by the page today for 住民票の写し (template version `version`).
pub fn juminhyo(version: u32) -> PreInput {
    PreInput {
        expires: today() + chrono::Days::new(30),
        language: Some("ja".into()),
        procedures: vec!["juminhyo".into()],
        templates: [("juminhyo".to_string(), version)].into(),
        answers: juminhyo_answers(),
    }
}

pub fn juminhyo_code() -> String {
    encode(&juminhyo(1))
}

/// The scanner in keyboard-wedge mode: each character of `code` as a key press and release
/// through the window, then Enter.
pub fn scan_code(window: &AppWindow, code: &str) {
    use slint::ComponentHandle;
    let w = window.window();
    for c in code.chars().chain(std::iter::once('\n')) {
        let text: slint::SharedString = c.into();
        w.dispatch_event(WindowEvent::KeyPressed { text: text.clone() });
        w.dispatch_event(WindowEvent::KeyReleased { text });
    }
}

/// A session over the real forms layer and a real PC/SC reader (pcscd + vpcd): cards are
/// placed with `card_stack::place` into `reader`'s slot.
pub struct PcscRig {
    pub s: Session,
    pub clock: HandClock,
    pub _dir: tempfile::TempDir,
}

impl PcscRig {
    pub fn new(output: Arc<dyn OutputPort>, reader: &str) -> PcscRig {
        let dir = tempfile::tempdir().unwrap();
        let work = dir.path().join("work");
        let clock = HandClock::new();
        let (mut ports, _sim) = kiosk_support::ports(output, &work, &clock, None);
        ports.card = Box::new(madoguchi::wiring::PcscPort::new(reader));
        PcscRig { s: Session::new(kiosk_support::settings(), ports), clock, _dir: dir }
    }
    pub fn ev(&mut self, e: Event) {
        self.clock.advance(1);
        self.s.handle(e);
    }
    pub fn scan(&mut self, code: &str) {
        self.ev(Event::ScanCode(SecretString::new(code)));
    }
    pub fn stage_name(&self) -> &'static str {
        kiosk_support::stage_name(self.s.stage())
    }
    /// Tick until `done` holds (pcscd reports a card within 400 ms), for at most 5 s.
    pub fn tick_until(&mut self, what: &str, done: impl Fn(&Session) -> bool) {
        let t = Instant::now();
        while !done(&self.s) {
            assert!(t.elapsed() < Duration::from_secs(5), "timed out waiting for {what}: {:?}", self.s.message());
            std::thread::sleep(Duration::from_millis(50));
            self.s.tick();
        }
    }
    pub fn pin(&mut self, pin: &str) {
        for b in pin.bytes() {
            self.ev(Event::PinDigit(b - b'0'));
        }
        self.ev(Event::PinSubmit);
    }
    pub fn unlock_clerk(&mut self) {
        self.ev(Event::ClerkPanel(true));
        for b in STAFF_PIN.bytes() {
            self.ev(Event::ClerkDigit(b - b'0'));
        }
        self.ev(Event::ClerkSubmit);
        assert!(self.s.clerk_unlocked(), "{:?}", self.s.clerk().message());
        self.ev(Event::ClerkPanel(false));
    }
    /// The Japanese message the current screen shows ("" for none).
    pub fn message_ja(&self) -> String {
        self.s.message().map(|m| m.ja()).unwrap_or_default()
    }
    pub fn answers(&self) -> madoguchi::vocab::Answers {
        self.s.stage().answers().cloned().unwrap_or_default()
    }
    pub fn on_review(&self) -> bool {
        matches!(self.s.stage(), Stage::Review(_))
    }
}
