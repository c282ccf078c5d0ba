//! PIN entry on the keypad and what the PIN screen tells the resident.

use zeroize::Zeroizing;

use crate::i18n::Msg;
use crate::vocab::pin::{Pin, PinB, PinBFormatError, PinFormatError, says};

/// The PIN screen's situation, from the card's tries counter and the last VERIFY.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PinState {
    /// Enter the PIN; `tries_left` is shown.
    Ready { tries_left: u8 },
    /// The last attempt was wrong.
    Wrong { tries_left: u8 },
    /// One try left: the kiosk refuses to spend it; call a clerk (clerk override with consent).
    CallClerk,
    /// The clerk has overridden the refusal with the resident's consent: the last try may be used.
    LastTryAllowed,
    /// Locked: where to go.
    Locked,
}

impl PinState {
    pub fn from_tries(tries: u8) -> PinState {
        match tries {
            0 => PinState::Locked,
            1 => PinState::CallClerk,
            n => PinState::Ready { tries_left: n },
        }
    }

    /// Whether the keypad accepts a PIN now.
    pub fn can_enter(self) -> bool {
        !matches!(self, PinState::CallClerk | PinState::Locked)
    }

    /// What the screen says for `secret`: the resident's PIN, or 照合番号B a clerk enters.
    pub fn message_for(self, secret: Secret) -> Msg {
        match (secret, self) {
            (Secret::Pin, s) => s.message(),
            (Secret::PinB, PinState::Ready { tries_left }) => {
                Msg::new("照合番号B(14桁)を入力してください。(あと{}回まちがえるとロックされます)").arg(tries_left)
            }
            (Secret::PinB, PinState::Wrong { tries_left }) => says::wrong_pin_b(tries_left),
            (Secret::PinB, PinState::CallClerk) => says::pin_b_last_try_refused(),
            (Secret::PinB, PinState::LastTryAllowed) => {
                Msg::new("ご本人の同意を得ました。照合番号Bの最後の1回です。券面を確かめて入力してください。")
            }
            (Secret::PinB, PinState::Locked) => says::pin_b_locked(),
        }
    }

    /// What the PIN screen says, plain Japanese.
    pub fn message_ja(self) -> String {
        self.message().ja()
    }

    /// What the PIN screen says, translated where it is shown.
    pub fn message(self) -> Msg {
        match self {
            PinState::Ready { tries_left } => {
                Msg::new("数字4桁の暗証番号を押してください。(あと{}回まちがえるとロックされます)").arg(tries_left)
            }
            PinState::Wrong { tries_left } => says::wrong_pin(tries_left),
            PinState::CallClerk => says::last_try_refused(),
            PinState::LastTryAllowed => Msg::new("職員が確認しました。最後の1回です。落ち着いて入力してください。"),
            PinState::Locked => Msg::new(
                "暗証番号がロックされています。暗証番号の再設定は、お住まいの市区町村のマイナンバーカード窓口でできます。このカードを持って窓口へお越しください。職員がご案内します。",
            ),
        }
    }
}

/// Which secret opens the card: the resident's 4-digit PIN, or 照合番号B a clerk reads off
/// the card (birth date, expiry year, security code: 14 digits).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum Secret {
    #[default]
    Pin,
    PinB,
}

impl Secret {
    pub fn digits(self) -> usize {
        match self {
            Secret::Pin => 4,
            Secret::PinB => 14,
        }
    }
}

/// The digits typed so far (never more than the secret has), zeroized on drop.
#[derive(Default)]
pub struct PinEntry(Zeroizing<String>, Secret);

impl PinEntry {
    pub fn for_secret(secret: Secret) -> PinEntry {
        PinEntry(Zeroizing::new(String::new()), secret)
    }
    pub fn secret(&self) -> Secret {
        self.1
    }
    pub fn push(&mut self, digit: u8) {
        if digit <= 9 && self.0.len() < self.1.digits() {
            self.0.push(char::from(b'0' + digit));
        }
    }
    pub fn pop(&mut self) {
        self.0.pop();
    }
    fn clear(&mut self) {
        // Zeroize the old buffer before dropping it.
        self.0 = Zeroizing::new(String::new());
    }
    pub fn len(&self) -> usize {
        self.0.len()
    }
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
    /// The PIN once 4 digits are in; the entry is cleared either way.
    pub fn take(&mut self) -> Result<Pin, PinFormatError> {
        let r = Pin::parse(&self.0);
        self.clear();
        r
    }
    /// 照合番号B once 14 digits are in; the entry is cleared either way.
    pub fn take_b(&mut self) -> Result<PinB, PinBFormatError> {
        let r = PinB::parse(&self.0);
        self.clear();
        r
    }
}

impl std::fmt::Debug for PinEntry {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "PinEntry({:?}, {} digits)", self.1, self.0.len())
    }
}
