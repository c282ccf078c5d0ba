//! What a resident (or a clerk) types to open the card — the 4-digit PIN and 照合番号B, both
//! validated locally, zeroized, never printed — and the words said about them, the same on
//! the kiosk's PIN screen and in `madoguchi card read`.

use std::fmt;

use thiserror::Error;
use zeroize::{Zeroize, ZeroizeOnDrop};

use crate::i18n::Msg;

/// A typed PIN that is not 4 digits. Carries no digit of it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Error)]
#[error("PIN must be exactly 4 digits / 暗証番号は数字4桁です")]
pub struct PinFormatError;

impl PinFormatError {
    pub fn message(&self) -> Msg {
        Msg::new("暗証番号は数字4桁で入力してください。")
    }
}

#[derive(Clone, PartialEq, Eq, Zeroize, ZeroizeOnDrop)]
pub struct Pin([u8; 4]);

impl Pin {
    /// Exactly 4 ASCII digits, nothing else (no trimming: a stray character is a typo the
    /// resident should see, not something to guess about).
    pub fn parse(s: &str) -> Result<Pin, PinFormatError> {
        let b = s.as_bytes();
        if b.len() != 4 || !b.iter().all(u8::is_ascii_digit) {
            return Err(PinFormatError);
        }
        let mut p = [0u8; 4];
        p.copy_from_slice(b);
        Ok(Pin(p))
    }

    pub(crate) fn as_bytes(&self) -> &[u8] {
        &self.0
    }
}

impl fmt::Debug for Pin {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Pin(****)")
    }
}

/// 照合番号B of the text AP (EF 0015): 14 ASCII digits printed on the card —
/// birth date as printed (`YYMMDD`; 和暦 year on Japanese nationals' cards, 西暦 on foreign
/// residents'), the card's expiry year (西暦, 4 digits) and the 4-digit security code under
/// the photo (the 14 digits and their order are certain [H]; the
/// 和暦/西暦 rule for the year is [M]). It opens 基本4情報, not the 個人番号 (§4.1 [M]).
///
/// Checked locally before it can cost a try: 14 digits, a month and day that exist, an
/// expiry year from 2016 (the first cards) to 2099.
#[derive(Clone, PartialEq, Eq, Zeroize, ZeroizeOnDrop)]
pub struct PinB([u8; 14]);

/// Why a typed 照合番号B was not sent to the card. Carries no digit of it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Error)]
pub enum PinBFormatError {
    #[error("照合番号B must be 14 digits, got {got} characters / 照合番号Bは数字14桁です")]
    Length { got: usize },
    #[error("照合番号B must be digits only / 照合番号Bは数字だけです")]
    NotDigits,
    #[error("the first 6 digits are not a birth date YYMMDD / 先頭6桁が生年月日(年月日各2桁)になっていません")]
    BirthDate,
    #[error(
        "digits 7-10 are not the card's expiry year (2016-2099) / 7〜10桁目がカードの有効期限の年(西暦)になっていません"
    )]
    ExpiryYear,
}

impl PinBFormatError {
    /// What the clerk should check, in plain Japanese.
    pub fn message(&self) -> Msg {
        Msg::new(match self {
            PinBFormatError::Length { .. } | PinBFormatError::NotDigits => {
                "照合番号Bは数字14桁です(生年月日6桁・カードの有効期限の年4桁・セキュリティコード4桁)。"
            }
            PinBFormatError::BirthDate => {
                "照合番号Bの先頭6桁は、券面に印字された生年月日(年・月・日を2桁ずつ)です。もう一度お確かめください。"
            }
            PinBFormatError::ExpiryYear => {
                "照合番号Bの7〜10桁目は、カードの有効期限の年(西暦4桁)です。もう一度お確かめください。"
            }
        })
    }
}

fn digits(s: &str) -> Option<u32> {
    s.bytes().try_fold(0u32, |acc, b| b.is_ascii_digit().then(|| acc * 10 + u32::from(b - b'0')))
}

