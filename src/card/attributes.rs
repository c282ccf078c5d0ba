//! The personal data read from the card, in types that zeroize on drop and never print.
//!
//! 基本4情報 (name, address, birth date, sex) are 個人情報; the 個人番号 is 特定個人情報 and
//! lives in its own type so code that does not ask for it cannot touch it.

use std::fmt;

use chrono::NaiveDate;
use thiserror::Error;
use zeroize::{Zeroize, ZeroizeOnDrop};

use super::tlv::{self, TlvError};

/// A string holding personal data: zeroized on drop, `Debug`/`Display` redacted.
#[derive(Clone, Default, PartialEq, Eq, Zeroize, ZeroizeOnDrop)]
pub struct SecretString(String);

impl SecretString {
    pub fn new(s: impl Into<String>) -> Self {
        SecretString(s.into())
    }

    /// The plain text. Callers must not log it or put it in errors or file names.
    pub fn expose(&self) -> &str {
        &self.0
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// Number of characters (Unicode scalar values), e.g. for layout decisions.
    pub fn char_count(&self) -> usize {
        self.0.chars().count()
    }
}

impl<'de> serde::Deserialize<'de> for SecretString {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        String::deserialize(d).map(SecretString)
    }
}

impl fmt::Debug for SecretString {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("<redacted>")
    }
}

/// ISO 5218 sex code as stored on the card (`1`, `2`, `9`; `0` = not known).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Sex {
    #[default]
    NotKnown,
    Male,
    Female,
    NotApplicable,
}

impl Sex {
    pub fn from_code(b: u8) -> Option<Sex> {
        match b {
            b'0' => Some(Sex::NotKnown),
            b'1' => Some(Sex::Male),
            b'2' => Some(Sex::Female),
            b'9' => Some(Sex::NotApplicable),
            _ => None,
        }
    }

    pub fn code(self) -> u8 {
        match self {
            Sex::NotKnown => b'0',
            Sex::Male => b'1',
            Sex::Female => b'2',
            Sex::NotApplicable => b'9',
        }
    }

    /// The word printed on Japanese forms.
    pub fn label_ja(self) -> &'static str {
        match self {
            Sex::NotKnown => "不明",
            Sex::Male => "男",
            Sex::Female => "女",
            Sex::NotApplicable => "適用不能",
        }
    }
}

/// A birth date that zeroizes on drop.
#[derive(Clone, PartialEq, Eq, Zeroize, ZeroizeOnDrop)]
pub struct BirthDate {
    year: i32,
    month: u32,
    day: u32,
}

impl BirthDate {
    pub fn new(date: NaiveDate) -> Self {
        use chrono::Datelike;
        BirthDate { year: date.year(), month: date.month(), day: date.day() }
    }

    /// The date. Invariant: constructed only from a valid `NaiveDate`.
    pub fn date(&self) -> NaiveDate {
        NaiveDate::from_ymd_opt(self.year, self.month, self.day).unwrap_or_default()
    }

    /// Parse the card's `YYYYMMDD` ASCII form.
    pub fn parse_card(raw: &[u8]) -> Option<BirthDate> {
        if raw.len() != 8 || !raw.iter().all(u8::is_ascii_digit) {
            return None;
        }
        let num = |r: &[u8]| r.iter().fold(0u32, |acc, d| acc * 10 + u32::from(d - b'0'));
        let (y, m, d) = (num(&raw[0..4]), num(&raw[4..6]), num(&raw[6..8]));
        NaiveDate::from_ymd_opt(y as i32, m, d).map(BirthDate::new)
    }

    pub fn to_card(&self) -> String {
        format!("{:04}{:02}{:02}", self.year, self.month, self.day)
    }
}

impl fmt::Debug for BirthDate {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("<redacted>")
    }
}

