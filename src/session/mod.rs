//! The kiosk flow as a plain state machine (no Slint types, no IO): stages that own their data,
//! back/cancel, idle timeout, card removal, PIN rules with the clerk's override, staff-PIN
//! rules, and the wipe at the end of every session. Everything outside goes through the
//! traits in [`ports`]; `crate::wiring` implements them with the real layers.

mod clerk;
mod machine;
pub mod pin_entry;
pub mod ports;
pub mod preinput_import;
mod signature;
pub mod stage;
mod stages;
pub mod visit;
mod visit_metrics;

pub use clerk::{ClerkActions, ClerkState, STAFF_PIN_MIN, delay_after};
pub use machine::{DatePart, Display, EndReason, Event, PAD_H, PAD_W, Ports, Session, SessionSettings};
pub use pin_entry::{PinEntry, PinState};
pub use ports::{
    CardAdvice, CardData, CardPort, CardProblem, CardProblemKind, CardQuery, CardReport, ClerkEvent, ClerkPort, Clock,
    ConfirmedVisit, DeliveryError, FormError, FormFacts, FormPort, NoVisitLog, Offers, OutputAction, OutputPort,
    OutputStatus, ProcedureInfo, Receipt, Rendered, RenderedForm, StaffPinRecord, VisitLog,
};
pub use signature::Signature;
pub use stage::{ProcedureMode, Stage};
pub use visit_metrics::VisitMetrics;
