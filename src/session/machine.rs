//! The kiosk session: one resident's visit from 「はじめる」 to the done screen, as a plain state
//! machine. Time comes in with every call (`now`), so tests need no sleeping.

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::mpsc::Receiver;
use std::time::{Duration, Instant};

use zeroize::Zeroizing;

use crate::card::{CardAttributes, MyNumber};
use crate::i18n::Msg;

use super::answers::{self, AnswerValue, Answers};
use super::card_port::CardPort;
use super::pin_entry::{PinEntry, PinState};
mod card_step;
mod files;
mod pin_review;

use super::services::{
    FormService, OutputAction, OutputError, OutputService, Question, Receipt, RenderedForm, RenderedVisit,
};
use super::signature::Signature;

/// Signature pad size in logical pixels; the PNG has the same size.
pub const PAD_W: u32 = 900;
pub const PAD_H: u32 = 300;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Step {
    Start,
    Procedure,
    Card,
    Pin,
    Review,
    Signature,
    Confirm,
    Output,
    Done,
}

/// How the procedure screen is shown: the catalogue or the life-event guide.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ProcedureMode {
    Catalogue,
    Guide,
}

/// Timing of the session (see `config::Timeouts`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SessionSettings {
    pub idle_timeout: Duration,
    pub idle_warning: Duration,
    /// The done screen returns to start after this.
    pub done_return: Duration,
    /// Parent of the per-session work directories (generated PDFs and previews).
    pub work_root: PathBuf,
    /// Clerk mode: staff drive the kiosk, so the clerk stays unlocked between residents.
    pub clerk_mode: bool,
}

impl Default for SessionSettings {
    fn default() -> Self {
        SessionSettings {
            idle_timeout: Duration::from_secs(60),
            idle_warning: Duration::from_secs(45),
            done_return: Duration::from_secs(20),
            work_root: std::env::temp_dir().join("madoguchi-sessions"),
            clerk_mode: false,
        }
    }
}

/// Everything a resident or clerk can do.
#[derive(Debug, Clone, PartialEq)]
pub enum Event {
    /// Any touch that changes nothing else (e.g. 「続ける」 on the idle warning).
    Activity,
    Begin,
    ShowGuide,
    ShowCatalogue,
    /// Direct choice of one procedure.
    ChooseProcedure(String),
    GuideAnswer(String, AnswerValue),
    GuideDone,
    PinDigit(u8),
    PinDelete,
    PinSubmit,
    Answer(String, AnswerValue),
    ClearAnswer(String),
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
    /// Staff PIN checked by the caller (see `config::ClerkPinHash::verify`).
    ClerkUnlocked,
    ClerkLock,
    /// A clerk, with the resident's consent, allows the last PIN try.
    ClerkAllowLastTry,
    /// A clerk corrects a card value shown on the review screen (`name`, `address`).
    ClerkEdit(String, crate::card::SecretString),
}

/// Why the session ended (for logs; no personal data).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EndReason {
    Done,
    Cancelled,
    TimedOut,
}

/// A print or send running on a worker thread.
struct Delivery {
    action: OutputAction,
    rx: Receiver<Result<Receipt, OutputError>>,
}

pub struct Session {
    settings: SessionSettings,
    card: Box<dyn CardPort>,
    forms: Box<dyn FormService>,
    output: Arc<dyn OutputService>,
    step: Step,
    procedure_mode: ProcedureMode,
    selected: Vec<String>,
    guide: Answers,
    pin: PinEntry,
    pin_state: PinState,
    attributes: Option<CardAttributes>,
    my_number: Option<MyNumber>,
    clerk_edits: Answers,
    questions: Vec<Question>,
    answers: Answers,
    show_problems: bool,
    signature: Signature,
    work_dir: Option<PathBuf>,
    rendered: RenderedVisit,
    signature_png: Zeroizing<Vec<u8>>,
    /// Whether the life-event guide chose the procedures (then a 手続き案内 is made).
    via_guide: bool,
    receipt_id: Option<String>,
    /// Idempotency key per procedure, fixed for the visit.
    keys: Vec<(String, String)>,
    delivery: Option<Delivery>,
    last_action: Option<OutputAction>,
    receipt: Option<Receipt>,
    message: Option<Msg>,
    /// `message` is a reader error, cleared when the reader answers again.
    reader_problem: bool,
    last_activity: Instant,
    entered_done: Instant,
    clerk: bool,
    sessions_started: u64,
    last_end: Option<EndReason>,
}

