//! The card and PIN steps: waiting for a card (reader problems shown until the reader answers
//! again), the tries left, the PIN with the clerk's last-try override, and a card taken off
//! mid-flow.

use crate::i18n::Msg;
use crate::vocab::pin::{Credential, says};

use super::super::machine::{Event, Session};
use super::super::pin_entry::{PinEntry, PinState, Secret};
use super::super::ports::{CardProblemKind, CardQuery};
use super::super::stage::{Answering, PinStep, Stage, WaitCard};
use super::super::visit::{CardRead, Corrections, Plan};

impl Session {
    pub(crate) fn enter_card_step(&mut self, plan: Plan) {
        self.stage = Stage::Card(WaitCard { plan, message: None, reader_problem: false });
        // A card already on the reader goes straight to the PIN.
        self.poll_card();
    }

    /// Reader polling while a visit waits for or holds a card.
    pub(crate) fn poll_card(&mut self) {
        let present = match self.ports.card.present() {
            Ok(p) => p,
            Err(e) => {
                if let Stage::Card(c) = &mut self.stage {
                    if !c.reader_problem {
                        self.visit.error(crate::vocab::visit::ErrorKind::Reader);
                    }
                    c.message = Some(e.message);
                    c.reader_problem = true;
                }
                return;
            }
        };
        if let Stage::Card(c) = &mut self.stage
            && std::mem::take(&mut c.reader_problem)
        {
            c.message = None; // the reader is back
        }
        if !present {
            self.card_left = false;
            self.card_refused = false;
        }
        match (&self.stage, present) {
            (Stage::Card(_), true) if self.card_left => {
                if let Stage::Card(c) = &mut self.stage {
                    c.message = Some(Msg::new("前の方のカードが置かれたままです。カードをいったんお取りください。"));
                }
            }
            (Stage::Card(_), true) if self.card_refused => {}
            (Stage::Card(_), true) => {
                self.last_activity = self.now();
                self.enter_pin();
            }
            (Stage::Pin(_) | Stage::Review(_) | Stage::Signing(_) | Stage::Confirm(_), false) => {
                self.last_activity = self.now();
                self.card_removed();
            }
            _ => {}
        }
    }

    /// On the start and procedure screens: notice when the last resident's card is taken.
    pub(crate) fn watch_left_card(&mut self) {
        if !self.ports.card.present().unwrap_or(true) {
            self.card_left = false;
            if let Stage::Start(s) = &mut self.stage {
                s.notice = None;
            }
        }
    }

    /// The card left the reader mid-flow: what came from it (and what the resident entered
    /// about themselves) is dropped with the stage; the chosen procedures stay.
    pub(crate) fn card_removed(&mut self) {
        if self.stage.plan().is_none() {
            return;
        }
        let Some(plan) = std::mem::replace(&mut self.stage, Stage::Start(Default::default())).into_plan() else {
            return;
        };
        self.visit.error(crate::vocab::visit::ErrorKind::CardRemoved);
        self.ports.card.release();
        self.stage = Stage::Card(WaitCard { plan, message: Some(says::card_removed()), reader_problem: false });
    }

    fn enter_pin(&mut self) {
        let Stage::Card(c) = &mut self.stage else { return };
        let plan = std::mem::take(&mut c.plan);
        let state = match self.ports.card.pin_tries() {
            Ok(n) => PinState::from_tries(n),
            Err(e) if e.kind == CardProblemKind::Locked => PinState::Locked,
            Err(e) => {
                self.visit.error(crate::vocab::visit::ErrorKind::CardUnreadable);
                c.plan = plan;
                // Not a card this kiosk reads (or it failed): let go of it, and wait until it
                // has been taken off before trying a card again.
                self.ports.card.release();
                self.card_refused = e.kind != CardProblemKind::PlaceAgain;
                c.message = Some(e.message);
                return;
            }
        };
        if state == PinState::Locked {
            self.visit.pin_locked();
        }
        self.stage = Stage::Pin(PinStep { plan, entry: PinEntry::default(), state, message: None });
    }

    pub(crate) fn pin_event(&mut self, ev: Event) {
        let Stage::Pin(p) = &mut self.stage else { return };
        match ev {
            Event::PinDigit(d) if p.state.can_enter() => p.entry.push(d),
            Event::PinDelete => p.entry.pop(),
            Event::PinSubmit if p.state.can_enter() => self.submit_pin(),
            _ => {}
        }
    }

