//! The kiosk flow as a plain state machine (no Slint types): steps, back/cancel, idle timeout,
//! card removal, PIN rules with clerk override, and the wipe at the end of every session.
//! Forms and output are reached through the traits in [`services`].

pub mod answers;
pub mod card_port;
pub mod catalog_forms;
pub mod demo_forms;
pub mod kiosk_output;
pub mod machine;
pub mod pin_entry;
pub mod services;
pub mod signature;

pub use answers::{AnswerValue, Answers};
pub use card_port::{CardPort, PcscPort, SimHandle, SimReader};
pub use catalog_forms::CatalogForms;
pub use kiosk_output::KioskOutput;
pub use machine::{EndReason, Event, PAD_H, PAD_W, ProcedureMode, Session, SessionSettings, Step};
pub use pin_entry::PinState;
pub use services::{FormService, NotWiredOutput, OutputAction, OutputService, Receipt, RenderedVisit, Visit};
