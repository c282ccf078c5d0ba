//! The kiosk session: one resident's visit from 「はじめる」 to the done screen, as a plain
//! state machine over [`Stage`]. Time comes from the injected [`Clock`]; every effect goes
//! through a port, so the whole flow is tested without a window, a card reader or a printer.

use std::rc::Rc;
use std::sync::Arc;
use std::time::{Duration, Instant};

use crate::i18n::Msg;
use crate::vocab::AnswerValue;
use crate::vocab::person::SecretString;

use super::clerk::ClerkState;
use super::ports::{CardPort, ClerkPort, Clock, FormPort, Offers, OutputAction, OutputPort, ProcedureInfo};
use super::stage::{Choosing, ProcedureMode, Stage, Start};
use super::visit_metrics::VisitMetrics;
use crate::vocab::visit::{Code, Step};

/// Signature pad size in logical pixels; the PNG has the same size.
pub const PAD_W: u32 = 900;
pub const PAD_H: u32 = 300;

/// Timing and mode of the session (see `config::TimeoutConfig`, `config::ClerkConfig`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SessionSettings {
    pub idle_timeout: Duration,
    pub idle_warning: Duration,
    /// The done screen returns to start after this.
    pub done_return: Duration,
    /// Clerk mode: staff drive the kiosk, so clerk powers are always on.
    pub clerk_mode: bool,
    /// Self-service: clerk powers end after this long without clerk activity.
    pub clerk_relock: Duration,
    /// The languages a resident may choose, the first is each visit's default.
    pub languages: Vec<String>,
    /// Each visit starts with these display preferences.
    pub display: Display,
}

/// What a resident may change on the start screen for their visit only.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Display {
    pub large_text: bool,
    pub high_contrast: bool,
}

impl Default for SessionSettings {
    fn default() -> Self {
        SessionSettings {
            idle_timeout: Duration::from_secs(60),
            idle_warning: Duration::from_secs(45),
            done_return: Duration::from_secs(20),
            clerk_mode: false,
            clerk_relock: Duration::from_secs(300),
            languages: vec!["ja".into()],
            display: Display::default(),
        }
    }
}

/// The ports the session works through (see [`super::ports`]).
pub struct Ports {
    pub card: Box<dyn CardPort>,
    pub forms: Box<dyn FormPort>,
    pub output: Arc<dyn OutputPort>,
    pub clerk: Box<dyn ClerkPort>,
    pub clock: Rc<dyn Clock>,
}

/// Which part of a date a date picker's button moves.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DatePart {
    Year,
    Month,
    Day,
}

/// Everything a resident or clerk can do.
#[derive(Debug, Clone, PartialEq)]
pub enum Event {
    /// Any touch that changes nothing else (e.g. 「続ける」 on the idle warning).
    Activity,
    /// One of the configured languages, for this visit.
    SetLanguage(String),
    ToggleLargeText,
    ToggleContrast,
    Begin,
    /// カードの状態を確かめる (from the start screen): no PIN, no personal data.
    CheckCard,
    /// Print the 手続き案内 the card status calls for.
    PrintCardAdvice,
    ShowGuide,
    ShowCatalogue,
    /// Direct choice of one procedure.
    ChooseProcedure(String),
    /// A tap on choice `index` of a choice or yes/no question (0 = はい), in the guide or the review.
    Choose {
        question: String,
        index: usize,
    },
    /// An answer as a value (the headless demo, tests, a pre-input code).
    Answer(String, AnswerValue),
    ClearAnswer(String),
    /// +1 / −1 on a count.
    CountStep(String, i32),
    /// A date picker's button (no answer yet: it starts from today).
    DateStep(String, DatePart, i32),
    GuideDone,
    PinDigit(u8),
    PinDelete,
    PinSubmit,
    /// The on-screen keyboard of a text question opens / takes a key / … / closes.
    EditStart(String),
    EditKey(String),
    EditBackspace,
    EditSameAsAddress,
    /// A clerk's hardware keyboard (with its input method) replaces the text.
    EditSet(SecretString),
    EditDone,
    ReviewDone,
    StrokeBegin(f32, f32),
    StrokeMove(f32, f32),
    SignatureUndo,
    SignatureRedo,
    SignatureClear,
    SignatureDone,
    Deliver(OutputAction),
    Back,
    Cancel,
    /// Leave the done screen now.
    Finish,
    /// The clerk panel opens or closes.
    ClerkPanel(bool),
    ClerkDigit(u8),
    ClerkDelete,
    ClerkSubmit,
    ClerkLock,
    /// A clerk, with the resident's consent, allows the last PIN try.
    ClerkAllowLastTry,
    /// A clerk who checked the card in hand enters 照合番号B instead of the resident's PIN.
    ClerkUsePinB,
    /// A clerk's values for the card's name and address on the review screen; only what
    /// differs from the card counts as a correction.
    ClerkCorrect {
        name: SecretString,
        address: SecretString,
    },
    /// A pre-input code as the counter's scanner typed it (the digits before Enter): taken on
    /// the start screen (and, for a clerk, on the procedure and card screens); elsewhere the
    /// resident is told to scan on the start screen.
    ScanCode(SecretString),
}

