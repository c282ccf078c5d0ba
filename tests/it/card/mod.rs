//! Tests of the `card` layer.

mod cli;
mod pcsc;
mod pin_b;
mod status;
mod transaction;
