//! The card reader behind the session's [`CardPort`]: [`SimReader`] wraps the in-process
//! virtual card (tests, demo); [`PcscPort`] wraps a real PC/SC reader.

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use crate::card::pcsc::PcscReader;
use crate::card::sim::{InProcess, Persona};
use crate::card::{
    CardError, CardStatus, Credential, ReadFailure, ReadOutcome, ReadRequest, TransportError, read_status, read_with,
    text_ap,
};
use crate::session::CardPort;

/// A simulated reader slot holding at most one virtual card. Clone the [`SimHandle`] to place
/// or take off the card while the session owns the port, like a hand at a real reader.
pub struct SimReader {
    slot: Arc<Mutex<Option<InProcess>>>,
}

/// The "hand" that places and removes cards on a [`SimReader`].
#[derive(Clone)]
pub struct SimHandle {
    slot: Arc<Mutex<Option<InProcess>>>,
}

impl SimReader {
    pub fn new() -> (SimReader, SimHandle) {
        let slot = Arc::new(Mutex::new(None));
        (SimReader { slot: slot.clone() }, SimHandle { slot })
    }

    fn with_card<R>(&self, f: impl FnOnce(&mut InProcess) -> Result<R, CardError>) -> Result<R, CardError> {
        let mut g = self.slot.lock().map_err(|_| TransportError::Other("simulated reader poisoned".into()))?;
        match g.as_mut() {
            Some(card) => f(card),
            None => Err(TransportError::NoCard.into()),
        }
    }
}

impl SimHandle {
    /// Place a fresh virtual card made from `persona`.
    pub fn insert(&self, persona: Persona) {
        if let Ok(mut g) = self.slot.lock() {
            *g = Some(InProcess::from_persona(persona));
        }
    }
    /// Place an existing card (keeps its PIN counter, e.g. after a wrong PIN).
    pub fn insert_card(&self, card: InProcess) {
        if let Ok(mut g) = self.slot.lock() {
            *g = Some(card);
        }
    }
    /// Take the card off; returns it so a test can put the same card back.
    pub fn remove(&self) -> Option<InProcess> {
        self.slot.lock().ok().and_then(|mut g| g.take())
    }
    pub fn is_present(&self) -> bool {
        self.slot.lock().map(|g| g.is_some()).unwrap_or(false)
    }
}

impl CardPort for SimReader {
    fn present(&mut self) -> Result<bool, TransportError> {
        self.slot.lock().map(|g| g.is_some()).map_err(|_| TransportError::Other("simulated reader poisoned".into()))
    }
    fn pin_tries(&mut self) -> Result<u8, CardError> {
        self.with_card(|c| text_ap::pin_status(c))
    }
    fn pin_b_tries(&mut self) -> Result<u8, CardError> {
        self.with_card(|c| text_ap::pin_b_status(c))
    }
    fn read(&mut self, cred: Credential<'_>, req: ReadRequest) -> Result<ReadOutcome, ReadFailure> {
        let mut g = self.slot.lock().map_err(|_| ReadFailure {
            error: TransportError::Other("simulated reader poisoned".into()).into(),
            verify_sent: false,
        })?;
        match g.as_mut() {
            Some(card) => read_with(card, cred, req),
            None => Err(ReadFailure { error: TransportError::NoCard.into(), verify_sent: false }),
        }
    }
    fn status(&mut self, today: chrono::NaiveDate) -> Result<CardStatus, CardError> {
        self.with_card(|c| read_status(c, today))
    }
    fn release(&mut self) {
        // A reset clears the verified state, as a PC/SC disconnect with ResetCard does.
        if let Ok(mut g) = self.slot.lock()
            && let Some(c) = g.as_mut()
        {
            c.set_present(false);
            c.set_present(true);
        }
    }
}

/// A real PC/SC reader, opened lazily and reopened after it (or pcscd) went away, so an
/// unplugged reader is a message on the card screen instead of a kiosk that will not start.
pub struct PcscPort {
    pattern: String,
    reader: Option<PcscReader>,
    /// No reader: when to look again, and what was wrong last time.
    retry: Option<(Instant, TransportError)>,
}

/// How often to look for a missing reader (each look opens a pcscd context).
const REOPEN_EVERY: Duration = Duration::from_secs(1);

impl PcscPort {
    /// The first reader whose name contains `pattern` (any reader when empty), whenever it
    /// is there.
    pub fn new(pattern: &str) -> PcscPort {
        PcscPort { pattern: pattern.to_string(), reader: None, retry: None }
    }

    /// The reader now, or why there is none.
    pub fn reader_name(&mut self) -> Result<String, TransportError> {
        self.reader().map(|r| r.name().to_string())
    }

    fn reader(&mut self) -> Result<&mut PcscReader, TransportError> {
        if self.reader.is_none() {
            if let Some((at, e)) = &self.retry
                && Instant::now() < *at
            {
                return Err(e.clone());
            }
            match PcscReader::open(&self.pattern) {
                Ok(r) => {
                    self.reader = Some(r);
                    self.retry = None;
                }
                Err(e) => {
                    self.retry = Some((Instant::now() + REOPEN_EVERY, e.clone()));
                    return Err(e);
                }
            }
        }
        self.reader.as_mut().ok_or(TransportError::NoReader)
    }

    /// Forget a reader that is gone (unplugged, pcscd restarted): the next call looks again.
    fn check<T>(&mut self, r: Result<T, TransportError>) -> Result<T, TransportError> {
        if let Err(
            e @ (TransportError::NoReader | TransportError::NoService | TransportError::NoReaderMatching { .. }),
        ) = &r
        {
            self.reader = None;
            self.retry = Some((Instant::now() + REOPEN_EVERY, e.clone()));
        }
        r
    }
}

impl CardPort for PcscPort {
    fn present(&mut self) -> Result<bool, TransportError> {
        let r = self.reader()?.card_present();
        self.check(r)
    }
    fn pin_tries(&mut self) -> Result<u8, CardError> {
        let r = text_ap::pin_status(self.reader()?);
        if let Err(CardError::Transport(t)) = &r {
            let _ = self.check::<()>(Err(t.clone()));
        }
        r
    }
    fn pin_b_tries(&mut self) -> Result<u8, CardError> {
        let r = text_ap::pin_b_status(self.reader()?);
        if let Err(CardError::Transport(t)) = &r {
            let _ = self.check::<()>(Err(t.clone()));
        }
        r
    }
    fn read(&mut self, cred: Credential<'_>, req: ReadRequest) -> Result<ReadOutcome, ReadFailure> {
        let reader = self.reader().map_err(|e| ReadFailure { error: e.into(), verify_sent: false })?;
        let r = read_with(reader, cred, req);
        if let Err(ReadFailure { error: CardError::Transport(t), .. }) = &r {
            let _ = self.check::<()>(Err(t.clone()));
        }
        r
    }
    fn status(&mut self, today: chrono::NaiveDate) -> Result<CardStatus, CardError> {
        let r = read_status(self.reader()?, today);
        if let Err(CardError::Transport(t)) = &r {
            let _ = self.check::<()>(Err(t.clone()));
        }
        r
    }
    fn release(&mut self) {
        if let Some(r) = self.reader.as_mut() {
            r.disconnect();
        }
    }
}
