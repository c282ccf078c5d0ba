//! Pre-input at home: a resident answers the kiosk's questions on a phone, brings the code as
//! a QR code, and the counter's 2D scanner types it into the kiosk as digits.
//!
//! [`page`] generates the resident's static web page from the same templates and procedures
//! the kiosk uses. The code's format-1 codec (digits <-> bytes <-> JSON, sans-IO) is
//! [`crate::vocab::preinput_code`], shared with the session, which decides what a decoded code
//! selects and fills in a visit (`session::preinput_import`).

pub mod page;
