//! Helpers shared by the test modules, one file per part they drive.

pub mod card_stack;
pub mod forms_support;
pub mod golden;
pub mod kiosk_support;
pub mod output_support;
pub mod packaging_support;
pub mod preinput_support;
pub mod ui_support;
pub mod webdriver;
