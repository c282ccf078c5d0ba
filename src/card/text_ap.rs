//! 券面事項入力補助AP (text AP): select, PIN safety, and reading 基本4情報 / 個人番号.
//!
//! PIN rules (the resident's card must never be locked by this software):
//! 1. the PIN format is checked locally (see [`Pin`]) so a typo never costs a try;
//! 2. every VERIFY is preceded by an empty VERIFY that reads the tries left;
//! 3. with exactly one try left, no VERIFY is sent unless a clerk overrides.

use super::apdu::{Command, Response, StatusWord, cmd};
use super::attributes::{self, CardAttributes, MyNumber, RecordError};
use super::error::CardError;
use super::pin::Pin;
use super::tlv;
use super::transport::Transport;

pub const TEXT_AP_AID: [u8; 10] = [0xD3, 0x92, 0x10, 0x00, 0x31, 0x00, 0x01, 0x01, 0x04, 0x08];
pub const JPKI_AP_AID: [u8; 10] = [0xD3, 0x92, 0xF0, 0x00, 0x26, 0x01, 0x00, 0x00, 0x00, 0x01];
pub const VISUAL_AP_AID: [u8; 10] = [0xD3, 0x92, 0x10, 0x00, 0x31, 0x00, 0x01, 0x01, 0x04, 0x02];

pub const EF_MY_NUMBER: u16 = 0x0001;
pub const EF_BASIC4: u16 = 0x0002;
pub const EF_PIN: u16 = 0x0011;

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

/// Result of a full read.
#[derive(Debug)]
pub struct ReadOutcome {
    pub attributes: CardAttributes,
    pub my_number: Option<MyNumber>,
    /// Tries left before the successful VERIFY (reset to the maximum by it).
    pub tries_before: u8,
}

/// A selected text AP. Security state is per application: it is lost when another DF is
/// selected or the card is reset, so `verified` lives here and nowhere else.
pub struct TextAp<T: Transport> {
    t: T,
    verified: bool,
}

fn transmit<T: Transport>(t: &mut T, c: &Command) -> Result<Response, CardError> {
    Ok(t.transmit(c)?)
}

impl<T: Transport> TextAp<T> {
    /// SELECT the text AP by AID. This is how the card is recognised (never by ATR).
    pub fn select(mut t: T) -> Result<Self, CardError> {
        let r = transmit(&mut t, &cmd::select_df(&TEXT_AP_AID))?;
        match r.sw {
            StatusWord::OK => Ok(TextAp { t, verified: false }),
            StatusWord::FILE_NOT_FOUND | StatusWord::WRONG_P1P2 => Err(CardError::NotMyNumberCard),
            sw => Err(CardError::UnexpectedStatus { command: "SELECT AP", sw }),
        }
    }

    pub fn into_inner(self) -> T {
        self.t
    }

    fn select_ef(&mut self, fid: u16) -> Result<(), CardError> {
        let r = transmit(&mut self.t, &cmd::select_ef(fid))?;
        match r.sw {
            StatusWord::OK => Ok(()),
            StatusWord::FILE_NOT_FOUND => Err(CardError::FileNotFound { fid }),
            sw => Err(CardError::UnexpectedStatus { command: "SELECT EF", sw }),
        }
    }

    fn tries_from(sw: StatusWord) -> Result<u8, CardError> {
        match (sw, sw.tries_left()) {
            (_, Some(0)) => Err(CardError::PinLocked { sw }),
            (_, Some(n)) => Ok(n),
            (StatusWord::REFERENCE_DATA_NOT_USABLE | StatusWord::AUTH_METHOD_BLOCKED, _) => {
                Err(CardError::PinLocked { sw })
            }
            (StatusWord::OK, _) => Err(CardError::AlreadyVerified),
            (sw, _) => Err(CardError::UnexpectedStatus { command: "VERIFY (status)", sw }),
        }
    }

    /// Tries left on the text-AP PIN, read with an empty VERIFY (consumes no try).
    /// A locked PIN is `Err(PinLocked)`.
    pub fn pin_tries(&mut self) -> Result<u8, CardError> {
        self.select_ef(EF_PIN)?;
        let r = transmit(&mut self.t, &cmd::verify_status())?;
        Self::tries_from(r.sw)
    }

