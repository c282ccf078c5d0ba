//! My Number Card: a sans-IO protocol core (APDUs, BER-TLV, text AP, PIN safety) and thin
//! transports (PC/SC, in-process virtual card).

pub mod apdu;
pub mod attributes;
pub mod error;
pub mod pcsc;
pub mod pin;
pub mod sim;
pub mod text_ap;
pub mod tlv;
pub mod transport;

pub use attributes::{BirthDate, CardAttributes, MyNumber, SecretString, Sex};
pub use error::{CardError, TransportError};
pub use pin::Pin;
pub use text_ap::{LastTry, ReadOutcome, ReadRequest, read_card};
pub use transport::Transport;