/// 基本4情報 from EF 0002 of the text AP.
#[derive(Clone, PartialEq, Eq)]
pub struct CardAttributes {
    pub name: SecretString,
    pub address: SecretString,
    pub birth_date: BirthDate,
    pub sex: Sex,
}

impl fmt::Debug for CardAttributes {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("CardAttributes(<redacted>)")
    }
}

impl Drop for CardAttributes {
    fn drop(&mut self) {
        // The fields zeroize themselves; this also forgets the sex code.
        self.sex = Sex::NotKnown;
    }
}

/// The 12-digit 個人番号. Separate from [`CardAttributes`] on purpose.
#[derive(Clone, PartialEq, Eq, Zeroize, ZeroizeOnDrop)]
pub struct MyNumber([u8; 12]);

impl MyNumber {
    /// Parse 12 ASCII digits and validate the check digit (番号法施行令 第8条).
    pub fn parse(digits: &[u8]) -> Result<MyNumber, RecordError> {
        if digits.len() != 12 || !digits.iter().all(u8::is_ascii_digit) {
            return Err(RecordError::MyNumberFormat);
        }
        let mut d = [0u8; 12];
        d.copy_from_slice(digits);
        if check_digit(&d[..11]) != d[11] - b'0' {
            return Err(RecordError::MyNumberCheckDigit);
        }
        Ok(MyNumber(d))
    }

    pub fn expose(&self) -> &str {
        // Only ASCII digits are ever stored.
        std::str::from_utf8(&self.0).unwrap_or_default()
    }
}

impl fmt::Debug for MyNumber {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("MyNumber(<redacted>)")
    }
}

/// Check digit over the first 11 ASCII digits. `P_n` is the n-th digit from the right,
/// `Q_n` = n+1 for n ≤ 6, n−5 otherwise; result = 0 if Σ mod 11 ≤ 1, else 11 − remainder.
pub fn check_digit(first11: &[u8]) -> u8 {
    let sum: u32 = (1..=11u32)
        .map(|n| {
            let p = u32::from(first11[11 - n as usize].wrapping_sub(b'0'));
            let q = if n <= 6 { n + 1 } else { n - 5 };
            p * q
        })
        .sum();
    let r = sum % 11;
    if r <= 1 { 0 } else { (11 - r) as u8 }
}

