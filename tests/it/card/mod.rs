//! Tests of the `card` layer.

mod cli;
mod pcsc;
