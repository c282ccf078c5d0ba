//! The card step: waiting for a card, reader problems shown until the reader answers again,
//! and a card taken off mid-flow.

use std::time::Instant;

use super::{Session, Step};
use crate::card::TransportError;

impl Session {
    pub(super) fn enter_card_step(&mut self, now: Instant) {
        self.message = None;
        self.step = Step::Card;
        // A card already on the reader goes straight to the PIN.
        self.poll_card(now);
    }

    pub(super) fn poll_card(&mut self, now: Instant) {
        let present = match self.card.present() {
            Ok(p) => p,
            Err(e) => {
                if self.step == Step::Card {
                    self.message = Some(e.message());
                    self.reader_problem = true;
                }
                return;
            }
        };
        if std::mem::take(&mut self.reader_problem) && self.step == Step::Card {
            self.message = None; // the reader is back
        }
        match (self.step, present) {
            (Step::Card, true) => {
                self.last_activity = now;
                self.enter_pin();
            }
            (Step::Pin | Step::Review | Step::Signature | Step::Confirm | Step::Output, false) => {
                self.last_activity = now;
                self.card_removed();
            }
            _ => {}
        }
    }

    /// The card left the reader mid-flow: forget what came from it (and what the resident
    /// entered about themselves) and wait for a card again. The chosen procedures stay.
    pub(super) fn card_removed(&mut self) {
        self.drop_personal_data();
        self.step = Step::Card;
        self.message = Some(TransportError::CardRemoved.message());
    }
}