/// Why the session ended (for logs; no personal data).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EndReason {
    Done,
    Cancelled,
    TimedOut,
}

pub struct Session {
    pub(super) ports: Ports,
    pub(super) settings: SessionSettings,
    procedures: Vec<ProcedureInfo>,
    pub(super) stage: Stage,
    pub(super) clerk: ClerkState,
    pub(super) last_activity: Instant,
    /// A card was on the reader when the last visit ended and has not been taken off since:
    /// it must not walk into the next resident's PIN screen.
    pub(super) card_left: bool,
    /// The card on the reader could not be read (not a My Number Card, a reader error): it
    /// is not tried again until it has been taken off.
    pub(super) card_refused: bool,
    pub(super) language: String,
    display: Display,
    /// Counts changes a screen could show (see [`Session::revision`]).
    revision: u64,
    pub(super) sessions_started: u64,
    last_end: Option<EndReason>,
    /// The current visit (or the one that just ended) came with a pre-input code.
    pub(super) preinput_used: bool,
    /// The counter statistics of the visit under way (codes and times only).
    pub(super) visit: VisitMetrics,
    pub(super) visit_log: Box<dyn super::ports::VisitLog>,
    pub(super) kiosk: Code,
}

impl Session {
    pub fn new(settings: SessionSettings, ports: Ports) -> Session {
        let now = ports.clock.now();
        let procedures = ports.forms.procedures();
        let clerk = ClerkState::new(settings.clerk_mode, ports.clerk.load(), now);
        let language = settings.languages.first().cloned().unwrap_or_else(|| "ja".into());
        let display = settings.display;
        Session {
            language,
            display,
            revision: 0,
            ports,
            settings,
            procedures,
            stage: Stage::Start(Start::default()),
            clerk,
            last_activity: now,
            card_left: false,
            card_refused: false,
            sessions_started: 0,
            last_end: None,
            preinput_used: false,
            visit: VisitMetrics::default(),
            visit_log: Box::new(super::ports::NoVisitLog),
            kiosk: Code::new("K01").unwrap_or_else(Code::unknown),
        }
    }

    // ----- read side (for the UI glue and tests) -----

    pub fn stage(&self) -> &Stage {
        &self.stage
    }
    pub fn procedures(&self) -> &[ProcedureInfo] {
        &self.procedures
    }
    pub fn forms(&self) -> &dyn FormPort {
        self.ports.forms.as_ref()
    }
    pub fn output(&self) -> &dyn OutputPort {
        self.ports.output.as_ref()
    }
    pub fn clock(&self) -> &dyn super::ports::Clock {
        self.ports.clock.as_ref()
    }
    /// Changes whenever something on screen may have changed (an event, or time moving the
    /// visit on): the window redraws its lists only then, not on every tick.
    pub fn revision(&self) -> u64 {
        self.revision
    }

    /// What a tick can change on screen, to tell whether it did.
    fn shape(&self) -> (std::mem::Discriminant<Stage>, Option<Msg>, bool, bool, Option<OutputAction>, [bool; 3]) {
        let status = match &self.stage {
            Stage::CardCheck(c) => [c.status.is_some(), c.printing.is_some(), c.printed],
            _ => [false; 3],
        };
        (
            std::mem::discriminant(&self.stage),
            self.stage.message().cloned(),
            self.clerk.unlocked(),
            self.card_left,
            self.delivering(),
            status,
        )
    }

