//! The virtual My Number Card: APDU in, APDU out, behaving as mynumber-card.md §9 describes.
//!
//! Shared by both front ends (in-process transport and the vpcd client).

use std::sync::Arc;

use zeroize::Zeroizing;

use super::jpki::{self, JpkiMaterial};
use super::persona::{LockResponse, Persona};
use crate::card::apdu::{Command, Response, StatusWord};
use crate::card::attributes::{encode_basic4, encode_my_number};
use crate::card::text_ap::{JPKI_AP_AID, TEXT_AP_AID, VISUAL_AP_AID};

/// 住基AP (resident-registry AP); selectable, contents not modelled.
pub const JUKI_AP_AID: [u8; 10] = [0xD3, 0x92, 0x10, 0x00, 0x31, 0x00, 0x01, 0x01, 0x01, 0x00];

/// A contact-interface My Number ATR from pcsc-tools (T=1). Clients must not depend on it.
pub const ATR: [u8; 13] = [0x3B, 0xC5, 0xFF, 0x81, 0x31, 0xFB, 0x45, 0x80, 0x73, 0xC6, 0x01, 0x00, 0x00];

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Df {
    Text,
    Jpki,
    Visual,
    Juki,
}

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
    auth_pin: PinObject,
    sign_pw: PinObject,
    df: Option<Df>,
    ef: Option<u16>,
    /// Security state of the currently selected DF (lost on DF change and reset).
    verified_text: bool,
    verified_auth: bool,
    verified_sign: bool,
    jpki: Option<Arc<JpkiMaterial>>,
    ef_basic4: Zeroizing<Vec<u8>>,
    ef_my_number: Zeroizing<Vec<u8>>,
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
            auth_pin: PinObject::new(persona.auth_pin.expose(), persona.auth_pin_tries_left, 3),
            sign_pw: PinObject::new(persona.sign_password.expose(), persona.sign_password_tries_left, 5),
            persona,
            lock_sw,
            df: None,
            ef: None,
            verified_text: false,
            verified_auth: false,
            verified_sign: false,
            jpki: None,
            ef_basic4,
            ef_my_number,
        }
    }

    pub fn persona(&self) -> &Persona {
        &self.persona
    }

    /// Text-AP PIN tries left (for tests that check the counter itself).
    pub fn text_pin_tries(&self) -> u8 {
        self.text_pin.tries
    }

    /// Power-off / warm reset: the selection and every security state are lost.
    pub fn reset(&mut self) {
        self.df = None;
        self.ef = None;
        self.clear_security();
    }

    fn clear_security(&mut self) {
        self.verified_text = false;
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
            Some(c) => self.dispatch(&c),
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
                if self.df.is_some_and(|df| Self::ef_exists(df, fid)) {
                    self.ef = Some(fid);
                    Response::status(StatusWord::OK)
                } else {
                    Response::status(StatusWord::FILE_NOT_FOUND)
                }
            }
            _ => Response::status(StatusWord::FILE_NOT_FOUND),
        }
    }

    fn ef_exists(df: Df, fid: u16) -> bool {
        match df {
            Df::Text => matches!(fid, 0x0001 | 0x0002 | 0x0011),
            Df::Jpki => matches!(fid, 0x0001 | 0x0002 | 0x0006 | 0x000A | 0x000B | 0x0017 | 0x0018 | 0x001A | 0x001B),
            Df::Visual | Df::Juki => false,
        }
    }

    fn pin_for_current(&mut self) -> Option<(&mut PinObject, &mut bool)> {
        match (self.df?, self.ef?) {
            (Df::Text, 0x0011) => Some((&mut self.text_pin, &mut self.verified_text)),
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
            (Df::Text, 0x0001) if self.verified_text => Ok(self.ef_my_number.clone()),
            (Df::Text, 0x0002) if self.verified_text => Ok(self.ef_basic4.clone()),
            (Df::Text, 0x0001 | 0x0002) => Err(StatusWord::SECURITY_NOT_SATISFIED),
            (Df::Jpki, 0x0006) => {
                let mut token = b"JPKIAPICCTOKEN2".to_vec();
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
            if !Self::ef_exists(df, fid) {
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