impl Session {
    pub fn new(
        settings: SessionSettings,
        card: Box<dyn CardPort>,
        forms: Box<dyn FormService>,
        output: Box<dyn OutputService>,
        now: Instant,
    ) -> Session {
        let settings_clerk_mode = settings.clerk_mode;
        Session {
            settings,
            card,
            forms,
            output: Arc::from(output),
            step: Step::Start,
            procedure_mode: ProcedureMode::Catalogue,
            selected: Vec::new(),
            guide: Answers::default(),
            pin: PinEntry::default(),
            pin_state: PinState::Ready { tries_left: 3 },
            attributes: None,
            my_number: None,
            clerk_edits: Answers::default(),
            questions: Vec::new(),
            answers: Answers::default(),
            show_problems: false,
            signature: Signature::default(),
            work_dir: None,
            rendered: RenderedVisit::default(),
            signature_png: Zeroizing::new(Vec::new()),
            via_guide: false,
            receipt_id: None,
            keys: Vec::new(),
            delivery: None,
            last_action: None,
            receipt: None,
            message: None,
            reader_problem: false,
            last_activity: now,
            entered_done: now,
            clerk: settings_clerk_mode,
            sessions_started: 0,
            last_end: None,
        }
    }

    // ----- read side (for the UI glue and tests) -----

    pub fn step(&self) -> Step {
        self.step
    }
    pub fn procedure_mode(&self) -> ProcedureMode {
        self.procedure_mode
    }
    pub fn forms(&self) -> &dyn FormService {
        self.forms.as_ref()
    }
    pub fn output(&self) -> &dyn OutputService {
        self.output.as_ref()
    }
    pub fn selected(&self) -> &[String] {
        &self.selected
    }
    pub fn guide_answers(&self) -> &Answers {
        &self.guide
    }
    pub fn pin_state(&self) -> PinState {
        self.pin_state
    }
    pub fn pin_len(&self) -> usize {
        self.pin.len()
    }
    pub fn attributes(&self) -> Option<&CardAttributes> {
        self.attributes.as_ref()
    }
    pub fn has_my_number(&self) -> bool {
        self.my_number.is_some()
    }
    pub fn clerk_edits(&self) -> &Answers {
        &self.clerk_edits
    }
    pub fn questions(&self) -> &[Question] {
        &self.questions
    }
    pub fn answers(&self) -> &Answers {
        &self.answers
    }
    /// Validation messages by question id; shown once the resident pressed 次へ.
    pub fn problems(&self) -> Vec<(String, Msg)> {
        if self.show_problems { answers::problems(&self.questions, &self.answers) } else { Vec::new() }
    }
    pub fn signature(&self) -> &Signature {
        &self.signature
    }
    pub fn rendered(&self) -> &[RenderedForm] {
        &self.rendered.forms
    }
    /// Everything rendered for this visit (forms, print PDF, 手続き案内).
    pub fn rendered_visit(&self) -> &RenderedVisit {
        &self.rendered
    }
    /// What the resident last asked for (the output screen offers it again after an error).
    pub fn last_action(&self) -> Option<OutputAction> {
        self.last_action
    }
    /// Printing or sending is under way (the screen shows progress; input waits).
    pub fn delivering(&self) -> Option<OutputAction> {
        self.delivery.as_ref().map(|d| d.action)
    }
    pub fn work_dir(&self) -> Option<&Path> {
        self.work_dir.as_deref()
    }
    pub fn receipt(&self) -> Option<&Receipt> {
        self.receipt.as_ref()
    }
    /// The message the current screen shows (errors, card removed, timed out, …), in Japanese.
    pub fn message(&self) -> Option<String> {
        self.message.as_ref().map(Msg::ja)
    }
    /// The same message, to be shown in the screen's language ([`Msg::render`]).
    pub fn message_msg(&self) -> Option<&Msg> {
        self.message.as_ref()
    }
    pub fn clerk_unlocked(&self) -> bool {
        self.clerk
    }
    pub fn last_end(&self) -> Option<EndReason> {
        self.last_end
    }
    pub fn sessions_started(&self) -> u64 {
        self.sessions_started
    }
    /// Seconds before the idle timeout, once the warning time has passed.
    pub fn idle_warning(&self, now: Instant) -> Option<u64> {
        if self.step == Step::Start || self.step == Step::Done {
            return None;
        }
        let idle = now.saturating_duration_since(self.last_activity);
        (idle >= self.settings.idle_warning)
            .then(|| self.settings.idle_timeout.saturating_sub(idle).as_secs_f64().ceil() as u64)
    }
    /// Seconds before the done screen returns to start.
    pub fn done_countdown(&self, now: Instant) -> Option<u64> {
        (self.step == Step::Done).then(|| {
            self.settings.done_return.saturating_sub(now.saturating_duration_since(self.entered_done)).as_secs()
        })
    }

