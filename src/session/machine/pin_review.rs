//! The PIN and review steps: reading the tries left, submitting the PIN, and the questions
//! the review screen shows for the answers so far.

use super::super::answers::AnswerValue;
use super::super::pin_entry::PinState;
use super::super::services::QuestionKind;
use super::{Session, Step};
use crate::card::{LastTry, ReadRequest};

impl Session {
    pub(super) fn enter_pin(&mut self) {
        self.pin.clear();
        match self.card.pin_tries() {
            Ok(n) => {
                self.pin_state = PinState::from_tries(n);
                self.step = Step::Pin;
                self.message = None;
            }
            Err(e) if e.needs_card_again() => {
                self.step = Step::Card;
                self.message = Some(e.message());
            }
            Err(crate::card::CardError::PinLocked { .. }) => {
                self.pin_state = PinState::Locked;
                self.step = Step::Pin;
                self.message = None;
            }
            Err(e) => {
                self.step = Step::Card;
                self.message = Some(e.message());
            }
        }
    }

    pub(super) fn submit_pin(&mut self) {
        let pin = match self.pin.take() {
            Ok(p) => p,
            Err(e) => {
                self.message = Some(e.message());
                return;
            }
        };
        let req = ReadRequest {
            my_number: self.forms.needs_my_number(&self.selected),
            last_try: if self.pin_state == PinState::LastTryAllowed { LastTry::ClerkOverride } else { LastTry::Refuse },
        };
        match self.card.read(&pin, req) {
            Ok(out) => {
                self.attributes = Some(out.attributes);
                self.my_number = out.my_number;
                self.card.release();
                self.pin_state = PinState::Ready { tries_left: out.tries_before.max(1) };
                self.enter_review();
            }
            Err(crate::card::CardError::WrongPin { tries_left }) => {
                self.pin_state = if tries_left <= 1 { PinState::CallClerk } else { PinState::Wrong { tries_left } };
                self.message = None;
            }
            Err(crate::card::CardError::LastTryRefused) => self.pin_state = PinState::CallClerk,
            Err(crate::card::CardError::PinLocked { .. }) => self.pin_state = PinState::Locked,
            Err(e) if e.needs_card_again() => {
                self.drop_personal_data();
                self.step = Step::Card;
                self.message = Some(e.message());
            }
            Err(e) => self.message = Some(e.message()),
        }
    }

    /// Questions whose conditions hold now (a count of 3 opens the third row of a table).
    pub(super) fn refresh_questions(&mut self) {
        self.questions = self.forms.active_questions(&self.selected, &self.answers);
        self.set_defaults();
    }

    fn enter_review(&mut self) {
        self.refresh_questions();
        self.show_problems = false;
        self.message = None;
        self.step = Step::Review;
    }

    fn set_defaults(&mut self) {
        for q in &self.questions {
            // Sensible starting values so only real decisions need a tap.
            let default = match q.kind {
                QuestionKind::Count { min, .. } => Some(AnswerValue::Count(min)),
                QuestionKind::YesNo if !q.required => Some(AnswerValue::YesNo(false)),
                _ => None,
            };
            if let Some(v) = default
                && self.answers.get(&q.id).is_none()
            {
                self.answers.set(q.id.clone(), v);
            }
        }
    }
}

impl Session {
    /// The resident's address as the forms will print it: a clerk's correction, else the
    /// card's. Offered as 「住所と同じ」 for 本籍.
    pub fn current_address(&self) -> Option<crate::card::SecretString> {
        match self.clerk_edits.get("address") {
            Some(AnswerValue::Text(t)) => Some(t.clone()),
            _ => self.attributes.as_ref().map(|a| a.address.clone()),
        }
    }
}
