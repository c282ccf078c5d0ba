//! The stages of a visit. Each variant holds exactly what is valid in that stage and moves
//! it on to the next; going back or losing the card is a move to an earlier variant, and the
//! wipe at the end is one assignment (`Stage::Start`): nothing can be forgotten.

use std::sync::Arc;
use std::sync::mpsc::Receiver;
use std::time::Instant;

use zeroize::Zeroizing;

use crate::i18n::Msg;
use crate::vocab::{Answers, Question};

use super::pin_entry::{PinEntry, PinState};
use super::ports::{AnswerProblem, ConfirmedVisit, DeliveryError, OutputAction, Receipt, Rendered};
use super::signature::Signature;
use super::visit::{CardRead, Plan};

/// How the procedure screen is shown: the catalogue or the life-event guide.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ProcedureMode {
    Catalogue,
    Guide,
}

/// A visit whose card was read: the plan, the card and the answers so far.
#[derive(Debug, Clone, PartialEq)]
pub struct Answering {
    pub plan: Plan,
    pub card: CardRead,
    pub answers: Answers,
    /// One 受付番号 per visit: made at the first confirmation and kept when the resident
    /// goes back and confirms again.
    pub receipt_id: Option<String>,
}

#[derive(Debug, Default)]
pub struct Start {
    /// Why the last visit ended, or that a card is still on the reader.
    pub notice: Option<Msg>,
}

#[derive(Debug)]
pub struct Choosing {
    pub mode: ProcedureMode,
    pub guide: Answers,
    pub message: Option<Msg>,
}

#[derive(Debug)]
pub struct WaitCard {
    pub plan: Plan,
    pub message: Option<Msg>,
    /// `message` is a reader error, cleared when the reader answers again.
    pub reader_problem: bool,
}

#[derive(Debug)]
pub struct PinStep {
    pub plan: Plan,
    pub entry: PinEntry,
    pub state: PinState,
    pub message: Option<Msg>,
}

#[derive(Debug)]
pub struct Review {
    pub visit: Answering,
    /// The questions whose conditions hold for the answers so far.
    pub questions: Vec<Question>,
    /// What the forms would refuse now (shown once the resident pressed 次へ).
    pub problems: Vec<AnswerProblem>,
    pub show_problems: bool,
    /// The question whose on-screen keyboard is open.
    pub editing: Option<String>,
    pub message: Option<Msg>,
}

#[derive(Debug)]
pub struct Signing {
    pub visit: Answering,
    pub pad: Signature,
    pub message: Option<Msg>,
}

#[derive(Debug)]
pub struct Confirm {
    pub visit: Answering,
    /// Kept so もどる shows the signature again.
    pub pad: Signature,
    /// `None`: the forms could not be made (`message` says why).
    pub rendered: Option<Rendered>,
    pub signature_png: Zeroizing<Vec<u8>>,
    /// When the forms were made (the date on them).
    pub created: chrono::DateTime<chrono::FixedOffset>,
    pub message: Option<Msg>,
}

/// A print or send running on a worker thread.
#[derive(Debug)]
pub struct Delivery {
    pub action: OutputAction,
    pub rx: Receiver<Result<Receipt, DeliveryError>>,
}

/// Printing or sending, or its error. Nothing goes back from here: once a delivery started,
/// something may be printed or stored, so answers can no longer change (the visit is the one
/// the receipt and the idempotency keys stand for).
#[derive(Debug)]
pub struct Output {
    pub visit: Arc<ConfirmedVisit>,
    pub delivery: Option<Delivery>,
    pub last: OutputAction,
    /// Set once something was delivered (a clerk's reprint from the done screen).
    pub receipt: Option<Receipt>,
    pub message: Option<Msg>,
    /// Which part of the last delivery failed (the screen's title says it).
    pub failed: Option<FailedPart>,
}

/// The part of a delivery that failed: with 印刷と送信 the send runs first, so either can.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FailedPart {
    Print,
    Send,
}

#[derive(Debug)]
pub struct Done {
    pub visit: Arc<ConfirmedVisit>,
    pub receipt: Receipt,
    pub last: OutputAction,
    pub since: Instant,
    pub message: Option<Msg>,
}

