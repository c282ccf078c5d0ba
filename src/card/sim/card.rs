//! The virtual My Number Card: APDU in, APDU out, answering as the public descriptions of the
//! card (and the clients that read it: jpki/myna, OpenSC) say a real one does.
//!
//! Shared by both front ends (in-process transport and the vpcd client).

use std::collections::VecDeque;
use std::sync::Arc;

use zeroize::Zeroizing;

use super::jpki::{self, JpkiMaterial};
use super::persona::{CardKind, LockResponse, Persona};
use crate::card::apdu::{Command, Response, StatusWord};
use crate::card::attributes::{encode_basic4, encode_my_number};
use crate::card::text_ap::{JPKI_AP_AID, TEXT_AP_AID, VISUAL_AP_AID};

/// 住基AP (resident-registry AP); selectable, contents not modelled.
pub const JUKI_AP_AID: [u8; 10] = [0xD3, 0x92, 0x10, 0x00, 0x31, 0x00, 0x01, 0x01, 0x01, 0x00];

/// A contact-interface My Number ATR from pcsc-tools (T=1). Clients must not depend on it.
pub const ATR: [u8; 13] = [0x3B, 0xC5, 0xFF, 0x81, 0x31, 0xFB, 0x45, 0x80, 0x73, 0xC6, 0x01, 0x00, 0x00];

/// The applications (DFs) of the card.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Df {
    Text,
    Jpki,
    Visual,
    Juki,
}

/// What the reader did to the card's power (vpcd control bytes 00, 01, 02).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Power {
    Off,
    On,
    /// Warm reset, e.g. `SCardEndTransaction`/`SCardDisconnect` with `SCARD_RESET_CARD`.
    Reset,
}

/// One command as the card saw it, for tests that prove what was (not) sent. Never holds
/// command data except the AID/FID of a SELECT (public constants): a VERIFY is only its
/// length.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CommandRecord {
    pub cla: u8,
    pub ins: u8,
    pub p1: u8,
    pub p2: u8,
    pub data_len: usize,
    /// The AID or FID a SELECT asked for.
    pub selected: Option<Vec<u8>>,
    /// The application and EF current after the command (for READ BINARY: the EF read).
    pub df: Option<Df>,
    pub ef: Option<u16>,
    pub sw: u16,
}

impl CommandRecord {
    pub fn is_read_binary(&self) -> bool {
        self.ins == 0xB0
    }

    /// A VERIFY carrying a PIN (the empty VERIFY only asks for the tries left).
    pub fn is_pin_verify(&self) -> bool {
        self.ins == 0x20 && self.data_len > 0
    }

    pub fn is_empty_verify(&self) -> bool {
        self.ins == 0x20 && self.data_len == 0
    }
}

/// The card's journal: commands and power events, in order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum JournalEntry {
    Command(CommandRecord),
    Power(Power),
}

/// Journal entries kept (the oldest go first); far more than any test's procedure.
const JOURNAL_LEN: usize = 4096;

/// A retry counter with its maximum. Survives resets (like the real card's counters).
#[derive(Clone)]
struct PinObject {
    secret: Zeroizing<Vec<u8>>,
    tries: u8,
    max: u8,
}

impl PinObject {
    fn new(secret: &str, tries: u8, max: u8) -> Self {
        PinObject { secret: Zeroizing::new(secret.as_bytes().to_vec()), tries, max }
    }
}

/// Card state. `process` never panics on any input.
pub struct VirtualCard {
    persona: Persona,
    lock_sw: StatusWord,
    text_pin: PinObject,
    pin_b: PinObject,
    auth_pin: PinObject,
    sign_pw: PinObject,
    df: Option<Df>,
    ef: Option<u16>,
    /// Security state of the currently selected DF (lost on DF change and reset).
    verified_text: bool,
    verified_pin_b: bool,
    verified_auth: bool,
    verified_sign: bool,
    jpki: Option<Arc<JpkiMaterial>>,
    ef_basic4: Zeroizing<Vec<u8>>,
    ef_my_number: Zeroizing<Vec<u8>>,
    journal: VecDeque<JournalEntry>,
}

