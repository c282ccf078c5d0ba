//! The one seam between the protocol core and the outside world.

use super::apdu::{Command, Response};
use super::error::TransportError;

/// Sends one APDU and returns the card's answer. Implemented by PC/SC and the in-process
/// virtual card.
pub trait Transport {
    fn transmit(&mut self, cmd: &Command) -> Result<Response, TransportError>;
}

impl<T: Transport + ?Sized> Transport for &mut T {
    fn transmit(&mut self, cmd: &Command) -> Result<Response, TransportError> {
        (**self).transmit(cmd)
    }
}

/// Wraps a transport and counts APDUs (benchmarks and tests assert on the count).
pub struct Counting<T> {
    pub inner: T,
    pub count: u32,
}

impl<T> Counting<T> {
    pub fn new(inner: T) -> Self {
        Counting { inner, count: 0 }
    }
}

impl<T: Transport> Transport for Counting<T> {
    fn transmit(&mut self, cmd: &Command) -> Result<Response, TransportError> {
        self.count += 1;
        self.inner.transmit(cmd)
    }
}
