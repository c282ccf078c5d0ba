//! Pre-input at home: a resident answers the kiosk's questions on a phone, brings the code as
//! a QR code, and the counter's 2D scanner types it into the kiosk as digits.
//!
//! [`payload`] is the format-1 codec (digits <-> bytes <-> JSON), sans-IO. [`page`] generates
//! the resident's static web page from the same templates and procedures the kiosk uses. What a
//! decoded code selects and fills in a visit is the session's business
//! (`session::preinput_import`): this module knows nothing of the session.

pub mod page;
pub mod payload;

pub use payload::{DecodeError, MAX_DIGITS, PreInput, RawValue, decode, encode};
