//! Tests of the `stack` layer.

mod watchdog;
