//! Counter statistics (窓口の統計): one PII-free row per kiosk visit, produced as a by-product
//! of the session, kept in its own SQLite file, exported as CSV and summarised in a
//! self-contained HTML report. See `packaging/docs/stats.ja.md`.
//!
//! The record itself, [`crate::vocab::visit::Visit`], is the vocabulary the session and this
//! module share; here it is stored, aggregated, exported and reported.

pub mod aggregate;
pub mod csv;
pub mod report;
pub mod store;
pub mod synthetic;

pub use aggregate::{Figures, Filter};
pub use store::{StatsError, StatsStore};
