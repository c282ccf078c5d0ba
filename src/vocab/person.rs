//! The resident's personal data, in types that zeroize on drop and never print: what the
//! card gives (基本4情報, the 個人番号) and any text that carries personal data. Every layer
//! speaks these; the card layer reads them off the card, the forms print them, the output
//! layer sends them.
//!
//! 基本4情報 (name, address, birth date, sex) are 個人情報; the 個人番号 is 特定個人情報 and
//! lives in its own type so code that does not ask for it cannot touch it.

use std::fmt;

use chrono::NaiveDate;
use thiserror::Error;
use zeroize::{Zeroize, ZeroizeOnDrop};

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
    pub fn parse(digits: &[u8]) -> Result<MyNumber, MyNumberError> {
        if digits.len() != 12 || !digits.iter().all(u8::is_ascii_digit) {
            return Err(MyNumberError::Format);
        }
        let mut d = [0u8; 12];
        d.copy_from_slice(digits);
        if check_digit(&d[..11]) != d[11] - b'0' {
            return Err(MyNumberError::CheckDigit);
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

/// Why 12 characters are not a 個人番号. Never carries the digits.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Error)]
pub enum MyNumberError {
    #[error("個人番号 is not 12 digits")]
    Format,
    #[error("個人番号 check digit does not match")]
    CheckDigit,
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn check_digit_known_values() {
        // 12345678901 → remainder-based digit 8 (worked out by hand from the ordinance).
        assert_eq!(check_digit(b"12345678901"), 8);
        assert!(MyNumber::parse(b"123456789018").is_ok());
        assert_eq!(MyNumber::parse(b"123456789010"), Err(MyNumberError::CheckDigit));
        assert_eq!(MyNumber::parse(b"12345678901"), Err(MyNumberError::Format));
        assert_eq!(MyNumber::parse(b"12345678901a"), Err(MyNumberError::Format));
    }
}
