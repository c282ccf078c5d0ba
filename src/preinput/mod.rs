//! Pre-input at home (issue 14): the resident answers the kiosk's questions on a phone
//! beforehand and brings a QR code of digits (format: PREINPUT_SPEC). `page` generates the
//! resident's static web page from the same templates and procedures the kiosk uses.

pub mod page;