    /// The language the screens are shown in (this visit's choice, else the default).
    pub fn language(&self) -> &str {
        &self.language
    }
    pub fn languages(&self) -> &[String] {
        &self.settings.languages
    }
    pub fn display(&self) -> Display {
        self.display
    }
    pub fn clerk(&self) -> &ClerkState {
        &self.clerk
    }
    pub fn clerk_unlocked(&self) -> bool {
        self.clerk.unlocked()
    }
    /// The message the current screen shows (errors, card removed, timed out, …).
    pub fn message(&self) -> Option<&Msg> {
        self.stage.message()
    }
    pub fn last_end(&self) -> Option<EndReason> {
        self.last_end
    }
    pub fn sessions_started(&self) -> u64 {
        self.sessions_started
    }
    /// Whether the current visit (or the one that just ended) came with a pre-input code.
    pub fn preinput_used(&self) -> bool {
        self.preinput_used
    }
    /// Printing or sending is under way (the screen shows progress; input waits).
    pub fn delivering(&self) -> Option<OutputAction> {
        match &self.stage {
            Stage::Output(o) => o.delivery.as_ref().map(|d| d.action),
            _ => None,
        }
    }
    /// The delivery buttons the confirm screen offers: one 印刷して送信 for a resident when
    /// both are set up (a clerk gets each on its own as well), else what is set up.
    pub fn delivery_buttons(&self) -> Vec<OutputAction> {
        let Offers { print, send } = self.ports.output.offers();
        let mut out = Vec::new();
        if print && send {
            out.push(OutputAction::PrintAndSend);
            if self.clerk.unlocked() {
                out.extend([OutputAction::Print, OutputAction::Send]);
            }
        } else if print {
            out.push(OutputAction::Print);
        } else if send {
            out.push(OutputAction::Send);
        }
        out
    }
    /// Whether もどる is offered: not on the start and done screens, and not once a delivery
    /// started (see `stage::Output`).
    pub fn can_go_back(&self) -> bool {
        !matches!(self.stage, Stage::Start(_) | Stage::Output(_) | Stage::Done(_))
    }
    /// Seconds before the idle timeout, once the warning time has passed.
    pub fn idle_warning(&self) -> Option<u64> {
        if matches!(self.stage, Stage::Start(_) | Stage::Done(_)) || self.delivering().is_some() {
            return None;
        }
        let idle = self.now().saturating_duration_since(self.last_activity);
        (idle >= self.settings.idle_warning)
            .then(|| self.settings.idle_timeout.saturating_sub(idle).as_secs_f64().ceil() as u64)
    }
    /// Seconds before the done screen returns to start.
    pub fn done_countdown(&self) -> Option<u64> {
        match &self.stage {
            Stage::Done(d) => {
                Some(self.settings.done_return.saturating_sub(self.now().saturating_duration_since(d.since)).as_secs())
            }
            _ => None,
        }
    }

    pub(super) fn now(&self) -> Instant {
        self.ports.clock.now()
    }

    pub(super) fn procedure_exists(&self, id: &str) -> bool {
        self.procedures.iter().any(|p| p.id == id)
    }

    // ----- write side -----

    /// Time passes: idle timeout, done auto-return, card insert/removal polling, clerk relock.
    pub fn tick(&mut self) {
        let before = self.shape();
        self.tick_inner();
        self.observe_visit();
        if self.shape() != before {
            self.revision += 1;
        }
    }

    fn tick_inner(&mut self) {
        let now = self.now();
        self.clerk_tick(now);
        if self.delivering().is_some() {
            // Neither the idle timeout nor a removed card interrupts a print or a send.
            self.poll_delivery();
            return;
        }
        match &self.stage {
            Stage::Start(_) | Stage::Choosing(_) if self.card_left => self.watch_left_card(),
            Stage::CardCheck(_) if now.saturating_duration_since(self.last_activity) < self.settings.idle_timeout => {
                self.poll_status();
            }
            Stage::Start(_) => self.ports.output.housekeeping(),
            Stage::Done(d) => {
                if now.saturating_duration_since(d.since) >= self.settings.done_return {
                    self.end(EndReason::Done);
                }
            }
            _ => {
                if now.saturating_duration_since(self.last_activity) >= self.settings.idle_timeout {
                    self.end(EndReason::TimedOut);
                    let timed_out =
                        Msg::new("時間が過ぎたため、入力した内容を消去しました。はじめからやり直してください。");
                    if let Stage::Start(s) = &mut self.stage {
                        s.notice = Some(match s.notice.take() {
                            // The card is still on the reader: say both.
                            Some(card) => Msg::new("{} {}").arg(timed_out).arg(card),
                            None => timed_out,
                        });
                    }
                    return;
                }
                self.poll_card();
            }
        }
    }

    pub fn handle(&mut self, ev: Event) {
        // A scanned code is the scanner's keystrokes, not a touch.
        let touch = !matches!(ev, Event::ScanCode(_));
        self.handle_event(ev);
        if touch {
            self.visit.tap();
        }
        self.observe_visit();
    }