impl PinB {
    /// The 14 digits as typed on the keypad (no spaces, nothing trimmed).
    pub fn parse(s: &str) -> Result<PinB, PinBFormatError> {
        let b = s.as_bytes();
        if !b.iter().all(u8::is_ascii_digit) {
            // Count characters, not bytes, so a full-width digit reads as one.
            return Err(if s.chars().count() == 14 {
                PinBFormatError::NotDigits
            } else {
                PinBFormatError::Length { got: s.chars().count() }
            });
        }
        if b.len() != 14 {
            return Err(PinBFormatError::Length { got: b.len() });
        }
        let (month, day) = (digits(&s[2..4]).unwrap_or(0), digits(&s[4..6]).unwrap_or(0));
        // The year may be 和暦, so leap years are unknowable: 29 February always passes.
        let max_day = match month {
            2 => 29,
            4 | 6 | 9 | 11 => 30,
            _ => 31,
        };
        if !(1..=12).contains(&month) || !(1..=max_day).contains(&day) {
            return Err(PinBFormatError::BirthDate);
        }
        if !(2016..=2099).contains(&digits(&s[6..10]).unwrap_or(0)) {
            return Err(PinBFormatError::ExpiryYear);
        }
        let mut p = [0u8; 14];
        p.copy_from_slice(b);
        Ok(PinB(p))
    }

    /// From the three parts a clerk reads off the card (each checked as in [`PinB::parse`]).
    pub fn from_parts(birth_yymmdd: &str, expiry_year: &str, security_code: &str) -> Result<PinB, PinBFormatError> {
        if birth_yymmdd.len() != 6 || !birth_yymmdd.bytes().all(|b| b.is_ascii_digit()) {
            return Err(PinBFormatError::BirthDate);
        }
        if expiry_year.len() != 4 || !expiry_year.bytes().all(|b| b.is_ascii_digit()) {
            return Err(PinBFormatError::ExpiryYear);
        }
        let mut all = zeroize::Zeroizing::new(String::with_capacity(14));
        all.push_str(birth_yymmdd);
        all.push_str(expiry_year);
        all.push_str(security_code);
        PinB::parse(&all)
    }

    pub(crate) fn as_bytes(&self) -> &[u8] {
        &self.0
    }
}

impl fmt::Debug for PinB {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("PinB(**************)")
    }
}