impl VirtualCard {
    pub fn new(persona: Persona) -> Self {
        let lock_sw = match persona.lock_response {
            LockResponse::Sw6984 => StatusWord::REFERENCE_DATA_NOT_USABLE,
            LockResponse::Sw63C0 => StatusWord(0x63C0),
        };
        let birth = Zeroizing::new(persona.birth_date.to_card());
        let ef_basic4 =
            Zeroizing::new(encode_basic4(persona.name.expose(), persona.address.expose(), &birth, persona.sex.code()));
        let ef_my_number = Zeroizing::new(encode_my_number(persona.my_number.expose()));
        VirtualCard {
            text_pin: PinObject::new(persona.pin.expose(), persona.pin_tries_left, 3),
            pin_b: PinObject::new(persona.pin_b.expose(), persona.pin_b_tries_left, persona.pin_b_max_tries),
            auth_pin: PinObject::new(persona.auth_pin.expose(), persona.auth_pin_tries_left, 3),
            sign_pw: PinObject::new(persona.sign_password.expose(), persona.sign_password_tries_left, 5),
            persona,
            lock_sw,
            df: None,
            ef: None,
            verified_text: false,
            verified_pin_b: false,
            verified_auth: false,
            verified_sign: false,
            jpki: None,
            ef_basic4,
            ef_my_number,
            journal: VecDeque::new(),
        }
    }

    pub fn persona(&self) -> &Persona {
        &self.persona
    }

    /// Text-AP PIN tries left (for tests that check the counter itself).
    pub fn text_pin_tries(&self) -> u8 {
        self.text_pin.tries
    }

    /// 照合番号B tries left.
    pub fn pin_b_tries(&self) -> u8 {
        self.pin_b.tries
    }

    /// JPKI 利用者証明用 PIN tries left.
    pub fn auth_pin_tries(&self) -> u8 {
        self.auth_pin.tries
    }

    /// JPKI 署名用 password tries left.
    pub fn sign_password_tries(&self) -> u8 {
        self.sign_pw.tries
    }

    /// Whether any PIN is verified right now (it should never be once a procedure ended).
    pub fn any_verified(&self) -> bool {
        self.verified_text || self.verified_pin_b || self.verified_auth || self.verified_sign
    }

    /// Every command and power event since the card was made (or the journal cleared).
    pub fn journal(&self) -> Vec<JournalEntry> {
        self.journal.iter().cloned().collect()
    }

    /// The commands only.
    pub fn commands(&self) -> Vec<CommandRecord> {
        self.journal
            .iter()
            .filter_map(|e| match e {
                JournalEntry::Command(c) => Some(c.clone()),
                JournalEntry::Power(_) => None,
            })
            .collect()
    }

    pub fn clear_journal(&mut self) {
        self.journal.clear();
    }

    fn note(&mut self, e: JournalEntry) {
        if self.journal.len() >= JOURNAL_LEN {
            self.journal.pop_front();
        }
        self.journal.push_back(e);
    }

    /// Warm reset: the selection and every security state are lost.
    pub fn reset(&mut self) {
        self.power(Power::Reset);
    }

    /// Power off, on, or reset by the reader: the selection and every security state are
    /// lost (the PIN counters are not: they survive power-off, like the real card's).
    pub fn power(&mut self, p: Power) {
        self.note(JournalEntry::Power(p));
        self.df = None;
        self.ef = None;
        self.clear_security();
    }

    fn clear_security(&mut self) {
        self.verified_text = false;
        self.verified_pin_b = false;
        self.verified_auth = false;
        self.verified_sign = false;
    }

    /// The JPKI keys and certificates, generated on first use (RSA keygen is not free).
    pub fn jpki(&mut self) -> Arc<JpkiMaterial> {
        self.jpki.get_or_insert_with(|| jpki::material_for(&self.persona)).clone()
    }

    /// Handle one raw command APDU and return the raw response.
    pub fn process(&mut self, raw: &[u8]) -> Vec<u8> {
        let resp = match Command::parse(raw) {
            Some(c) => {
                let r = self.dispatch(&c);
                self.note(JournalEntry::Command(CommandRecord {
                    cla: c.cla,
                    ins: c.ins,
                    p1: c.p1,
                    p2: c.p2,
                    data_len: c.data.len(),
                    selected: (c.ins == 0xA4).then(|| c.data.clone()),
                    df: self.df,
                    ef: self.ef,
                    sw: r.sw.0,
                }));
                r
            }
            None => Response::status(StatusWord::WRONG_LENGTH),
        };
        resp.to_bytes()
    }