    // ----- write side -----

    /// Time passes: idle timeout, done auto-return, card insert/removal polling.
    pub fn tick(&mut self, now: Instant) {
        if self.delivery.is_some() {
            // Neither the idle timeout nor a removed card interrupts a print or a send.
            self.poll_delivery(now);
            return;
        }
        match self.step {
            Step::Start => {}
            Step::Done => {
                if now.saturating_duration_since(self.entered_done) >= self.settings.done_return {
                    self.end(EndReason::Done);
                }
            }
            _ => {
                if now.saturating_duration_since(self.last_activity) >= self.settings.idle_timeout {
                    self.end(EndReason::TimedOut);
                    self.message =
                        Some(Msg::new("時間が過ぎたため、入力した内容を消去しました。はじめからやり直してください。"));
                    return;
                }
                self.poll_card(now);
            }
        }
    }

    pub fn handle(&mut self, ev: Event, now: Instant) {
        self.last_activity = now;
        if self.delivery.is_some() && !matches!(ev, Event::ClerkUnlocked | Event::ClerkLock) {
            return;
        }
        match (self.step, ev) {
            (step, Event::Cancel) if step != Step::Start => self.end(EndReason::Cancelled),
            (_, Event::ClerkUnlocked) => self.clerk = true,
            (_, Event::ClerkLock) => self.clerk = false,
            (_, Event::Back) => self.back(),
            (Step::Start, Event::Begin) => {
                self.sessions_started += 1;
                self.message = None;
                self.procedure_mode = ProcedureMode::Catalogue;
                self.step = Step::Procedure;
            }
            (Step::Procedure, Event::ShowGuide) => self.procedure_mode = ProcedureMode::Guide,
            (Step::Procedure, Event::ShowCatalogue) => self.procedure_mode = ProcedureMode::Catalogue,
            (Step::Procedure, Event::ChooseProcedure(id)) if self.forms.procedures().iter().any(|p| p.id == id) => {
                self.selected = vec![id];
                self.via_guide = false;
                self.enter_card_step(now);
            }
            (Step::Procedure, Event::GuideAnswer(id, v)) => {
                self.guide.set(id, v);
                // Another life event: forget the answers to the questions it does not ask.
                let asked: Vec<String> = self.forms.guide_questions(&self.guide).into_iter().map(|q| q.id).collect();
                self.guide.retain(|k| asked.iter().any(|a| a == k));
            }
            (Step::Procedure, Event::GuideDone) => {
                let qs = self.forms.guide_questions(&self.guide);
                if let Some((_, m)) = answers::problems(&qs, &self.guide).into_iter().next() {
                    self.message = Some(m);
                } else {
                    self.selected = self.forms.guide_result(&self.guide);
                    self.via_guide = true;
                    self.enter_card_step(now);
                }
            }
            (Step::Pin, Event::PinDigit(d)) if self.pin_state.can_enter() => self.pin.push(d),
            (Step::Pin, Event::PinDelete) => self.pin.pop(),
            (Step::Pin, Event::PinSubmit) if self.pin_state.can_enter() => self.submit_pin(),
            (Step::Pin, Event::ClerkAllowLastTry) if self.clerk && self.pin_state == PinState::CallClerk => {
                self.pin_state = PinState::LastTryAllowed;
            }
            (Step::Review, Event::Answer(id, v)) => {
                self.answers.set(id, v);
                self.refresh_questions();
            }
            (Step::Review, Event::ClearAnswer(id)) => {
                self.answers.remove(&id);
                self.refresh_questions();
            }
            (Step::Review, Event::ClerkEdit(field, v)) if self.clerk => {
                self.clerk_edits.set(field, AnswerValue::Text(v));
            }
            (Step::Review, Event::ReviewDone) => {
                self.show_problems = true;
                if answers::problems(&self.questions, &self.answers).is_empty() {
                    self.show_problems = false;
                    self.step = Step::Signature;
                }
            }
            (Step::Signature, Event::StrokeBegin(x, y)) => self.signature.begin_stroke(x, y),
            (Step::Signature, Event::StrokeMove(x, y)) => self.signature.extend_stroke(x, y),
            (Step::Signature, Event::SignatureUndo) => self.signature.undo(),
            (Step::Signature, Event::SignatureRedo) => self.signature.redo(),
            (Step::Signature, Event::SignatureClear) => self.signature.clear(),
            (Step::Signature, Event::SignatureDone) => {
                if self.signature.is_empty() {
                    self.message = Some(Msg::new("枠の中に指でお名前を書いてください。"));
                } else {
                    self.message = None;
                    self.render();
                }
            }
            (Step::Confirm, Event::Deliver(action)) => self.deliver(action, now),
            (Step::Output, Event::Deliver(action)) => self.deliver(action, now),
            (Step::Done, Event::Deliver(action)) if self.clerk => self.deliver(action, now),
            (Step::Done, Event::Finish) => self.end(EndReason::Done),
            _ => {}
        }
    }

