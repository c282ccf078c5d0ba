//! The one seam between the protocol core and the outside world.

use super::apdu::{Command, Response};
use super::error::TransportError;

/// The body of one card procedure, run by [`Transport::exclusive`].
pub type ExclusiveBody<'a> = dyn FnMut(&mut dyn Transport) + 'a;

/// Sends one APDU and returns the card's answer. Implemented by PC/SC and the in-process
/// virtual card.
pub trait Transport {
    fn transmit(&mut self, cmd: &Command) -> Result<Response, TransportError>;

    /// Run one card procedure (select → tries → VERIFY → read) with the card to itself, then
    /// reset the card if a PIN was presented, so that nothing verified outlives the procedure.
    ///
    /// PC/SC: inside `SCardBeginTransaction`/`SCardEndTransaction`, so no other program's
    /// APDUs come in between; ends with `SCARD_RESET_CARD` after a VERIFY with a PIN (on every
    /// path, errors included), and disconnects when that reset could not be done. A transport
    /// already inside a procedure just runs `body` (nesting is one procedure). Only failing to
    /// *begin* is an error; what the body found it reports through its own captures (see
    /// [`exclusive`]).
    fn exclusive(&mut self, body: &mut ExclusiveBody<'_>) -> Result<(), TransportError>;
}

impl<T: Transport + ?Sized> Transport for &mut T {
    fn transmit(&mut self, cmd: &Command) -> Result<Response, TransportError> {
        (**self).transmit(cmd)
    }

    fn exclusive(&mut self, body: &mut ExclusiveBody<'_>) -> Result<(), TransportError> {
        (**self).exclusive(body)
    }
}

/// Run `f` as one exclusive procedure on `t` and return what it returned.
pub fn exclusive<T, R>(t: &mut T, f: impl FnOnce(&mut dyn Transport) -> R) -> Result<R, TransportError>
where
    T: Transport + ?Sized,
{
    let mut f = Some(f);
    let mut out = None;
    t.exclusive(&mut |tx| {
        if let Some(f) = f.take() {
            out = Some(f(tx));
        }
    })?;
    out.ok_or_else(|| TransportError::Other("the card procedure did not run".into()))
}

/// True for a VERIFY that carries a PIN (the empty VERIFY only asks for the tries left).
pub fn presents_pin(cmd: &Command) -> bool {
    cmd.ins == 0x20 && !cmd.data.is_empty()
}

/// Wraps a transport inside a procedure and notes what the end of it needs to know.
pub struct Watch<T> {
    pub inner: T,
    /// A VERIFY with a PIN was handed to the link (it may or may not have reached the card).
    pub verify_sent: bool,
    /// The link failed as when a card is pulled: the card's state is unknown now.
    pub link_lost: bool,
}

impl<T> Watch<T> {
    pub fn new(inner: T) -> Self {
        Watch { inner, verify_sent: false, link_lost: false }
    }
}

impl<T: Transport> Transport for Watch<T> {
    fn transmit(&mut self, cmd: &Command) -> Result<Response, TransportError> {
        if presents_pin(cmd) {
            self.verify_sent = true;
        }
        let r = self.inner.transmit(cmd);
        if matches!(r, Err(TransportError::CardRemoved | TransportError::Unresponsive | TransportError::NoCard)) {
            self.link_lost = true;
        }
        r
    }

    fn exclusive(&mut self, body: &mut ExclusiveBody<'_>) -> Result<(), TransportError> {
        // Already inside the procedure this watch belongs to.
        body(self);
        Ok(())
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

    fn exclusive(&mut self, body: &mut ExclusiveBody<'_>) -> Result<(), TransportError> {
        let count = &mut self.count;
        self.inner.exclusive(&mut |tx| {
            let mut counted = Counting::new(tx);
            body(&mut counted);
            *count += counted.count;
        })
    }
}