    fn dispatch(&mut self, c: &Command) -> Response {
        match (c.cla, c.ins) {
            (0x00, 0xA4) => self.select(c),
            (0x00, 0x20) => self.verify(c),
            (0x00, 0xB0) => self.read_binary(c),
            (0x80, 0x2A) => self.sign(c),
            (0x00 | 0x80, _) => Response::status(StatusWord::INS_NOT_SUPPORTED),
            _ => Response::status(StatusWord::CLA_NOT_SUPPORTED),
        }
    }

    fn select(&mut self, c: &Command) -> Response {
        match c.p1 {
            0x04 => {
                let df = match c.data.as_slice() {
                    d if d == TEXT_AP_AID => Df::Text,
                    d if d == JPKI_AP_AID => Df::Jpki,
                    d if d == VISUAL_AP_AID => Df::Visual,
                    d if d == JUKI_AP_AID => Df::Juki,
                    _ => return Response::status(StatusWord::FILE_NOT_FOUND),
                };
                let present = match self.persona.card {
                    CardKind::MyNumber => true,
                    CardKind::Juki => df == Df::Jpki,
                    CardKind::Other => false,
                };
                if !present {
                    return Response::status(StatusWord::FILE_NOT_FOUND);
                }
                self.df = Some(df);
                self.ef = None;
                self.clear_security();
                Response::status(StatusWord::OK)
            }
            0x02 => {
                let [hi, lo] = c.data.as_slice() else {
                    return Response::status(StatusWord::WRONG_LENGTH);
                };
                let fid = u16::from_be_bytes([*hi, *lo]);
                if self.df.is_some_and(|df| self.ef_exists(df, fid)) {
                    self.ef = Some(fid);
                    Response::status(StatusWord::OK)
                } else {
                    Response::status(StatusWord::FILE_NOT_FOUND)
                }
            }
            _ => Response::status(StatusWord::FILE_NOT_FOUND),
        }
    }

    fn ef_exists(&self, df: Df, fid: u16) -> bool {
        match df {
            Df::Text => matches!(fid, 0x0001 | 0x0002 | 0x0011 | 0x0015),
            // A card without a 利用者証明用電子証明書 has no EF 000A here (what a real one
            // holds then is not documented).
            Df::Jpki if fid == 0x000A => self.persona.auth_cert_validity.is_some(),
            Df::Jpki => matches!(fid, 0x0001 | 0x0002 | 0x0006 | 0x000B | 0x0017 | 0x0018 | 0x001A | 0x001B),
            Df::Visual | Df::Juki => false,
        }
    }

    fn pin_for_current(&mut self) -> Option<(&mut PinObject, &mut bool)> {
        match (self.df?, self.ef?) {
            (Df::Text, 0x0011) => Some((&mut self.text_pin, &mut self.verified_text)),
            (Df::Text, 0x0015) => Some((&mut self.pin_b, &mut self.verified_pin_b)),
            (Df::Jpki, 0x0018) => Some((&mut self.auth_pin, &mut self.verified_auth)),
            (Df::Jpki, 0x001B) => Some((&mut self.sign_pw, &mut self.verified_sign)),
            _ => None,
        }
    }

    fn verify(&mut self, c: &Command) -> Response {
        if c.p1 != 0x00 || c.p2 != 0x80 {
            return Response::status(StatusWord::WRONG_P1P2);
        }
        let lock_sw = self.lock_sw;
        let Some((pin, verified)) = self.pin_for_current() else {
            return Response::status(StatusWord::NO_CURRENT_EF);
        };
        if pin.tries == 0 {
            return Response::status(lock_sw);
        }
        if c.data.is_empty() {
            // Status query: never consumes a try.
            return Response::status(StatusWord(0x63C0 | u16::from(pin.tries)));
        }
        if constant_time_eq(&c.data, &pin.secret) {
            pin.tries = pin.max;
            *verified = true;
            Response::status(StatusWord::OK)
        } else {
            pin.tries -= 1;
            *verified = false;
            Response::status(StatusWord(0x63C0 | u16::from(pin.tries)))
        }
    }

