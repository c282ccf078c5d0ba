//! Pre-input at home (issue 14): a resident answers the kiosk's questions on a phone, brings
//! the code as a QR code, and the counter's 2D scanner types it into the kiosk as digits.
//!
//! [`payload`] is the format-1 codec (digits ↔ bytes ↔ JSON, see PREINPUT_SPEC.md);
//! [`import`] turns a decoded code into what the session selects and fills, checked against
//! this kiosk's procedures and templates. Both are sans-IO. The web page that makes codes
//! lives in `page` (another module's concern).

pub mod import;
pub mod payload;

pub use import::{Imported, Refused, import};
pub use payload::{DecodeError, MAX_DIGITS, PreInput, RawValue, decode, encode};
