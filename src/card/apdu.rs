//! ISO 7816-4 command/response APDUs and status words (sans-IO).

use std::fmt;

/// A command APDU. Short encoding only: every reader path handles it.
#[derive(Clone, PartialEq, Eq)]
pub struct Command {
    pub cla: u8,
    pub ins: u8,
    pub p1: u8,
    pub p2: u8,
    /// Command data (at most 255 bytes in short form).
    pub data: Vec<u8>,
    /// Expected response length: `None` = no Le, `Some(256)` = Le byte `00`.
    pub le: Option<u16>,
}

impl Command {
    pub fn new(cla: u8, ins: u8, p1: u8, p2: u8) -> Self {
        Self { cla, ins, p1, p2, data: Vec::new(), le: None }
    }

    pub fn with_data(mut self, data: impl Into<Vec<u8>>) -> Self {
        self.data = data.into();
        self
    }

    pub fn with_le(mut self, le: u16) -> Self {
        self.le = Some(le);
        self
    }

    /// Serialise in short form. Data longer than 255 bytes or Le above 256 are programming
    /// errors of this crate, never input, so they are clamped by construction in the builders.
    pub fn to_bytes(&self) -> Vec<u8> {
        let mut out = Vec::with_capacity(6 + self.data.len());
        out.extend_from_slice(&[self.cla, self.ins, self.p1, self.p2]);
        if !self.data.is_empty() {
            out.push(self.data.len() as u8);
            out.extend_from_slice(&self.data);
        }
        if let Some(le) = self.le {
            out.push(if le >= 256 { 0 } else { le as u8 });
        }
        out
    }

    /// Parse a command APDU (short or extended form). Used by the virtual card.
    pub fn parse(raw: &[u8]) -> Option<Command> {
        if raw.len() < 4 {
            return None;
        }
        let mut cmd = Command::new(raw[0], raw[1], raw[2], raw[3]);
        let body = &raw[4..];
        match body.len() {
            0 => {}
            1 => cmd.le = Some(if body[0] == 0 { 256 } else { u16::from(body[0]) }),
            _ if body[0] != 0 => {
                let lc = usize::from(body[0]);
                let rest = &body[1..];
                if rest.len() == lc {
                    cmd.data = rest.to_vec();
                } else if rest.len() == lc + 1 {
                    cmd.data = rest[..lc].to_vec();
                    let le = rest[lc];
                    cmd.le = Some(if le == 0 { 256 } else { u16::from(le) });
                } else {
                    return None;
                }
            }
            _ => {
                // Extended form: 00 followed by 2-byte Lc or Le.
                if body.len() < 3 {
                    return None;
                }
                let n = usize::from(u16::from_be_bytes([body[1], body[2]]));
                let rest = &body[3..];
                if rest.is_empty() {
                    // Extended Le only; 0000 means 65536, capped to what a u16 can say.
                    cmd.le = Some(if n == 0 { u16::MAX } else { n as u16 });
                } else if rest.len() == n {
                    cmd.data = rest.to_vec();
                } else if rest.len() == n + 2 {
                    cmd.data = rest[..n].to_vec();
                    let le = u16::from_be_bytes([rest[n], rest[n + 1]]);
                    cmd.le = Some(if le == 0 { u16::MAX } else { le });
                } else {
                    return None;
                }
            }
        }
        Some(cmd)
    }
}

impl fmt::Debug for Command {
    // VERIFY carries a PIN: never print command data.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "Command({:02X} {:02X} {:02X} {:02X}, {} data bytes, le={:?})",
            self.cla,
            self.ins,
            self.p1,
            self.p2,
            self.data.len(),
            self.le
        )
    }
}

/// A two-byte status word.
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct StatusWord(pub u16);

impl StatusWord {
    pub const OK: StatusWord = StatusWord(0x9000);
    pub const SECURITY_NOT_SATISFIED: StatusWord = StatusWord(0x6982);
    pub const AUTH_METHOD_BLOCKED: StatusWord = StatusWord(0x6983);
    pub const REFERENCE_DATA_NOT_USABLE: StatusWord = StatusWord(0x6984);
    pub const CONDITIONS_NOT_SATISFIED: StatusWord = StatusWord(0x6985);
    pub const NO_CURRENT_EF: StatusWord = StatusWord(0x6986);
    pub const FILE_NOT_FOUND: StatusWord = StatusWord(0x6A82);
    pub const WRONG_P1P2: StatusWord = StatusWord(0x6A86);
    pub const WRONG_OFFSET: StatusWord = StatusWord(0x6B00);
    pub const WRONG_LENGTH: StatusWord = StatusWord(0x6700);
    pub const INS_NOT_SUPPORTED: StatusWord = StatusWord(0x6D00);
    pub const CLA_NOT_SUPPORTED: StatusWord = StatusWord(0x6E00);

