//! Which kind of card is on the reader, decided by what SELECT answers — never by the ATR,
//! which differs per manufacturer and per reader.
//!
//! Today there is one profile, the current My Number Card (text AP + JPKI AP). The seam for
//! the cards residents will bring next — the next-generation My Number Card (around FY2028,
//! new applications and ECDSA P-384), the 特定在留カード (from 2026-06) and the マイナ免許証 —
//! is [`choose`]: a new [`CardProfile`] variant, the SELECTs that recognise it in
//! [`SelectAnswers`]/[`identify`], and its own procedures next to `text_ap`/`status`. None is
//! modelled now because their APDUs are not public; a card that matches no profile is
//! [`CardError::UnknownCard`], a clear message instead of a generic error.

use super::apdu::{StatusWord, cmd};
use super::error::CardError;
use super::text_ap::{JPKI_AP_AID, TEXT_AP_AID};
use super::transport::Transport;
use super::{ef, transport};

/// EF 0006 of the JPKI AP: the token that names the medium.
pub const EF_JPKI_TOKEN: u16 = 0x0006;

/// A card the kiosk knows how to read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CardProfile {
    /// The current My Number Card (issued since 2016): 券面事項入力補助AP and 公的個人認証AP.
    MyNumberCard,
}

impl CardProfile {
    /// Stable identifier for scripts.
    pub fn key(self) -> &'static str {
        match self {
            CardProfile::MyNumberCard => "my_number_card",
        }
    }

    /// English / Japanese name for CLI output.
    pub fn name(self) -> &'static str {
        match self {
            CardProfile::MyNumberCard => "My Number Card / マイナンバーカード",
        }
    }
}

/// The JPKI token, trailing spaces (or NULs) removed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum JpkiToken {
    /// `JPKIAPICCTOKEN2`: a My Number Card.
    MyNumberCard,
    /// `JPKIAPICCTOKEN`: a 住民基本台帳カード, which also answers the JPKI AID (§8.9).
    JukiCard,
    /// Anything else (e.g. `JPKIAPGPSETOKEN`, smartphone JPKI), or unreadable.
    Other,
}

impl JpkiToken {
    pub fn parse(raw: &[u8]) -> JpkiToken {
        let end = raw.iter().rposition(|&b| b != b' ' && b != 0).map_or(0, |i| i + 1);
        match &raw[..end] {
            b"JPKIAPICCTOKEN2" => JpkiToken::MyNumberCard,
            b"JPKIAPICCTOKEN" => JpkiToken::JukiCard,
            _ => JpkiToken::Other,
        }
    }
}

/// What the card answered to the SELECTs (the sans-IO input of [`choose`]).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct SelectAnswers {
    pub text_ap: bool,
    pub jpki_ap: bool,
    /// Read only when the text AP is missing but the JPKI AP selects.
    pub jpki_token: Option<JpkiToken>,
}

/// The profile for these answers, or why the card cannot be read.
pub fn choose(a: &SelectAnswers) -> Result<CardProfile, CardError> {
    if a.text_ap {
        return Ok(CardProfile::MyNumberCard);
    }
    match (a.jpki_ap, &a.jpki_token) {
        (true, Some(JpkiToken::JukiCard)) => Err(CardError::JukiCard),
        // A JPKI AP without the text AP is no card this kiosk can fill forms from.
        _ => Err(CardError::UnknownCard),
    }
}

/// Probe the card and choose its profile. The text AP selecting settles it in one APDU;
/// the JPKI AP and its token are asked only to explain a card that is not one.
pub fn identify<T: Transport + ?Sized>(t: &mut T) -> Result<CardProfile, CardError> {
    transport::exclusive(t, |t| -> Result<CardProfile, CardError> {
        let mut a = SelectAnswers { text_ap: ef::select_df(t, &TEXT_AP_AID)?, ..Default::default() };
        if !a.text_ap {
            explain(t, &mut a)?;
        }
        choose(&a)
    })?
}

/// The text AP did not select: find out what the card is, for the message.
pub(crate) fn explain<T: Transport + ?Sized>(t: &mut T, a: &mut SelectAnswers) -> Result<(), CardError> {
    a.jpki_ap = ef::select_df(t, &JPKI_AP_AID)?;
    if a.jpki_ap {
        a.jpki_token = Some(match ef::select_ef(t, EF_JPKI_TOKEN) {
            Ok(()) => match t.transmit(&cmd::read_binary(0, 32))? {
                r if r.sw == StatusWord::OK => JpkiToken::parse(&r.data),
                _ => JpkiToken::Other,
            },
            Err(CardError::FileNotFound { .. }) => JpkiToken::Other,
            Err(e) => return Err(e),
        });
    }
    Ok(())
}

/// Why the text AP is not there, as the error a procedure should return.
pub(crate) fn not_readable<T: Transport + ?Sized>(t: &mut T) -> CardError {
    let mut a = SelectAnswers::default();
    match explain(t, &mut a) {
        Ok(()) => choose(&a).err().unwrap_or(CardError::UnknownCard),
        Err(e) => e,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn profile_by_select_answers() {
        let yes = SelectAnswers { text_ap: true, ..Default::default() };
        assert_eq!(choose(&yes), Ok(CardProfile::MyNumberCard));
        assert_eq!(choose(&SelectAnswers::default()), Err(CardError::UnknownCard));
        let juki = SelectAnswers { text_ap: false, jpki_ap: true, jpki_token: Some(JpkiToken::JukiCard) };
        assert_eq!(choose(&juki), Err(CardError::JukiCard));
        let phone = SelectAnswers { text_ap: false, jpki_ap: true, jpki_token: Some(JpkiToken::Other) };
        assert_eq!(choose(&phone), Err(CardError::UnknownCard));
    }

    #[test]
    fn tokens_with_either_padding() {
        let mut t = b"JPKIAPICCTOKEN2".to_vec();
        t.resize(32, b' ');
        assert_eq!(JpkiToken::parse(&t), JpkiToken::MyNumberCard);
        let mut t = b"JPKIAPICCTOKEN".to_vec();
        t.resize(32, 0);
        assert_eq!(JpkiToken::parse(&t), JpkiToken::JukiCard);
        assert_eq!(JpkiToken::parse(b"JPKIAPGPSETOKEN"), JpkiToken::Other);
        assert_eq!(JpkiToken::parse(b""), JpkiToken::Other);
        assert_eq!(JpkiToken::parse(&[0xFF; 40]), JpkiToken::Other);
    }
}