/// What opens the card's text AP.
#[derive(Debug, Clone, Copy)]
pub enum Credential<'a> {
    /// The resident's 券面事項入力補助用暗証番号 (opens 基本4情報 and the 個人番号).
    Pin(&'a Pin),
    /// 照合番号B read off the card by a clerk (opens 基本4情報 only).
    PinB(&'a PinB),
}

/// What is said about the card leaving the reader mid-read, and about a PIN's (or 照合番号B's) state.
pub mod says {
    use crate::i18n::Msg;

    pub fn card_removed() -> Msg {
        Msg::new("カードが取り外されました。もう一度カードを置いてください。")
    }
    pub fn wrong_pin(tries_left: u8) -> Msg {
        Msg::new("暗証番号が違います。あと{}回まちがえるとロックされます。分からないときは職員にお声がけください。")
            .arg(tries_left)
    }
    pub fn last_try_refused() -> Msg {
        Msg::new("暗証番号の残り回数が1回です。ロックを防ぐため、職員をお呼びください。")
    }
    pub fn wrong_pin_b(tries_left: u8) -> Msg {
        Msg::new(
            "照合番号Bが違います。あと{}回まちがえるとロックされます。券面の生年月日(和暦の年は2桁)・有効期限の年(西暦)・セキュリティコードをもう一度お確かめください。",
        )
        .arg(tries_left)
    }
    pub fn pin_b_last_try_refused() -> Msg {
        Msg::new(
            "照合番号Bの残り回数が1回です。ロックを防ぐため、券面を確かめてから、ご本人の同意を得て最後の1回を許可してください。",
        )
    }
    pub fn pin_b_locked() -> Msg {
        Msg::new(
            "照合番号Bがロックされています。このカードは照合番号Bでは読み取れません。4桁の暗証番号で読み取るか、紙の申請書で受け付けてください。",
        )
    }
    pub fn my_number_needs_pin() -> Msg {
        Msg::new("照合番号Bでは個人番号を読み取れません。個人番号が必要な申請は、4桁の暗証番号で読み取ってください。")
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn only_four_ascii_digits() {
        assert!(Pin::parse("0123").is_ok());
        for bad in ["", "123", "12345", "12a4", " 123", "１２３４", "12 4", "123\n"] {
            assert_eq!(Pin::parse(bad), Err(PinFormatError), "{bad:?}");
        }
        assert_eq!(format!("{:?}", Pin::parse("1234").unwrap()), "Pin(****)");
    }

    #[test]
    fn pin_b_is_fourteen_digits_with_a_date_and_a_year() {
        // 平成元年1月8日生まれ, card valid until 2034, security code 5678.
        assert!(PinB::parse("01010820345678").is_ok());
        assert!(PinB::parse("60022920300000").is_ok(), "29 February passes (和暦 leap years are unknown)");
        assert_eq!(PinB::parse("0101082034567"), Err(PinBFormatError::Length { got: 13 }));
        assert_eq!(PinB::parse("1234"), Err(PinBFormatError::Length { got: 4 }), "the 4-digit PIN typed instead");
        assert_eq!(PinB::parse("0101082034567x"), Err(PinBFormatError::NotDigits));
        assert_eq!(PinB::parse("０1010820345678"), Err(PinBFormatError::NotDigits), "full-width digit");
        assert_eq!(PinB::parse("01130820345678"), Err(PinBFormatError::BirthDate), "month 13");
        assert_eq!(PinB::parse("01023020345678"), Err(PinBFormatError::BirthDate), "30 February");
        assert_eq!(PinB::parse("01010019995678"), Err(PinBFormatError::BirthDate), "day 00");
        assert_eq!(PinB::parse("19890108203456"), Err(PinBFormatError::BirthDate), "western YYYYMMDD");
        assert_eq!(PinB::parse("01010819995678"), Err(PinBFormatError::ExpiryYear));
        assert_eq!(PinB::from_parts("010108", "2034", "5678"), PinB::parse("01010820345678"));
        assert_eq!(PinB::from_parts("0108", "2034", "5678"), Err(PinBFormatError::BirthDate));
        assert_eq!(PinB::from_parts("010108", "34", "5678"), Err(PinBFormatError::ExpiryYear));
        assert_eq!(PinB::from_parts("010108", "2034", "567"), Err(PinBFormatError::Length { got: 13 }));
    }

    #[test]
    fn pin_b_never_prints() {
        let p = PinB::parse("01010820345678").unwrap();
        let s = format!("{p:?}");
        assert!(!s.chars().any(|c| c.is_ascii_digit()), "{s}");
        for e in [PinBFormatError::Length { got: 13 }, PinBFormatError::BirthDate, PinBFormatError::ExpiryYear] {
            assert!(e.message().ja().ends_with('。'));
            assert!(!e.to_string().contains("0101"));
        }
    }

    proptest! {
        #[test]
        fn pin_b_parse_never_panics(s in "\\PC{0,20}") {
            let _ = PinB::parse(&s);
        }

        #[test]
        fn valid_pin_b_round_trips(m in 1u32..=12, d in 1u32..=28, yy in 0u32..100, year in 2016u32..2100, code in 0u32..10000) {
            let s = format!("{yy:02}{m:02}{d:02}{year}{code:04}");
            let p = PinB::parse(&s).unwrap();
            prop_assert_eq!(p.as_bytes(), s.as_bytes());
        }
    }
}
