//! 券面事項入力補助AP (text AP): select, PIN safety, and reading 基本4情報 / 個人番号, with
//! the 4-digit PIN or with 照合番号B.
//!
//! PIN rules (the resident's card must never be locked by this software):
//! 1. the PIN format is checked locally (see [`Pin`], [`PinB`]) so a typo never costs a try;
//! 2. every VERIFY is preceded by an empty VERIFY that reads the tries left;
//! 3. with exactly one try left, no VERIFY is sent unless a clerk overrides;
//! 4. the whole procedure runs in one PC/SC transaction and the card is reset after it
//!    ([`Transport::exclusive`]); a failure says whether a VERIFY was sent ([`ReadFailure`]),
//!    so nobody retries a PIN that may already have cost a try.

use thiserror::Error;

use super::apdu::cmd;
use super::attributes;
use super::ef::{self, Tries, Verified};
use super::error::CardError;
use super::pin::PinKind;
use super::profile::{self, CardProfile};
use super::transport::{self, Transport};
use crate::vocab::person::{CardAttributes, MyNumber};
use crate::vocab::pin::{Credential, Pin};

pub const TEXT_AP_AID: [u8; 10] = [0xD3, 0x92, 0x10, 0x00, 0x31, 0x00, 0x01, 0x01, 0x04, 0x08];
pub const JPKI_AP_AID: [u8; 10] = [0xD3, 0x92, 0xF0, 0x00, 0x26, 0x01, 0x00, 0x00, 0x00, 0x01];
pub const VISUAL_AP_AID: [u8; 10] = [0xD3, 0x92, 0x10, 0x00, 0x31, 0x00, 0x01, 0x01, 0x04, 0x02];

pub const EF_MY_NUMBER: u16 = 0x0001;
pub const EF_BASIC4: u16 = 0x0002;
pub const EF_PIN: u16 = 0x0011;
/// 照合番号B.
pub const EF_PIN_B: u16 = 0x0015;

/// Upper bound for EF 0002: a real record is a few hundred bytes; anything claiming more is
/// corrupt and would only cost reads.
pub const MAX_BASIC4_LEN: usize = 4096;

/// Whether a clerk has agreed (with the resident's consent) to spend the last PIN try.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum LastTry {
    #[default]
    Refuse,
    ClerkOverride,
}

/// What the caller asked to read. The 個人番号 only when a chosen form needs it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct ReadRequest {
    pub my_number: bool,
    pub last_try: LastTry,
}

/// The card's PIN that `cred` opens.
pub fn pin_kind(cred: &Credential<'_>) -> PinKind {
    match cred {
        Credential::Pin(_) => PinKind::TextPin,
        Credential::PinB(_) => PinKind::PinB,
    }
}

fn credential_bytes<'a>(cred: &Credential<'a>) -> &'a [u8] {
    match *cred {
        Credential::Pin(p) => p.as_bytes(),
        Credential::PinB(p) => p.as_bytes(),
    }
}

/// Result of a full read.
#[derive(Debug)]
pub struct ReadOutcome {
    pub attributes: CardAttributes,
    pub my_number: Option<MyNumber>,
    /// Tries left before the successful VERIFY (reset to the maximum by it).
    pub tries_before: u8,
    /// Which credential opened the card.
    pub credential: PinKind,
    pub profile: CardProfile,
}

/// A read that failed, and whether a VERIFY with the PIN was handed to the card before it
/// failed. When it was, the card may have counted a try: never send the same PIN again
/// automatically (a retry could lock the card, or send resident A's PIN to card B).
#[derive(Debug, Clone, PartialEq, Eq, Error)]
#[error("{error}")]
pub struct ReadFailure {
    pub error: CardError,
    pub verify_sent: bool,
}

impl From<ReadFailure> for CardError {
    fn from(f: ReadFailure) -> CardError {
        f.error
    }
}

/// A selected text AP. Security state is per application: it is lost when another DF is
/// selected or the card is reset, so `verified` lives here and nowhere else.
pub struct TextAp<T: Transport> {
    t: T,
    verified: Option<PinKind>,
    verify_sent: bool,
}

impl<T: Transport> TextAp<T> {
    /// SELECT the text AP by AID. This is how the card is recognised (never by ATR); a card
    /// without it is explained by [`profile`] (unknown card, 住基カード).
    pub fn select(mut t: T) -> Result<Self, CardError> {
        if ef::select_df(&mut t, &TEXT_AP_AID)? {
            Ok(TextAp { t, verified: None, verify_sent: false })
        } else {
            Err(profile::not_readable(&mut t))
        }
    }

    pub fn into_inner(self) -> T {
        self.t
    }

    fn tries(&mut self, kind: PinKind) -> Result<u8, CardError> {
        match ef::query_tries(&mut self.t, kind.ef())? {
            Tries::Left(n) => Ok(n),
            Tries::Locked(sw) => Err(locked(kind, sw)),
        }
    }

    /// Tries left on the text-AP PIN, read with an empty VERIFY (consumes no try).
    /// A locked PIN is `Err(PinLocked)`.
    pub fn pin_tries(&mut self) -> Result<u8, CardError> {
        self.tries(PinKind::TextPin)
    }

    /// Tries left on 照合番号B (empty VERIFY on EF 0015). A locked one is `Err(PinBLocked)`.
    pub fn pin_b_tries(&mut self) -> Result<u8, CardError> {
        self.tries(PinKind::PinB)
    }