    /// The current EF's bytes if the security state allows reading it.
    fn readable(&mut self, df: Df, fid: u16) -> Result<Zeroizing<Vec<u8>>, StatusWord> {
        match (df, fid) {
            // The 個人番号 opens with the PIN (or 照合番号A), 基本4情報 with the PIN or 照合番号B.
            (Df::Text, 0x0001) if self.verified_text => Ok(self.ef_my_number.clone()),
            (Df::Text, 0x0002) if self.verified_text || self.verified_pin_b => Ok(self.ef_basic4.clone()),
            (Df::Text, 0x0001 | 0x0002) => Err(StatusWord::SECURITY_NOT_SATISFIED),
            (Df::Jpki, 0x0006) => {
                let mut token = if self.persona.card == CardKind::Juki {
                    b"JPKIAPICCTOKEN".to_vec()
                } else {
                    b"JPKIAPICCTOKEN2".to_vec()
                };
                token.resize(32, b' ');
                Ok(Zeroizing::new(token))
            }
            (Df::Jpki, 0x000A) => Ok(Zeroizing::new(self.jpki().auth_cert.clone())),
            (Df::Jpki, 0x000B) => Ok(Zeroizing::new(self.jpki().auth_ca_cert.clone())),
            (Df::Jpki, 0x0002) => Ok(Zeroizing::new(self.jpki().sign_ca_cert.clone())),
            (Df::Jpki, 0x0001) if self.verified_sign => Ok(Zeroizing::new(self.jpki().sign_cert.clone())),
            (Df::Jpki, 0x0001) => Err(StatusWord::SECURITY_NOT_SATISFIED),
            _ => Err(StatusWord::CONDITIONS_NOT_SATISFIED),
        }
    }

    fn read_binary(&mut self, c: &Command) -> Response {
        let Some(df) = self.df else {
            return Response::status(StatusWord::NO_CURRENT_EF);
        };
        let offset = if c.p1 & 0x80 != 0 {
            // Short EF identifier form: select FID = SFI, offset = P2.
            let fid = u16::from(c.p1 & 0x1F);
            if !self.ef_exists(df, fid) {
                return Response::status(StatusWord::FILE_NOT_FOUND);
            }
            self.ef = Some(fid);
            usize::from(c.p2)
        } else {
            usize::from(u16::from_be_bytes([c.p1, c.p2]))
        };
        let Some(fid) = self.ef else {
            return Response::status(StatusWord::NO_CURRENT_EF);
        };
        let Some(le) = c.le else {
            return Response::status(StatusWord::WRONG_LENGTH);
        };
        let data = match self.readable(df, fid) {
            Ok(d) => d,
            Err(sw) => return Response::status(sw),
        };
        if offset >= data.len() {
            return Response::status(StatusWord::WRONG_OFFSET);
        }
        // Le beyond the end: the rest of the file and 90 00 (as the real card does).
        let end = data.len().min(offset + usize::from(le));
        Response::ok(data[offset..end].to_vec())
    }

    fn sign(&mut self, c: &Command) -> Response {
        if c.p1 != 0x00 || c.p2 != 0x80 {
            return Response::status(StatusWord::WRONG_P1P2);
        }
        let key = match (self.df, self.ef) {
            (Some(Df::Jpki), Some(0x0017)) if self.verified_auth => jpki::Key::Auth,
            (Some(Df::Jpki), Some(0x001A)) if self.verified_sign => jpki::Key::Sign,
            (Some(Df::Jpki), Some(0x0017 | 0x001A)) => {
                return Response::status(StatusWord::SECURITY_NOT_SATISFIED);
            }
            _ => return Response::status(StatusWord::CONDITIONS_NOT_SATISFIED),
        };
        if c.data.is_empty() {
            return Response::status(StatusWord::WRONG_LENGTH);
        }
        match self.jpki().sign(key, &c.data) {
            Some(sig) => Response::ok(sig),
            None => Response::status(StatusWord::WRONG_LENGTH),
        }
    }
}

fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}