    pub fn from_bytes(sw1: u8, sw2: u8) -> Self {
        StatusWord(u16::from_be_bytes([sw1, sw2]))
    }

    pub fn sw1(self) -> u8 {
        (self.0 >> 8) as u8
    }

    pub fn sw2(self) -> u8 {
        self.0 as u8
    }

    pub fn is_ok(self) -> bool {
        self == Self::OK
    }

    /// `63 Cx`: verification failed or tries query, x tries left.
    pub fn tries_left(self) -> Option<u8> {
        (self.sw1() == 0x63 && self.sw2() & 0xF0 == 0xC0).then_some(self.sw2() & 0x0F)
    }

    pub fn to_bytes(self) -> [u8; 2] {
        self.0.to_be_bytes()
    }

    /// What the status word means for this card, for logs.
    pub fn meaning(self) -> &'static str {
        match self.0 {
            0x9000 => "success",
            0x63C0 => "no try left (locked)",
            0x63C1..=0x63CF => "verification failed / tries left in the low nibble (also the empty VERIFY's answer)",
            0x6983 => "authentication method blocked",
            0x6984 => "referenced data not usable (a locked PIN)",
            0x6982 => "security status not satisfied (PIN not verified)",
            0x6985 => "conditions of use not satisfied",
            0x6986 => "no current EF",
            0x6A82 => "file or application not found",
            0x6A86 => "wrong P1/P2",
            0x6B00 => "offset outside the EF",
            0x6700 => "wrong length",
            0x6D00 => "instruction not supported",
            0x6E00 => "class not supported",
            w if w >> 8 == 0x6C => "wrong Le (the card says which)",
            w if w >> 8 == 0x61 => "more data available (GET RESPONSE)",
            0x6282 => "end of file before Le bytes",
            _ => "not a status this card is known to use",
        }
    }
}

impl fmt::Debug for StatusWord {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "SW {:02X} {:02X}", self.sw1(), self.sw2())
    }
}

impl fmt::Display for StatusWord {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:02X}{:02X}", self.sw1(), self.sw2())
    }
}

/// A response APDU: data and the trailing status word.
#[derive(Clone, PartialEq, Eq)]
pub struct Response {
    pub data: Vec<u8>,
    pub sw: StatusWord,
}

impl Response {
    /// Split raw bytes from the reader; fewer than 2 bytes is malformed.
    pub fn parse(raw: &[u8]) -> Option<Response> {
        let n = raw.len();
        if n < 2 {
            return None;
        }
        Some(Response { data: raw[..n - 2].to_vec(), sw: StatusWord::from_bytes(raw[n - 2], raw[n - 1]) })
    }

    pub fn status(sw: StatusWord) -> Self {
        Response { data: Vec::new(), sw }
    }

    pub fn ok(data: Vec<u8>) -> Self {
        Response { data, sw: StatusWord::OK }
    }

    pub fn to_bytes(&self) -> Vec<u8> {
        let mut out = Vec::with_capacity(self.data.len() + 2);
        out.extend_from_slice(&self.data);
        out.extend_from_slice(&self.sw.to_bytes());
        out
    }
}

impl fmt::Debug for Response {
    // Responses carry personal data: only the length is printed.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Response({} data bytes, {:?})", self.data.len(), self.sw)
    }
}

impl Drop for Response {
    fn drop(&mut self) {
        zeroize::Zeroize::zeroize(&mut self.data);
    }
}

/// Builders for the commands the kiosk sends.
pub mod cmd {
    use super::Command;

    /// SELECT a DF by name (AID), no FCI: `00 A4 04 0C Lc AID`.
    pub fn select_df(aid: &[u8]) -> Command {
        Command::new(0x00, 0xA4, 0x04, 0x0C).with_data(aid)
    }

    /// SELECT an EF in the current DF: `00 A4 02 0C 02 FID`.
    pub fn select_ef(fid: u16) -> Command {
        Command::new(0x00, 0xA4, 0x02, 0x0C).with_data(fid.to_be_bytes())
    }