    /// Verify the PIN safely; returns the tries left before this VERIFY.
    pub fn verify(&mut self, pin: &Pin, last_try: LastTry) -> Result<u8, CardError> {
        self.verify_with(Credential::Pin(pin), last_try)
    }

    /// Verify a credential safely: tries first, refusal at the last try without a clerk,
    /// then the VERIFY. Returns the tries left before this VERIFY.
    pub fn verify_with(&mut self, cred: Credential<'_>, last_try: LastTry) -> Result<u8, CardError> {
        let kind = pin_kind(&cred);
        let tries = self.tries(kind)?;
        if tries == 1 && last_try == LastTry::Refuse {
            return Err(match kind {
                PinKind::PinB => CardError::PinBLastTryRefused,
                _ => CardError::LastTryRefused,
            });
        }
        self.verify_sent = true;
        let r = self.t.transmit(&cmd::verify(credential_bytes(&cred)))?;
        match ef::verify_answer(r.sw)? {
            Verified::Ok => {
                self.verified = Some(kind);
                Ok(tries)
            }
            Verified::Locked(sw) => Err(locked(kind, sw)),
            Verified::Wrong(n) => Err(match kind {
                PinKind::PinB => CardError::WrongPinB { tries_left: n },
                _ => CardError::WrongPin { tries_left: n },
            }),
        }
    }

    pub fn is_verified(&self) -> bool {
        self.verified.is_some()
    }

    /// Whether a VERIFY with a PIN was handed to the card on this selection.
    pub fn verify_sent(&self) -> bool {
        self.verify_sent
    }

    /// Read 基本4情報 (needs the PIN or 照合番号B verified).
    pub fn read_attributes(&mut self) -> Result<CardAttributes, CardError> {
        ef::select_ef(&mut self.t, EF_BASIC4)?;
        let rec = ef::read_record(&mut self.t, 256, MAX_BASIC4_LEN)?;
        Ok(attributes::parse_basic4(&rec)?)
    }

    /// Read the 個人番号 (needs the PIN verified). Call only when a chosen form declares it.
    pub fn read_my_number(&mut self) -> Result<MyNumber, CardError> {
        if self.verified == Some(PinKind::PinB) {
            return Err(CardError::MyNumberNeedsPin);
        }
        ef::select_ef(&mut self.t, EF_MY_NUMBER)?;
        let rec = ef::read_record(&mut self.t, 17, 64)?;
        Ok(attributes::parse_my_number(&rec)?)
    }
}

fn locked(kind: PinKind, sw: super::apdu::StatusWord) -> CardError {
    match kind {
        PinKind::PinB => CardError::PinBLocked { sw },
        _ => CardError::PinLocked { sw },
    }
}

/// The whole read with the 4-digit PIN: select, safe VERIFY, 基本4情報, and the 個人番号
/// only when requested — in one exclusive procedure, the card reset at the end.
pub fn read_card<T: Transport>(t: T, pin: &Pin, req: ReadRequest) -> Result<ReadOutcome, CardError> {
    read_with(t, Credential::Pin(pin), req).map_err(CardError::from)
}

/// The whole read with either credential (see [`read_card`]). With 照合番号B the 個人番号 is
/// refused before anything is sent: the card opens EF 0001 only after the PIN (or 照合番号A).
pub fn read_with<T: Transport>(mut t: T, cred: Credential<'_>, req: ReadRequest) -> Result<ReadOutcome, ReadFailure> {
    if matches!(cred, Credential::PinB(_)) && req.my_number {
        return Err(ReadFailure { error: CardError::MyNumberNeedsPin, verify_sent: false });
    }
    let procedure = transport::exclusive(&mut t, |tx| {
        let mut ap = match TextAp::select(tx) {
            Ok(ap) => ap,
            Err(error) => return Err(ReadFailure { error, verify_sent: false }),
        };
        let body = |ap: &mut TextAp<_>| -> Result<ReadOutcome, CardError> {
            let tries_before = ap.verify_with(cred, req.last_try)?;
            let attributes = ap.read_attributes()?;
            let my_number = if req.my_number { Some(ap.read_my_number()?) } else { None };
            Ok(ReadOutcome {
                attributes,
                my_number,
                tries_before,
                credential: pin_kind(&cred),
                profile: CardProfile::MyNumberCard,
            })
        };
        body(&mut ap).map_err(|error| ReadFailure { error, verify_sent: ap.verify_sent() })
    });
    procedure.unwrap_or_else(|e| Err(ReadFailure { error: e.into(), verify_sent: false }))
}

/// Tries left on the 4-digit PIN without verifying (for `card status` and the PIN screen).
pub fn pin_status<T: Transport>(t: T) -> Result<u8, CardError> {
    tries_of(t, PinKind::TextPin)
}

/// Tries left on 照合番号B without verifying (for the clerk's 照合番号B keypad).
pub fn pin_b_status<T: Transport>(t: T) -> Result<u8, CardError> {
    tries_of(t, PinKind::PinB)
}

fn tries_of<T: Transport>(mut t: T, kind: PinKind) -> Result<u8, CardError> {
    transport::exclusive(&mut t, |tx| TextAp::select(tx)?.tries(kind))?
}
