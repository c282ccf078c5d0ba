//! Card errors: typed for code, English+Japanese for logs, plain Japanese for residents.

use thiserror::Error;

use super::apdu::StatusWord;
use super::attributes::RecordError;
use crate::i18n::Msg;
use crate::vocab::pin::{PinBFormatError, PinFormatError, says};

/// Failures of the PC/SC (or simulator) link, independent of the card protocol.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum TransportError {
    #[error("the smart-card service (pcscd) is not running / カードサービス(pcscd)が動いていません")]
    NoService,
    #[error("no card reader is connected / カードリーダーが接続されていません")]
    NoReader,
    #[error("no card reader matches {pattern:?} / 指定の名前に合うカードリーダーがありません")]
    NoReaderMatching { pattern: String },
    #[error("no card on the reader / カードが置かれていません")]
    NoCard,
    #[error("the card was removed / カードが取り外されました")]
    CardRemoved,
    #[error("the card did not answer (unresponsive or placed badly) / カードが応答しません")]
    Unresponsive,
    #[error("timed out waiting for the card / カードを待つ時間が過ぎました")]
    Timeout,
    #[error("the reader is used by another program / 他のプログラムがカードリーダーを使用中です")]
    Busy,
    #[error("card reader error: {0} / カードリーダーのエラー")]
    Other(String),
}

