//! Pre-input at home, the kiosk side: the code's decoder (property tests), the
//! session with a code through pcscd + vpcd, and the window with a scanner that types it.

mod cli;
mod props;
mod session;
mod ui;
