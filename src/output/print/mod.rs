//! Printing over IPP to a CUPS queue or an IPP Everywhere printer. `reasons` is the pure
//! mapping of printer/job state to errors for the clerk; `client` is the IPP edge.

pub mod client;
pub mod cups;
pub mod http;
pub mod reasons;

pub use client::{JobDone, PrintJob, PrintRequest, Printer};
pub use reasons::{PrintError, PrinterCondition};
