//! Durable outbox: submissions are committed to SQLite before anyone is told they were
//! accepted, then delivered at-least-once with a fixed idempotency key (exactly-once effect).

pub mod crypto;
pub mod policy;
pub mod sender;
pub mod store;

pub use sender::{PassStats, Sender, SenderConfigError, SenderThread, check_backend_url};
pub use store::{Enqueued, EntryState, EntrySummary, Outbox, OutboxError, OutboxStatus};