    /// The clerk's override at the last try (checked by the caller: clerk unlocked).
    pub(crate) fn allow_last_try(&mut self) -> bool {
        match &mut self.stage {
            Stage::Pin(p) if p.state == PinState::CallClerk => {
                p.state = PinState::LastTryAllowed;
                self.visit.clerk_override();
                true
            }
            _ => false,
        }
    }

    /// A clerk who has checked the card in hand reads 照合番号B off it instead of the
    /// resident's PIN (checked by the caller: clerk unlocked). Not for a visit whose forms
    /// need the 個人番号: the card opens it only with the PIN.
    pub(crate) fn use_pin_b(&mut self) -> bool {
        let needs_my_number = match &self.stage {
            Stage::Pin(p) if p.entry.secret() == Secret::Pin => self.ports.forms.needs_my_number(&p.plan.procedures),
            _ => return false,
        };
        let Stage::Pin(p) = &mut self.stage else { return false };
        if needs_my_number {
            p.message = Some(says::my_number_needs_pin());
            return false;
        }
        p.entry = PinEntry::for_secret(Secret::PinB);
        p.message = None;
        p.state = match self.ports.card.pin_b_tries() {
            Ok(n) => PinState::from_tries(n),
            Err(e) if e.kind == CardProblemKind::Locked => PinState::Locked,
            Err(e) => {
                p.message = Some(e.message);
                return false;
            }
        };
        self.visit.clerk_override();
        true
    }

    fn submit_pin(&mut self) {
        let Stage::Pin(p) = &mut self.stage else { return };
        let secret = p.entry.secret();
        let (pin, pin_b) = match secret {
            Secret::Pin => (Some(p.entry.take()), None),
            Secret::PinB => (None, Some(p.entry.take_b())),
        };
        let cred = match (&pin, &pin_b) {
            (Some(Ok(pin)), _) => Credential::Pin(pin),
            (_, Some(Ok(b))) => Credential::PinB(b),
            (Some(Err(e)), _) => {
                p.message = Some(e.message());
                return;
            }
            (_, Some(Err(e))) => {
                p.message = Some(e.message());
                return;
            }
            (None, None) => return,
        };
        let query = CardQuery {
            my_number: self.ports.forms.needs_my_number(&p.plan.procedures),
            last_try_allowed: p.state == PinState::LastTryAllowed,
        };
        let reading = self.ports.clock.now();
        let read = self.ports.card.read(cred, query);
        let took = self.ports.clock.now().saturating_duration_since(reading);
        match read {
            Ok(out) => {
                self.visit.card_read(took);
                self.ports.card.release();
                let mut plan = std::mem::take(&mut p.plan);
                let card = CardRead {
                    attributes: out.attributes,
                    my_number: out.my_number,
                    corrections: Corrections::default(),
                };
                // A pre-input code's answers become the visit's (then editable like any).
                let prefill = plan.prefill.take().unwrap_or_default();
                let visit = Answering { plan, card, answers: prefill.answers, receipt_id: None };
                self.stage = self.enter_review(visit);
                if let Stage::Review(r) = &mut self.stage {
                    r.message = super::preinput::notice(prefill.notices);
                }
            }
            Err(e) => match e.kind {
                CardProblemKind::WrongPin { tries_left } => {
                    self.visit.wrong_pin();
                    p.state = if tries_left <= 1 { PinState::CallClerk } else { PinState::Wrong { tries_left } };
                    p.message = (secret == Secret::PinB).then_some(e.message);
                }
                CardProblemKind::LastTryRefused => p.state = PinState::CallClerk,
                CardProblemKind::Locked => {
                    self.visit.pin_locked();
                    p.state = PinState::Locked;
                }
                CardProblemKind::PlaceAgain => {
                    self.visit.error(crate::vocab::visit::ErrorKind::CardUnreadable);
                    let plan = std::mem::take(&mut p.plan);
                    self.ports.card.release();
                    self.stage = Stage::Card(WaitCard { plan, message: Some(e.message), reader_problem: false });
                }
                CardProblemKind::Other => p.message = Some(e.message),
            },
        }
    }
}
