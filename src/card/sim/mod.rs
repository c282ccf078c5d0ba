//! The project's virtual My Number Card and its two front ends:
//! [`InProcess`] (a [`Transport`] for unit tests and the demo) and [`vpcd`] (a vsmartcard
//! vpcd client so tests go through the real pcscd).

pub mod card;
pub mod jpki;
pub mod persona;
pub mod vpcd;

#[cfg(test)]
mod tests;

use std::sync::{Arc, Mutex};

pub use card::{CommandRecord, Df, JournalEntry, Power, VirtualCard};
pub use persona::Persona;

use crate::card::apdu::{Command, Response};
use crate::card::error::TransportError;
use crate::card::transport::{ExclusiveBody, Transport, Watch};

/// A card shared between a front end and a test that wants to inspect its counters.
pub type SharedCard = Arc<Mutex<VirtualCard>>;

pub fn shared(persona: Persona) -> SharedCard {
    Arc::new(Mutex::new(VirtualCard::new(persona)))
}

/// The virtual card called directly, no PC/SC in between. `present = false` behaves like an
/// empty reader.
pub struct InProcess {
    card: SharedCard,
    present: bool,
}

impl InProcess {
    pub fn new(card: SharedCard) -> Self {
        InProcess { card, present: true }
    }

    pub fn from_persona(persona: Persona) -> Self {
        Self::new(shared(persona))
    }

    pub fn card(&self) -> &SharedCard {
        &self.card
    }

    /// Simulate taking the card off / placing it back (a reset, as on a real reader).
    pub fn set_present(&mut self, present: bool) {
        if present
            && !self.present
            && let Ok(mut c) = self.card.lock()
        {
            c.reset();
        }
        self.present = present;
    }
}

impl Transport for InProcess {
    fn transmit(&mut self, cmd: &Command) -> Result<Response, TransportError> {
        if !self.present {
            return Err(TransportError::NoCard);
        }
        let mut card = self.card.lock().map_err(|_| TransportError::Other("virtual card state poisoned".into()))?;
        let raw = card.process(&cmd.to_bytes());
        Response::parse(&raw).ok_or(TransportError::Unresponsive)
    }

    /// Nobody else talks to an in-process card; like PC/SC it is reset after a PIN was
    /// presented, so nothing verified outlives the procedure.
    fn exclusive(&mut self, body: &mut ExclusiveBody<'_>) -> Result<(), TransportError> {
        let mut watch = Watch::new(&mut *self);
        body(&mut watch);
        if watch.verify_sent
            && self.present
            && let Ok(mut c) = self.card.lock()
        {
            c.reset();
        }
        Ok(())
    }
}
