//! The names of the card's PINs, their files and their counters. What a resident types to
//! open the card (`Pin`, `PinB`) is in [`crate::vocab::pin`].

use crate::i18n::Msg;

/// The card's PINs the kiosk knows about (each has its own counter).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum PinKind {
    /// 券面事項入力補助用暗証番号: text AP EF 0011, 4 digits, 3 tries.
    TextPin,
    /// 照合番号B: text AP EF 0015, 14 digits; number of tries unknown (read from the card).
    PinB,
    /// 利用者証明用電子証明書の暗証番号: JPKI AP EF 0018, 4 digits, 3 tries.
    AuthPin,
    /// 署名用電子証明書のパスワード: JPKI AP EF 001B, 6–16 characters, 5 tries.
    SignPassword,
}

impl PinKind {
    /// The PIN EF inside its application.
    pub fn ef(self) -> u16 {
        match self {
            PinKind::TextPin => 0x0011,
            PinKind::PinB => 0x0015,
            PinKind::AuthPin => 0x0018,
            PinKind::SignPassword => 0x001B,
        }
    }

    /// Tries a fresh card has (None where no source says).
    pub fn max_tries(self) -> Option<u8> {
        match self {
            PinKind::TextPin | PinKind::AuthPin => Some(3),
            PinKind::SignPassword => Some(5),
            PinKind::PinB => None,
        }
    }

    /// Stable identifier for scripts (`card status --json`).
    pub fn key(self) -> &'static str {
        match self {
            PinKind::TextPin => "text_pin",
            PinKind::PinB => "pin_b",
            PinKind::AuthPin => "auth_pin",
            PinKind::SignPassword => "sign_password",
        }
    }

    /// The name residents see on their PIN envelope and the city's pages.
    pub fn label(self) -> Msg {
        Msg::new(self.label_ja())
    }

    pub fn label_ja(self) -> &'static str {
        match self {
            PinKind::TextPin => "券面事項入力補助用暗証番号(数字4桁)",
            PinKind::PinB => "照合番号B(数字14桁)",
            PinKind::AuthPin => "利用者証明用電子証明書の暗証番号(数字4桁)",
            PinKind::SignPassword => "署名用電子証明書のパスワード(英数字6〜16桁)",
        }
    }
}