    /// Verify the PIN safely; returns the tries left before this VERIFY.
    pub fn verify(&mut self, pin: &Pin, last_try: LastTry) -> Result<u8, CardError> {
        let tries = self.pin_tries()?;
        if tries == 1 && last_try == LastTry::Refuse {
            return Err(CardError::LastTryRefused);
        }
        let r = transmit(&mut self.t, &cmd::verify(pin.as_bytes()))?;
        match (r.sw, r.sw.tries_left()) {
            (StatusWord::OK, _) => {
                self.verified = true;
                Ok(tries)
            }
            (_, Some(0)) => Err(CardError::PinLocked { sw: r.sw }),
            (_, Some(n)) => Err(CardError::WrongPin { tries_left: n }),
            (StatusWord::REFERENCE_DATA_NOT_USABLE | StatusWord::AUTH_METHOD_BLOCKED, _) => {
                Err(CardError::PinLocked { sw: r.sw })
            }
            (StatusWord::WRONG_LENGTH, _) => Err(CardError::WrongLength),
            (sw, _) => Err(CardError::UnexpectedStatus { command: "VERIFY", sw }),
        }
    }

    pub fn is_verified(&self) -> bool {
        self.verified
    }

    fn read_chunk(&mut self, offset: usize, le: usize) -> Result<Response, CardError> {
        let r = transmit(&mut self.t, &cmd::read_binary(offset as u16, le as u16))?;
        match r.sw {
            StatusWord::OK => Ok(r),
            StatusWord::SECURITY_NOT_SATISFIED => Err(CardError::SecurityNotSatisfied),
            StatusWord::WRONG_OFFSET | StatusWord::WRONG_P1P2 => Err(CardError::WrongOffset),
            StatusWord::WRONG_LENGTH => Err(CardError::WrongLength),
            sw => Err(CardError::UnexpectedStatus { command: "READ BINARY", sw }),
        }
    }

    /// Read one BER-TLV record from the selected EF: a first read of up to 256 bytes gives
    /// the header, the rest is read in ≤ 256-byte chunks sized from that header.
    fn read_record(&mut self, first_le: usize, max_len: usize) -> Result<Vec<u8>, CardError> {
        let mut buf = zeroize::Zeroizing::new(Vec::new());
        let first = self.read_chunk(0, first_le)?;
        buf.extend_from_slice(&first.data);
        let total = tlv::parse_header(&buf).map_err(RecordError::from)?.total_len();
        if total > max_len {
            return Err(RecordError::TooLong(max_len).into());
        }
        while buf.len() < total {
            let le = (total - buf.len()).min(256);
            let r = self.read_chunk(buf.len(), le)?;
            if r.data.is_empty() {
                // The EF ended before the record did.
                return Err(RecordError::Tlv(tlv::TlvError::Truncated {
                    offset: buf.len(),
                    needed: total - buf.len(),
                })
                .into());
            }
            buf.extend_from_slice(&r.data);
        }
        buf.truncate(total);
        Ok(std::mem::take(&mut *buf))
    }

    /// Read 基本4情報 (needs a verified PIN).
    pub fn read_attributes(&mut self) -> Result<CardAttributes, CardError> {
        self.select_ef(EF_BASIC4)?;
        let rec = zeroize::Zeroizing::new(self.read_record(256, MAX_BASIC4_LEN)?);
        Ok(attributes::parse_basic4(&rec)?)
    }

    /// Read the 個人番号 (needs a verified PIN). Call only when a chosen form declares it.
    pub fn read_my_number(&mut self) -> Result<MyNumber, CardError> {
        self.select_ef(EF_MY_NUMBER)?;
        let rec = zeroize::Zeroizing::new(self.read_record(17, 64)?);
        Ok(attributes::parse_my_number(&rec)?)
    }
}

/// The whole read: select, safe VERIFY, 基本4情報, and the 個人番号 only when requested.
pub fn read_card<T: Transport>(t: T, pin: &Pin, req: ReadRequest) -> Result<ReadOutcome, CardError> {
    let mut ap = TextAp::select(t)?;
    let tries_before = ap.verify(pin, req.last_try)?;
    let attributes = ap.read_attributes()?;
    let my_number = if req.my_number { Some(ap.read_my_number()?) } else { None };
    Ok(ReadOutcome { attributes, my_number, tries_before })
}

/// Tries left without verifying (for `card status` and the PIN screen).
pub fn pin_status<T: Transport>(t: T) -> Result<u8, CardError> {
    TextAp::select(t)?.pin_tries()
}