    fn handle_event(&mut self, ev: Event) {
        self.revision += 1;
        let now = self.now();
        self.last_activity = now;
        if self.clerk_event(&ev, now) {
            return;
        }
        if self.delivering().is_some() {
            return;
        }
        match ev {
            // Only a language this kiosk offers.
            Event::SetLanguage(l) if self.settings.languages.contains(&l) => self.language = l,
            Event::ToggleLargeText => self.display.large_text = !self.display.large_text,
            Event::ToggleContrast => self.display.high_contrast = !self.display.high_contrast,
            Event::Cancel if !matches!(self.stage, Stage::Start(_)) => self.end(EndReason::Cancelled),
            Event::Back => self.back(),
            Event::Begin if matches!(self.stage, Stage::Start(_)) => {
                self.sessions_started += 1;
                self.preinput_used = false;
                self.visit.begin(Step::Procedure, now, self.ports.clock.local().naive_local());
                // A new resident: the last one's clerk powers end here.
                self.clerk.relock_for_new_visit(self.ports.clerk.as_ref());
                self.stage = Stage::Choosing(Choosing {
                    mode: ProcedureMode::Catalogue,
                    guide: Default::default(),
                    message: None,
                });
            }
            Event::CheckCard if matches!(self.stage, Stage::Start(_)) => {
                self.sessions_started += 1;
                self.preinput_used = false;
                self.visit.begin(Step::CardCheck, now, self.ports.clock.local().naive_local());
                self.clerk.relock_for_new_visit(self.ports.clerk.as_ref());
                self.stage = Stage::CardCheck(Default::default());
                self.poll_status();
            }
            Event::ScanCode(code) => self.scan_code(&code),
            ev => self.stage_event(ev),
        }
    }

    fn stage_event(&mut self, ev: Event) {
        match &self.stage {
            Stage::Choosing(_) => self.choosing_event(ev),
            Stage::Pin(_) => self.pin_event(ev),
            Stage::Review(_) => self.review_event(ev),
            Stage::Signing(_) => self.signing_event(ev),
            Stage::Confirm(_) | Stage::Output(_) | Stage::Done(_) => self.output_event(ev),
            Stage::CardCheck(_) => self.card_check_event(ev),
            Stage::Start(_) | Stage::Card(_) => {}
        }
    }

    fn back(&mut self) {
        let stage = std::mem::replace(&mut self.stage, Stage::Start(Start::default()));
        self.stage = match stage {
            Stage::Choosing(c) if c.mode == ProcedureMode::Guide => {
                Stage::Choosing(Choosing { mode: ProcedureMode::Catalogue, message: None, ..c })
            }
            Stage::Choosing(_) => {
                self.stage = Stage::Choosing(Choosing {
                    mode: ProcedureMode::Catalogue,
                    guide: Default::default(),
                    message: None,
                });
                self.end(EndReason::Cancelled);
                return;
            }
            Stage::Card(c) => Stage::Choosing(Choosing::after(c.plan)),
            Stage::Pin(p) => Stage::Choosing(Choosing::after(p.plan)),
            // Going back past the review means choosing other procedures: the card is read
            // again then (they may need other data), so this read is forgotten now.
            Stage::Review(r) => {
                self.ports.card.release();
                Stage::Choosing(Choosing::after(r.visit.plan))
            }
            Stage::Signing(s) => self.enter_review(s.visit),
            // The rendered files go with the Confirm stage (dropping them deletes them).
            // An empty pad: no form asked for a signature, so the review came before.
            Stage::Confirm(c) if c.pad.is_empty() => self.enter_review(c.visit),
            Stage::Confirm(c) => Stage::Signing(super::stage::Signing { visit: c.visit, pad: c.pad, message: None }),
            // Nothing goes back once a delivery started (see `stage::Output`).
            other @ (Stage::Start(_) | Stage::Output(_) | Stage::Done(_)) => other,
            Stage::CardCheck(_) => {
                self.end(EndReason::Cancelled);
                return;
            }
        };
    }

    /// The wipe at the end of every session (done, cancel, timeout): one assignment drops the
    /// stage and everything it owns (card data, answers, signature, files).
    pub(super) fn end(&mut self, why: EndReason) {
        self.record_visit(why);
        self.ports.card.release();
        self.ports.output.forget();
        self.stage = Stage::Start(Start::default());
        self.last_end = Some(why);
        // The next resident starts from the kiosk's own language and display.
        self.language = self.settings.languages.first().cloned().unwrap_or_else(|| "ja".into());
        self.display = self.settings.display;
        // A card still on the reader belongs to the resident who just left.
        if self.ports.card.present().unwrap_or(false) {
            self.card_left = true;
            self.stage = Stage::Start(Start { notice: Some(Msg::new("カードをお取りください。")) });
        }
    }
}

impl Choosing {
    /// Back on the procedure screen from a later step: the guide's answers stay.
    fn after(plan: super::visit::Plan) -> Choosing {
        let mode = if plan.guide.is_some() { ProcedureMode::Guide } else { ProcedureMode::Catalogue };
        Choosing { mode, guide: plan.guide.unwrap_or_default(), message: None }
    }
}
