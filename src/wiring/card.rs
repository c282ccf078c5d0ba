//! The card reader behind the session's [`CardPort`]: [`SimReader`] wraps the in-process
//! virtual card (tests, demo); [`PcscPort`] wraps a real PC/SC reader.

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use crate::card::pcsc::PcscReader;
use crate::card::sim::{InProcess, Persona};
use crate::card::status::{Advice, DEFAULT_RENEW_WITHIN_DAYS};
use crate::card::{
    CardError, CardStatus, LastTry, ReadOutcome, ReadRequest, TransportError, read_status, read_with, text_ap,
};
use crate::i18n::Msg;
use crate::session::{CardAdvice, CardData, CardPort, CardProblem, CardProblemKind, CardQuery, CardReport};
use crate::vocab::pin::Credential;

/// A card-layer error in the session's terms: what it acts on, and what the screen says.
pub fn problem(e: &CardError) -> CardProblem {
    let kind = match e {
        CardError::WrongPin { tries_left } | CardError::WrongPinB { tries_left } => {
            CardProblemKind::WrongPin { tries_left: *tries_left }
        }
        CardError::LastTryRefused | CardError::PinBLastTryRefused => CardProblemKind::LastTryRefused,
        CardError::PinLocked { .. } | CardError::PinBLocked { .. } => CardProblemKind::Locked,
        e if e.needs_card_again() => CardProblemKind::PlaceAgain,
        _ => CardProblemKind::Other,
    };
    CardProblem { kind, message: e.message() }
}

fn transport_problem(e: TransportError) -> CardProblem {
    problem(&CardError::Transport(e))
}

fn request(q: CardQuery) -> ReadRequest {
    ReadRequest {
        my_number: q.my_number,
        last_try: if q.last_try_allowed { LastTry::ClerkOverride } else { LastTry::Refuse },
    }
}

fn data(out: ReadOutcome) -> CardData {
    CardData { attributes: out.attributes, my_number: out.my_number }
}

/// カードの状態 for the screen: a row per PIN and one for the certificate, and the advice
/// (`renew_within_days`: how early "renew soon" starts).
pub fn report(st: &CardStatus, renew_within_days: u32) -> CardReport {
    let mut rows: Vec<(Msg, Msg)> = st.pins().iter().map(|(kind, state)| (kind.label(), state.message())).collect();
    rows.push((Msg::new("利用者証明用電子証明書"), st.auth_cert.message(st.today)));
    let advice = st
        .advice(renew_within_days)
        .into_iter()
        .map(|a| CardAdvice { key: a.key(), message: a.message(), on_paper: on_paper(a) })
        .collect();
    CardReport { rows, advice }
}

/// The advice as it goes on paper: without the days left (with the date of the check they
/// would give the expiry date, which is usually the holder's birthday).
fn on_paper(a: Advice) -> Msg {
    match a {
        Advice::RenewSoon { .. } => Msg::new(
            "利用者証明用電子証明書の有効期限が近づいています。お住まいの市区町村の窓口で更新の手続きをしてください。",
        ),
        other => other.message(),
    }
}

/// A simulated reader slot holding at most one virtual card. Clone the [`SimHandle`] to place
/// or take off the card while the session owns the port, like a hand at a real reader.
pub struct SimReader {
    slot: Arc<Mutex<Option<InProcess>>>,
    renew_within_days: u32,
}

/// The "hand" that places and removes cards on a [`SimReader`].
#[derive(Clone)]
pub struct SimHandle {
    slot: Arc<Mutex<Option<InProcess>>>,
}

impl SimReader {
    pub fn new() -> (SimReader, SimHandle) {
        let slot = Arc::new(Mutex::new(None));
        (SimReader { slot: slot.clone(), renew_within_days: DEFAULT_RENEW_WITHIN_DAYS }, SimHandle { slot })
    }

    /// How early カードの状態 says "renew soon" (`reader.renew_within_days`).
    pub fn renew_within_days(mut self, days: u32) -> SimReader {
        self.renew_within_days = days;
        self
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
    fn present(&mut self) -> Result<bool, CardProblem> {
        self.slot
            .lock()
            .map(|g| g.is_some())
            .map_err(|_| transport_problem(TransportError::Other("simulated reader poisoned".into())))
    }
    fn pin_tries(&mut self) -> Result<u8, CardProblem> {
        self.with_card(|c| text_ap::pin_status(c)).map_err(|e| problem(&e))
    }
    fn pin_b_tries(&mut self) -> Result<u8, CardProblem> {
        self.with_card(|c| text_ap::pin_b_status(c)).map_err(|e| problem(&e))
    }
    fn read(&mut self, cred: Credential<'_>, query: CardQuery) -> Result<CardData, CardProblem> {
        let mut g = self
            .slot
            .lock()
            .map_err(|_| transport_problem(TransportError::Other("simulated reader poisoned".into())))?;
        match g.as_mut() {
            Some(card) => read_with(card, cred, request(query)).map(data).map_err(|f| problem(&f.error)),
            None => Err(transport_problem(TransportError::NoCard)),
        }
    }
    fn status(&mut self, today: chrono::NaiveDate) -> Result<CardReport, CardProblem> {
        let renew = self.renew_within_days;
        self.with_card(|c| read_status(c, today)).map(|st| report(&st, renew)).map_err(|e| problem(&e))
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
    renew_within_days: u32,
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
        PcscPort {
            pattern: pattern.to_string(),
            renew_within_days: DEFAULT_RENEW_WITHIN_DAYS,
            reader: None,
            retry: None,
        }
    }

    /// How early カードの状態 says "renew soon" (`reader.renew_within_days`).
    pub fn renew_within_days(mut self, days: u32) -> PcscPort {
        self.renew_within_days = days;
        self
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

impl PcscPort {
    /// A card-layer result, with a reader that went away forgotten (see [`PcscPort::check`]).
    fn seen<T>(&mut self, r: Result<T, CardError>) -> Result<T, CardProblem> {
        if let Err(CardError::Transport(t)) = &r {
            let _ = self.check::<()>(Err(t.clone()));
        }
        r.map_err(|e| problem(&e))
    }
}

impl CardPort for PcscPort {
    fn present(&mut self) -> Result<bool, CardProblem> {
        let r = self.reader().map_err(transport_problem)?.card_present();
        self.check(r).map_err(transport_problem)
    }
    fn pin_tries(&mut self) -> Result<u8, CardProblem> {
        let r = text_ap::pin_status(self.reader().map_err(transport_problem)?);
        self.seen(r)
    }
    fn pin_b_tries(&mut self) -> Result<u8, CardProblem> {
        let r = text_ap::pin_b_status(self.reader().map_err(transport_problem)?);
        self.seen(r)
    }
    fn read(&mut self, cred: Credential<'_>, query: CardQuery) -> Result<CardData, CardProblem> {
        let r = read_with(self.reader().map_err(transport_problem)?, cred, request(query));
        self.seen(r.map_err(|f| f.error)).map(data)
    }
    fn status(&mut self, today: chrono::NaiveDate) -> Result<CardReport, CardProblem> {
        let r = read_status(self.reader().map_err(transport_problem)?, today);
        let renew = self.renew_within_days;
        self.seen(r).map(|st| report(&st, renew))
    }
    fn release(&mut self) {
        if let Some(r) = self.reader.as_mut() {
            r.disconnect();
        }
    }
}
