//! madoguchi — a 書かない窓口 (no-writing counter) kiosk for Japanese municipalities.
//!
//! Layers (see README): `card` reads the My Number Card; `forms` fills and renders
//! templates; `session` drives the kiosk flow; `output` prints and submits.

pub mod card;
pub mod config;
pub mod forms;
pub mod i18n;
pub mod output;
pub mod preinput;
pub mod session;
pub mod stats;
pub mod ui;
pub mod vocab;
pub mod wiring;