/// Everything that can go wrong reading a My Number Card.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum CardError {
    #[error("PIN must be exactly 4 digits / 暗証番号は数字4桁です")]
    InvalidPinFormat,
    #[error("wrong PIN, {tries_left} tries left / 暗証番号が違います(残り{tries_left}回)")]
    WrongPin { tries_left: u8 },
    #[error("only one PIN try left: refused without clerk override / 残り1回のため職員の確認が必要です")]
    LastTryRefused,
    #[error("PIN is locked (SW {sw}) / 暗証番号がロックされています")]
    PinLocked { sw: StatusWord },
    #[error("{0}")]
    InvalidPinB(PinBFormatError),
    #[error("wrong 照合番号B, {tries_left} tries left / 照合番号Bが違います(残り{tries_left}回)")]
    WrongPinB { tries_left: u8 },
    #[error(
        "only one 照合番号B try left: refused without clerk override / 照合番号Bの残りが1回のため職員の確認が必要です"
    )]
    PinBLastTryRefused,
    #[error("照合番号B is locked (SW {sw}) / 照合番号Bがロックされています")]
    PinBLocked { sw: StatusWord },
    #[error("the 個人番号 cannot be read with 照合番号B; it needs the 4-digit PIN / 照合番号Bでは個人番号は読めません")]
    MyNumberNeedsPin,
    #[error("security status not satisfied (SW 6982) / 暗証番号の確認が済んでいません")]
    SecurityNotSatisfied,
    #[error(
        "unknown card: none of the My Number Card applications selects / このカードは読み取れません(マイナンバーカードではありません)"
    )]
    UnknownCard,
    #[error("a 住民基本台帳カード (JPKI token JPKIAPICCTOKEN), not a My Number Card / 住民基本台帳カードです")]
    JukiCard,
    #[error("a different card was placed: the PIN was not sent / 別のカードが置かれたため、暗証番号は送っていません")]
    NotTheSameCard,
    #[error("file {fid:04X} not found on the card (SW 6A82) / カード内にファイルがありません")]
    FileNotFound { fid: u16 },
    #[error("read offset outside the file (SW 6B00) / 読み取り位置の誤り")]
    WrongOffset,
    #[error("wrong length (SW 6700) / 長さの誤り")]
    WrongLength,
    #[error("PIN already verified before the tries query; card state unknown (SW 9000) / カードの状態が不明です")]
    AlreadyVerified,
    #[error("unexpected status {sw} ({meaning}) to {command} / 想定外の応答", meaning = .sw.meaning())]
    UnexpectedStatus { command: &'static str, sw: StatusWord },
    #[error("card data could not be read: {0} / カードのデータを読み取れません")]
    Record(#[from] RecordError),
    #[error("{0}")]
    Transport(#[from] TransportError),
}

impl From<PinFormatError> for CardError {
    fn from(_: PinFormatError) -> CardError {
        CardError::InvalidPinFormat
    }
}

impl CardError {
    /// A message a resident or clerk can act on, in plain Japanese. No personal data.
    pub fn message_ja(&self) -> String {
        self.message().ja()
    }

    /// The same message, translated where it is shown ([`Msg::render`]).
    pub fn message(&self) -> Msg {
        match self {
            CardError::InvalidPinFormat => PinFormatError.message(),
            CardError::WrongPin { tries_left } => says::wrong_pin(*tries_left),
            CardError::LastTryRefused => says::last_try_refused(),
            CardError::PinLocked { .. } => Msg::new(
                "暗証番号がロックされています。このカードの暗証番号の再設定は、お住まいの市区町村の窓口で行えます。職員にお声がけください。",
            ),
            CardError::InvalidPinB(e) => e.message(),
            CardError::WrongPinB { tries_left } => says::wrong_pin_b(*tries_left),
            CardError::PinBLastTryRefused => says::pin_b_last_try_refused(),
            CardError::PinBLocked { .. } => says::pin_b_locked(),
            CardError::MyNumberNeedsPin => says::my_number_needs_pin(),
            CardError::SecurityNotSatisfied | CardError::AlreadyVerified => {
                Msg::new("カードの読み取りをやり直します。カードをいったん取り、もう一度置いてください。")
            }
            CardError::UnknownCard => Msg::new(
                "このカードは読み取れません。マイナンバーカードかどうかお確かめのうえ、マイナンバーカードを置いてください。",
            ),
            CardError::JukiCard => Msg::new(
                "住民基本台帳カードは使えません。マイナンバーカードを置いてください。分からないときは職員にお声がけください。",
            ),
            CardError::NotTheSameCard => Msg::new(
                "さきほどとは別のカードが置かれました。暗証番号は送っていません。はじめからやり直してください。",
            ),
            CardError::FileNotFound { .. }
            | CardError::WrongOffset
            | CardError::WrongLength
            | CardError::UnexpectedStatus { .. }
            | CardError::Record(_) => Msg::new("カードの情報を読み取れませんでした。職員にお声がけください。"),
            CardError::Transport(t) => t.message(),
        }
    }

    /// True when the flow should go back to "place your card".
    pub fn needs_card_again(&self) -> bool {
        matches!(
            self,
            CardError::Transport(TransportError::CardRemoved | TransportError::NoCard | TransportError::Unresponsive)
        )
    }
}

impl TransportError {
    pub fn message_ja(&self) -> String {
        self.message().ja()
    }

    pub fn message(&self) -> Msg {
        match self {
            TransportError::NoService | TransportError::Other(_) | TransportError::Busy => {
                Msg::new("カードリーダーが使えません。職員にお声がけください。")
            }
            TransportError::NoReader | TransportError::NoReaderMatching { .. } => {
                Msg::new("カードリーダーが見つかりません。職員にお声がけください。")
            }
            TransportError::NoCard | TransportError::Timeout => Msg::new("カードを読み取り機に置いてください。"),
            TransportError::CardRemoved => says::card_removed(),
            TransportError::Unresponsive => Msg::new("カードを読み取れません。置き直してください。"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_error_has_a_japanese_message() {
        let all = [
            CardError::InvalidPinFormat,
            CardError::WrongPin { tries_left: 2 },
            CardError::LastTryRefused,
            CardError::PinLocked { sw: StatusWord(0x6984) },
            CardError::SecurityNotSatisfied,
            CardError::UnknownCard,
            CardError::JukiCard,
            CardError::InvalidPinB(PinBFormatError::Length { got: 4 }),
            CardError::InvalidPinB(PinBFormatError::BirthDate),
            CardError::InvalidPinB(PinBFormatError::ExpiryYear),
            CardError::WrongPinB { tries_left: 4 },
            CardError::PinBLastTryRefused,
            CardError::PinBLocked { sw: StatusWord(0x6984) },
            CardError::MyNumberNeedsPin,
            CardError::NotTheSameCard,
            CardError::FileNotFound { fid: 2 },
            CardError::WrongOffset,
            CardError::WrongLength,
            CardError::AlreadyVerified,
            CardError::UnexpectedStatus { command: "READ BINARY", sw: StatusWord(0x6F00) },
            CardError::Record(RecordError::BirthDate),
            CardError::Transport(TransportError::NoService),
            CardError::Transport(TransportError::NoReader),
            CardError::Transport(TransportError::NoCard),
            CardError::Transport(TransportError::CardRemoved),
            CardError::Transport(TransportError::Unresponsive),
        ];
        for e in all {
            let m = e.message_ja();
            assert!(m.ends_with('。'), "{m}");
            assert!(!e.to_string().is_empty());
            let t = e.message().template();
            assert!(crate::i18n::translation("en", t).is_some(), "no English for {t}");
        }
        assert!(CardError::WrongPin { tries_left: 2 }.message_ja().contains("2回"));
        assert!(CardError::PinLocked { sw: StatusWord(0x63C0) }.message_ja().contains("市区町村の窓口"));
    }
}
