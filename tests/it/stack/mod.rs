//! Tests of the `stack` layer.

mod pii_sweep;
mod watchdog;
