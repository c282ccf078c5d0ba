//! Pre-input at home: a resident answers the kiosk's questions on a phone, brings the code as
//! a QR code, and the counter's 2D scanner types it into the kiosk as digits.
//!
//! [`payload`] is the format-1 codec (digits <-> bytes <-> JSON); [`import`] turns a decoded
//! code into what the session selects and fills, checked against this kiosk's procedures and
//! templates. Both are sans-IO. [`page`] generates the resident's static web page from the same
//! templates and procedures the kiosk uses.

pub mod import;
pub mod page;
pub mod payload;

pub use import::{Imported, Refused, import};
pub use payload::{DecodeError, MAX_DIGITS, PreInput, RawValue, decode, encode};
