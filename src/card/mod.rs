//! My Number Card: a sans-IO protocol core (APDUs, BER-TLV, text AP, PIN safety, card status,
//! card profiles) and thin transports (PC/SC, in-process virtual card).
//!
//! What the kiosk calls:
//! - [`read_card`] / [`read_with`] — 基本4情報 (and the 個人番号 when asked) with the 4-digit PIN
//!   or 照合番号B ([`Credential`]), tries checked first, last try refused without a clerk;
//! - [`pin_status`] / [`pin_b_status`] — tries left before the PIN / 照合番号B keypad;
//! - [`read_status`] — カードの状態 (tries of the three PINs, certificate validity, [`Advice`])
//!   without a PIN and without personal data;
//! - [`identify`] — which [`CardProfile`] the card is, by SELECT.
//!
//! Each is one exclusive procedure ([`Transport::exclusive`]: a PC/SC transaction, the card
//! reset after a PIN).

pub mod apdu;
pub mod attributes;
pub mod cert;
pub mod ef;
pub mod error;
pub mod pcsc;
pub mod pin;
pub mod profile;
pub mod sim;
pub mod status;
pub mod text_ap;
pub mod tlv;
pub mod transport;

pub use cert::CertValidity;
pub use error::{CardError, TransportError};
pub use pin::PinKind;
pub use profile::{CardProfile, identify};
pub use status::{Advice, CardStatus, CertState, PinStatus, read_status};
pub use text_ap::{
    LastTry, ReadFailure, ReadOutcome, ReadRequest, pin_b_status, pin_kind, pin_status, read_card, read_with,
};
pub use transport::Transport;