/// カードの状態を確かめる: the tries of the three PINs and the certificate's validity, read
/// without a PIN and without personal data, and what to do about them.
#[derive(Debug, Default)]
pub struct CardCheck {
    pub status: Option<super::ports::CardReport>,
    pub message: Option<Msg>,
    /// The 手続き案内 for it being printed, on a worker thread.
    pub printing: Option<Receiver<Result<(), DeliveryError>>>,
    pub printed: bool,
}

/// Where the visit is.
#[derive(Debug)]
pub enum Stage {
    Start(Start),
    CardCheck(CardCheck),
    Choosing(Choosing),
    Card(WaitCard),
    Pin(PinStep),
    Review(Review),
    Signing(Signing),
    Confirm(Confirm),
    Output(Output),
    Done(Done),
}

impl Stage {
    /// The message the current screen shows, if any.
    pub fn message(&self) -> Option<&Msg> {
        match self {
            Stage::Start(s) => s.notice.as_ref(),
            Stage::CardCheck(s) => s.message.as_ref(),
            Stage::Choosing(s) => s.message.as_ref(),
            Stage::Card(s) => s.message.as_ref(),
            Stage::Pin(s) => s.message.as_ref(),
            Stage::Review(s) => s.message.as_ref(),
            Stage::Signing(s) => s.message.as_ref(),
            Stage::Confirm(s) => s.message.as_ref(),
            Stage::Output(s) => s.message.as_ref(),
            Stage::Done(s) => s.message.as_ref(),
        }
    }

    /// The chosen procedures, once chosen.
    pub fn plan(&self) -> Option<&Plan> {
        match self {
            Stage::Card(s) => Some(&s.plan),
            Stage::Pin(s) => Some(&s.plan),
            Stage::Review(s) => Some(&s.visit.plan),
            Stage::Signing(s) => Some(&s.visit.plan),
            Stage::Confirm(s) => Some(&s.visit.plan),
            Stage::Output(s) => Some(&s.visit.plan),
            Stage::Done(s) => Some(&s.visit.plan),
            Stage::Start(_) | Stage::CardCheck(_) | Stage::Choosing(_) => None,
        }
    }

    /// The chosen procedures, moved out of the stage (which is dropped with all it owns).
    pub fn into_plan(self) -> Option<Plan> {
        match self {
            Stage::Card(s) => Some(s.plan),
            Stage::Pin(s) => Some(s.plan),
            Stage::Review(s) => Some(s.visit.plan),
            Stage::Signing(s) => Some(s.visit.plan),
            Stage::Confirm(s) => Some(s.visit.plan),
            // A delivery thread may still hold the visit: then the plan is copied.
            Stage::Output(s) => Some(Arc::try_unwrap(s.visit).map_or_else(|v| v.plan.clone(), |v| v.plan)),
            Stage::Done(s) => Some(Arc::try_unwrap(s.visit).map_or_else(|v| v.plan.clone(), |v| v.plan)),
            Stage::Start(_) | Stage::CardCheck(_) | Stage::Choosing(_) => None,
        }
    }

    /// The card's data, while the visit has it.
    pub fn card(&self) -> Option<&CardRead> {
        match self {
            Stage::Review(s) => Some(&s.visit.card),
            Stage::Signing(s) => Some(&s.visit.card),
            Stage::Confirm(s) => Some(&s.visit.card),
            Stage::Output(s) => Some(&s.visit.card),
            Stage::Done(s) => Some(&s.visit.card),
            _ => None,
        }
    }

    /// The resident's answers, while the visit has them.
    pub fn answers(&self) -> Option<&Answers> {
        match self {
            Stage::Review(s) => Some(&s.visit.answers),
            Stage::Signing(s) => Some(&s.visit.answers),
            Stage::Confirm(s) => Some(&s.visit.answers),
            _ => None,
        }
    }

    /// What was rendered for this visit.
    pub fn rendered(&self) -> Option<&Rendered> {
        match self {
            Stage::Confirm(s) => s.rendered.as_ref(),
            Stage::Output(s) => Some(&s.visit.rendered),
            Stage::Done(s) => Some(&s.visit.rendered),
            _ => None,
        }
    }
}