/// Why a record from the card could not be understood. Never carries the data itself.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum RecordError {
    #[error("record is not valid BER-TLV: {0}")]
    Tlv(#[from] TlvError),
    #[error("record has tag {found:04X}, expected {expected:04X}")]
    UnexpectedTag { expected: u32, found: u32 },
    #[error("record lacks the {0} field")]
    Missing(&'static str),
    #[error("the {0} field is not valid UTF-8")]
    NotUtf8(&'static str),
    #[error("birth date is not a valid YYYYMMDD date")]
    BirthDate,
    #[error("sex code is not one of 0, 1, 2, 9")]
    SexCode,
    #[error("個人番号 record is not 12 digits")]
    MyNumberFormat,
    #[error("個人番号 check digit does not match")]
    MyNumberCheckDigit,
    #[error("record is longer than {0} bytes")]
    TooLong(usize),
}

/// Tags of EF 0002.
pub mod tags {
    pub const BASIC4: u32 = 0xFF20;
    pub const HEADER: u32 = 0xDF21;
    pub const NAME: u32 = 0xDF22;
    pub const ADDRESS: u32 = 0xDF23;
    pub const BIRTH: u32 = 0xDF24;
    pub const SEX: u32 = 0xDF25;
    pub const MY_NUMBER: u32 = 0xFF10;
}

/// Parse EF 0002 (基本4情報). Trailing padding after the record is ignored.
pub fn parse_basic4(record: &[u8]) -> Result<CardAttributes, RecordError> {
    let outer = tlv::parse_one(record)?;
    if outer.tag != tags::BASIC4 {
        return Err(RecordError::UnexpectedTag { expected: tags::BASIC4, found: outer.tag });
    }
    let (mut name, mut address, mut birth, mut sex) = (None, None, None, None);
    for item in tlv::iter(outer.value) {
        let item = item?;
        match item.tag {
            tags::NAME => name = Some(item.value),
            tags::ADDRESS => address = Some(item.value),
            tags::BIRTH => birth = Some(item.value),
            tags::SEX => sex = Some(item.value),
            _ => {} // DF21 header and anything a newer card adds
        }
    }
    let text = |v: Option<&[u8]>, what: &'static str| -> Result<SecretString, RecordError> {
        let v = v.ok_or(RecordError::Missing(what))?;
        std::str::from_utf8(v).map(SecretString::new).map_err(|_| RecordError::NotUtf8(what))
    };
    let name = text(name, "name")?;
    let address = text(address, "address")?;
    let birth_date =
        BirthDate::parse_card(birth.ok_or(RecordError::Missing("birth date"))?).ok_or(RecordError::BirthDate)?;
    let sex = match sex.ok_or(RecordError::Missing("sex"))? {
        [b] => Sex::from_code(*b).ok_or(RecordError::SexCode)?,
        _ => return Err(RecordError::SexCode),
    };
    Ok(CardAttributes { name, address, birth_date, sex })
}

/// Parse EF 0001 (`FF 10 0C` + 12 digits + padding).
pub fn parse_my_number(record: &[u8]) -> Result<MyNumber, RecordError> {
    let t = tlv::parse_one(record)?;
    if t.tag != tags::MY_NUMBER {
        return Err(RecordError::UnexpectedTag { expected: tags::MY_NUMBER, found: t.tag });
    }
    MyNumber::parse(t.value)
}

/// Build EF 0002 exactly as the card lays it out (used by the virtual card and tests).
pub fn encode_basic4(name: &str, address: &str, birth_yyyymmdd: &str, sex: u8) -> Vec<u8> {
    let mut fields = Vec::new();
    tlv::encode(tags::NAME, name.as_bytes(), &mut fields);
    let name_end = fields.len();
    tlv::encode(tags::ADDRESS, address.as_bytes(), &mut fields);
    let addr_end = fields.len();
    tlv::encode(tags::BIRTH, birth_yyyymmdd.as_bytes(), &mut fields);
    let birth_end = fields.len();
    tlv::encode(tags::SEX, &[sex], &mut fields);
    // DF21: four 16-bit offsets of the fields, counted from the start of DF22 (their exact
    // meaning is unknown; they are informative only).
    let header: Vec<u8> = [0, name_end, addr_end, birth_end].iter().flat_map(|&o| (o as u16).to_be_bytes()).collect();
    let mut inner = Vec::new();
    tlv::encode(tags::HEADER, &header, &mut inner);
    inner.extend_from_slice(&fields);
    let mut out = Vec::new();
    tlv::encode(tags::BASIC4, &inner, &mut out);
    inner.zeroize();
    fields.zeroize();
    out
}

/// Build EF 0001: exactly 17 bytes.
pub fn encode_my_number(digits: &str) -> Vec<u8> {
    let mut out = vec![0xFF, 0x10, 0x0C];
    out.extend_from_slice(digits.as_bytes());
    out.extend_from_slice(&[0xFF, 0xFF]);
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn check_digit_known_values() {
        // 12345678901 → remainder-based digit 8 (worked out by hand from the ordinance).
        assert_eq!(check_digit(b"12345678901"), 8);
        assert!(MyNumber::parse(b"123456789018").is_ok());
        assert_eq!(MyNumber::parse(b"123456789010"), Err(RecordError::MyNumberCheckDigit));
        assert_eq!(MyNumber::parse(b"12345678901"), Err(RecordError::MyNumberFormat));
        assert_eq!(MyNumber::parse(b"12345678901a"), Err(RecordError::MyNumberFormat));
    }

    #[test]
    fn basic4_round_trip_and_documented_shape() {
        let rec = encode_basic4("山田太郎", "東京都千代田区霞が関１－２－３", "19850412", b'1');
        assert_eq!(&rec[..2], &[0xFF, 0x20]);
        assert_eq!(&rec[3..5], &[0xDF, 0x21]);
        let a = parse_basic4(&rec).unwrap();
        assert_eq!(a.name.expose(), "山田太郎");
        assert_eq!(a.address.expose(), "東京都千代田区霞が関１－２－３");
        assert_eq!(a.birth_date.date(), NaiveDate::from_ymd_opt(1985, 4, 12).unwrap());
        assert_eq!(a.sex, Sex::Male);
        // padding after the record is fine
        let mut padded = rec.clone();
        padded.extend_from_slice(&[0xFF; 10]);
        assert!(parse_basic4(&padded).is_ok());
    }

    #[test]
    fn long_record_uses_long_form_length() {
        let addr = "東".repeat(120);
        let rec = encode_basic4("名", &addr, "20000101", b'2');
        assert!(rec.len() > 256);
        assert_eq!(rec[2], 0x82);
        assert_eq!(parse_basic4(&rec).unwrap().address.expose(), addr);
    }

    #[test]
    fn malformed_records_are_errors() {
        let ok = encode_basic4("a", "b", "19991231", b'9');
        assert!(matches!(parse_basic4(&ok[..ok.len() - 1]), Err(RecordError::Tlv(_))));
        let bad_date = encode_basic4("a", "b", "19990231", b'1');
        assert_eq!(parse_basic4(&bad_date).unwrap_err(), RecordError::BirthDate);
        let bad_sex = encode_basic4("a", "b", "19990101", b'3');
        assert_eq!(parse_basic4(&bad_sex).unwrap_err(), RecordError::SexCode);
        let mut not_utf8 = vec![0xFF, 0x20, 0x0F, 0xDF, 0x22, 0x01, 0xC3];
        not_utf8.extend_from_slice(&[0xDF, 0x23, 0x01, b'x', 0xDF, 0x24, 0x01, b'1', 0xDF, 0x25]);
        assert!(parse_basic4(&not_utf8).is_err());
    }

    #[test]
    fn my_number_record_is_17_bytes() {
        let rec = encode_my_number("123456789018");
        assert_eq!(rec.len(), 17);
        assert_eq!(parse_my_number(&rec).unwrap().expose(), "123456789018");
    }

    #[test]
    fn debug_is_redacted() {
        let rec = encode_basic4("山田太郎", "どこか", "19850412", b'1');
        let a = parse_basic4(&rec).unwrap();
        let s = format!("{a:?} {:?} {:?}", a.name, a.birth_date);
        assert!(!s.contains("山田") && !s.contains("1985"), "{s}");
        let n = MyNumber::parse(b"123456789018").unwrap();
        assert!(!format!("{n:?}").contains("1234"));
    }

    proptest! {
        #[test]
        fn parsers_never_panic(data in proptest::collection::vec(any::<u8>(), 0..400)) {
            let _ = parse_basic4(&data);
            let _ = parse_my_number(&data);
        }

        #[test]
        fn mutated_records_never_panic(idx in 0usize..64, byte in any::<u8>(), cut in 0usize..64) {
            let mut rec = encode_basic4("髙橋𠮷﨑", "住所", "19700101", b'1');
            let i = idx % rec.len();
            rec[i] = byte;
            let end = rec.len().saturating_sub(cut % rec.len());
            let _ = parse_basic4(&rec[..end]);
        }

        #[test]
        fn valid_numbers_round_trip(n in 0u64..100_000_000_000) {
            let first = format!("{n:011}");
            let d = check_digit(first.as_bytes());
            let full = format!("{first}{d}");
            prop_assert!(parse_my_number(&encode_my_number(&full)).is_ok());
        }
    }
}