    fn back(&mut self) {
        self.message = None;
        self.step = match self.step {
            Step::Start => Step::Start,
            Step::Procedure => {
                if self.procedure_mode == ProcedureMode::Guide {
                    self.procedure_mode = ProcedureMode::Catalogue;
                    Step::Procedure
                } else {
                    self.end(EndReason::Cancelled);
                    Step::Start
                }
            }
            Step::Card | Step::Pin => {
                self.pin.clear();
                Step::Procedure
            }
            // Going back past the review means choosing other procedures: the card is read
            // again then (they may need other data), so forget this read now.
            Step::Review => {
                self.drop_personal_data();
                Step::Procedure
            }
            Step::Signature => Step::Review,
            Step::Confirm | Step::Output => {
                self.rendered = RenderedVisit::default();
                self.delete_work_dir();
                Step::Signature
            }
            Step::Done => Step::Done,
        };
    }

    /// Forget card data, answers, signature and generated files; keep the chosen procedures.
    fn drop_personal_data(&mut self) {
        self.attributes = None; // CardAttributes zeroizes on drop
        self.my_number = None;
        self.clerk_edits.clear();
        self.answers.clear();
        self.questions.clear();
        self.show_problems = false;
        self.signature.wipe();
        self.pin.clear();
        self.rendered = RenderedVisit::default();
        self.signature_png = Zeroizing::new(Vec::new());
        self.delete_work_dir();
        self.card.release();
    }

    /// The wipe at the end of every session (done, cancel, timeout).
    fn end(&mut self, why: EndReason) {
        self.drop_personal_data();
        self.selected.clear();
        self.guide.clear();
        self.via_guide = false;
        self.receipt_id = None;
        self.keys.clear();
        self.delivery = None;
        self.last_action = None;
        self.receipt = None;
        self.message = None;
        self.pin_state = PinState::Ready { tries_left: 3 };
        self.procedure_mode = ProcedureMode::Catalogue;
        self.step = Step::Start;
        self.clerk = self.settings.clerk_mode;
        self.last_end = Some(why);
    }
}
