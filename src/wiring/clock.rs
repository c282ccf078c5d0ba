//! The system clock behind the session's [`Clock`].

use std::time::Instant;

use chrono::{DateTime, FixedOffset};

use crate::session::Clock;

/// Monotonic time for timeouts, the local wall clock (with its UTC offset) for dates.
#[derive(Debug, Default, Clone, Copy)]
pub struct SystemClock;

impl Clock for SystemClock {
    fn now(&self) -> Instant {
        Instant::now()
    }
    fn local(&self) -> DateTime<FixedOffset> {
        chrono::Local::now().fixed_offset()
    }
}
