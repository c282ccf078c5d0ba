//! Output layer: printing (IPP), the durable outbox to the back office, the export spool.
//!
//! Kiosk flow after the resident confirms: build a [`payload::Submission`], `Outbox::enqueue`
//! it (durable before returning), print with [`print::Printer::print`], and when
//! `export.enabled` also [`export::export_submission`]. A [`outbox::SenderThread`] delivers.

pub mod config;
pub mod export;
pub mod outbox;
pub mod payload;
pub mod print;

pub use config::{BackendConfig, CsvEncoding, ExportConfig, OutboxConfig, OutputConfig, PrintConfig};
