//! Output layer: printing (IPP), the durable outbox to the back office, the export spool.
//!
//! Kiosk flow: hold one [`service::OutputService`]; when the resident confirms, build a
//! [`payload::Submission`] and call `accept` (outbox commit with fsync, plus the export spool
//! when enabled), then print with [`print::Printer::print`] (call again to reprint).
//! A background [`outbox::SenderThread`] delivers to the back office.

pub mod config;
pub mod export;
pub mod outbox;
pub mod payload;
pub mod print;
pub mod service;

pub use config::{BackendConfig, CsvEncoding, ExportConfig, OutboxConfig, OutputConfig, PrintConfig};
pub use service::{Accepted, OutputError, OutputService};