    /// Empty VERIFY: returns `63 Cx` with the tries left, consuming none.
    pub fn verify_status() -> Command {
        Command::new(0x00, 0x20, 0x00, 0x80)
    }

    /// VERIFY with a PIN (ASCII). The caller keeps the returned command short-lived.
    pub fn verify(pin: &[u8]) -> Command {
        Command::new(0x00, 0x20, 0x00, 0x80).with_data(pin)
    }

    /// READ BINARY at a 15-bit offset with a short Le (1..=256).
    pub fn read_binary(offset: u16, le: u16) -> Command {
        let off = offset & 0x7FFF;
        Command::new(0x00, 0xB0, (off >> 8) as u8, off as u8).with_le(le.clamp(1, 256))
    }

    /// COMPUTE DIGITAL SIGNATURE over a DigestInfo: `80 2A 00 80 Lc DI 00`.
    pub fn compute_signature(digest_info: &[u8]) -> Command {
        Command::new(0x80, 0x2A, 0x00, 0x80).with_data(digest_info).with_le(256)
    }
}

impl Drop for Command {
    fn drop(&mut self) {
        // VERIFY data is a PIN.
        zeroize::Zeroize::zeroize(&mut self.data);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn encodes_the_documented_bytes() {
        let aid = [0xD3, 0x92, 0x10, 0x00, 0x31, 0x00, 0x01, 0x01, 0x04, 0x08];
        assert_eq!(
            cmd::select_df(&aid).to_bytes(),
            [0x00, 0xA4, 0x04, 0x0C, 0x0A, 0xD3, 0x92, 0x10, 0x00, 0x31, 0x00, 0x01, 0x01, 0x04, 0x08]
        );
        assert_eq!(cmd::select_ef(0x0011).to_bytes(), [0x00, 0xA4, 0x02, 0x0C, 0x02, 0x00, 0x11]);
        assert_eq!(cmd::verify_status().to_bytes(), [0x00, 0x20, 0x00, 0x80]);
        assert_eq!(cmd::read_binary(0, 256).to_bytes(), [0x00, 0xB0, 0x00, 0x00, 0x00]);
        assert_eq!(cmd::read_binary(0x0123, 17).to_bytes(), [0x00, 0xB0, 0x01, 0x23, 0x11]);
        assert_eq!(cmd::read_binary(0xFFFF, 1).to_bytes(), [0x00, 0xB0, 0x7F, 0xFF, 0x01]);
    }

    #[test]
    fn parses_all_apdu_cases() {
        let c = Command::parse(&[0, 0x20, 0, 0x80]).unwrap();
        assert!(c.data.is_empty() && c.le.is_none());
        let c = Command::parse(&[0, 0xB0, 0, 0, 0]).unwrap();
        assert_eq!(c.le, Some(256));
        let c = Command::parse(&[0x80, 0x2A, 0, 0x80, 2, 0xAA, 0xBB, 0]).unwrap();
        assert_eq!(c.data, [0xAA, 0xBB]);
        assert_eq!(c.le, Some(256));
        let c = Command::parse(&[0, 0xB0, 0, 4, 0, 0x06, 0x1F]).unwrap();
        assert_eq!(c.le, Some(0x061F));
        assert!(Command::parse(&[0, 0xA4, 4, 0x0C, 5, 1, 2]).is_none());
        assert!(Command::parse(&[0, 0xA4]).is_none());
    }

    #[test]
    fn status_words() {
        assert_eq!(StatusWord(0x63C2).tries_left(), Some(2));
        assert_eq!(StatusWord(0x63C0).tries_left(), Some(0));
        assert_eq!(StatusWord(0x6984).tries_left(), None);
        assert!(StatusWord(0x6984).meaning().contains("locked"));
        assert!(StatusWord(0x6A82).meaning().contains("not found"));
        assert!(StatusWord(0x63C2).meaning().contains("tries left"));
        let e = crate::card::CardError::UnexpectedStatus { command: "READ BINARY", sw: StatusWord(0x6986) };
        assert!(e.to_string().contains("6986 (no current EF) to READ BINARY"), "{e}");
        let r = Response::parse(&[1, 2, 0x90, 0]).unwrap();
        assert_eq!(r.data, [1, 2]);
        assert!(r.sw.is_ok());
        assert!(Response::parse(&[0x90]).is_none());
    }

    #[test]
    fn debug_never_shows_pin() {
        let c = cmd::verify(b"1234");
        let s = format!("{c:?}");
        assert!(!s.contains("31") && !s.contains("1234"), "{s}");
    }
}
