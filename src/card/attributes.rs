//! Reading the personal data off the card: EF 0002 (基本4情報) and EF 0001 (個人番号) as
//! BER-TLV records, into the zeroizing types of [`crate::vocab::person`].

use thiserror::Error;
use zeroize::Zeroize;

use super::tlv::{self, TlvError};
use crate::vocab::person::{BirthDate, CardAttributes, MyNumber, MyNumberError, SecretString, Sex};

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
    #[error(transparent)]
    MyNumber(#[from] MyNumberError),
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
    Ok(MyNumber::parse(t.value)?)
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
    use crate::vocab::person::check_digit;
    use chrono::NaiveDate;
    use proptest::prelude::*;

    #[test]
    fn a_bad_my_number_record_says_which_rule_it_broke() {
        let rec = encode_my_number("123456789010");
        assert_eq!(parse_my_number(&rec), Err(RecordError::MyNumber(MyNumberError::CheckDigit)));
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
