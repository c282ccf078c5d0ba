//! PC/SC transport (pcscd via the `pcsc` crate): reader choice, insert/remove waits,
//! shared connection, and recovery after a removed card.

use std::ffi::{CStr, CString};
use std::time::{Duration, Instant};

use pcsc::{Card, Context, Disposition, Error as PcscError, Protocols, ReaderState, Scope, ShareMode, State};

use super::apdu::{Command, Response};
use super::error::TransportError;
use super::transport::{ExclusiveBody, Transport, Watch};

fn map_err(e: PcscError) -> TransportError {
    match e {
        PcscError::NoService | PcscError::ServiceStopped => TransportError::NoService,
        PcscError::NoReadersAvailable | PcscError::UnknownReader | PcscError::ReaderUnavailable => {
            TransportError::NoReader
        }
        PcscError::NoSmartcard => TransportError::NoCard,
        PcscError::RemovedCard | PcscError::ResetCard | PcscError::NotTransacted => TransportError::CardRemoved,
        PcscError::UnresponsiveCard | PcscError::UnpoweredCard | PcscError::UnsupportedCard => {
            TransportError::Unresponsive
        }
        PcscError::Timeout => TransportError::Timeout,
        PcscError::SharingViolation => TransportError::Busy,
        other => TransportError::Other(other.to_string()),
    }
}

/// Connect to pcscd. `NoService` when the daemon is not running.
pub fn establish() -> Result<Context, TransportError> {
    Context::establish(Scope::User).map_err(map_err)
}

/// Reader names as pcscd reports them.
pub fn list_readers(ctx: &Context) -> Result<Vec<String>, TransportError> {
    match ctx.list_readers_owned() {
        Ok(v) => Ok(v.into_iter().map(|c| c.to_string_lossy().into_owned()).collect()),
        Err(PcscError::NoReadersAvailable) => Ok(Vec::new()),
        Err(e) => Err(map_err(e)),
    }
}

/// Pick the first reader whose name contains `pattern` (case-insensitive); any reader when
/// the pattern is empty.
pub fn pick_reader(readers: &[String], pattern: &str) -> Result<String, TransportError> {
    if readers.is_empty() {
        return Err(TransportError::NoReader);
    }
    let p = pattern.to_lowercase();
    readers
        .iter()
        .find(|r| r.to_lowercase().contains(&p))
        .cloned()
        .ok_or_else(|| TransportError::NoReaderMatching { pattern: pattern.to_string() })
}

/// One reader and (when a card is there) a shared connection to its card.
pub struct PcscReader {
    ctx: Context,
    name: String,
    cname: CString,
    card: Option<Card>,
    /// The handle saw the card go away; reconnect (with reset) before the next APDU.
    stale: bool,
    /// We ended a transaction with a reset: pcscd tells every handle, ours included, once
    /// (`SCARD_W_RESET_CARD`); reconnect without another reset before the next APDU.
    reset_by_us: bool,
}

impl PcscReader {
    /// Open the first reader matching `pattern`.
    pub fn open(pattern: &str) -> Result<PcscReader, TransportError> {
        let ctx = establish()?;
        let name = pick_reader(&list_readers(&ctx)?, pattern)?;
        let cname = CString::new(name.clone()).map_err(|_| TransportError::Other("reader name contains NUL".into()))?;
        Ok(PcscReader { ctx, name, cname, card: None, stale: false, reset_by_us: false })
    }

    pub fn name(&self) -> &str {
        &self.name
    }

    fn state(&self, current: State, timeout: Duration) -> Result<State, TransportError> {
        reader_state(&self.ctx, &self.cname, current, timeout)
    }

    /// Whether a card is on the reader right now.
    pub fn card_present(&self) -> Result<bool, TransportError> {
        Ok(self.state(State::UNAWARE, Duration::ZERO)?.contains(State::PRESENT))
    }

    fn wait_until(&self, want_present: bool, timeout: Duration) -> Result<(), TransportError> {
        let deadline = Instant::now() + timeout;
        let mut current = State::UNAWARE;
        loop {
            let left = deadline.saturating_duration_since(Instant::now());
            let ev = match self.state(current, left) {
                Ok(ev) => ev,
                Err(TransportError::Timeout) => return Err(TransportError::Timeout),
                Err(e) => return Err(e),
            };
            if ev.contains(State::PRESENT) == want_present && !ev.contains(State::UNKNOWN) {
                return Ok(());
            }
            if left.is_zero() {
                return Err(TransportError::Timeout);
            }
            current = ev - State::CHANGED;
        }
    }

    /// Block until a card is placed (SCardGetStatusChange), at most `timeout`.
    pub fn wait_for_card(&self, timeout: Duration) -> Result<(), TransportError> {
        self.wait_until(true, timeout)
    }

    /// Block until the card is taken off, at most `timeout`.
    pub fn wait_for_removal(&self, timeout: Duration) -> Result<(), TransportError> {
        self.wait_until(false, timeout)
    }

    /// Connect (shared, T=0/T=1) if not connected; after a removal, reconnect with a reset.
    pub fn connect(&mut self) -> Result<(), TransportError> {
        if let Some(card) = self.card.as_mut() {
            if self.reset_by_us && !self.stale {
                self.reset_by_us = false;
                match card.reconnect(ShareMode::Shared, Protocols::ANY, Disposition::LeaveCard) {
                    Ok(()) => return Ok(()),
                    Err(PcscError::NoSmartcard | PcscError::RemovedCard) => return Err(TransportError::NoCard),
                    Err(_) => self.stale = true,
                }
            }
            if !self.stale {
                return Ok(());
            }
            match card.reconnect(ShareMode::Shared, Protocols::ANY, Disposition::ResetCard) {
                Ok(()) => {
                    self.stale = false;
                    return Ok(());
                }
                Err(PcscError::NoSmartcard | PcscError::RemovedCard) => {
                    return Err(TransportError::NoCard);
                }
                Err(_) => self.card = None, // fall through to a fresh connection
            }
        }
        let card = self.ctx.connect(&self.cname, ShareMode::Shared, Protocols::ANY).map_err(map_err)?;
        self.card = Some(card);
        self.stale = false;
        self.reset_by_us = false;
        Ok(())
    }

    /// End the connection and reset the card, clearing its security state. A card that is
    /// already gone is left alone: resetting an absent card makes some drivers (vpcd) stop
    /// noticing the next insertion.
    pub fn disconnect(&mut self) {
        if let Some(card) = self.card.take() {
            let present = !self.stale && self.card_present().unwrap_or(false);
            let how = if present { Disposition::ResetCard } else { Disposition::LeaveCard };
            let _ = card.disconnect(how);
        }
        self.stale = false;
    }
}

impl Drop for PcscReader {
    fn drop(&mut self) {
        self.disconnect();
    }
}

fn reader_state(ctx: &Context, cname: &CStr, current: State, timeout: Duration) -> Result<State, TransportError> {
    let mut rs = [ReaderState::new(cname.to_owned(), current)];
    ctx.get_status_change(timeout, &mut rs).map_err(map_err)?;
    Ok(rs[0].event_state())
}

/// One APDU on a connected card (directly or through its transaction).
fn transmit_on(card: &Card, cmd: &Command) -> Result<Response, TransportError> {
    let mut buf = zeroize::Zeroizing::new(vec![0u8; pcsc::MAX_BUFFER_SIZE_EXTENDED]);
    let apdu = zeroize::Zeroizing::new(cmd.to_bytes());
    match card.transmit(&apdu, &mut buf) {
        // vpcd answers an APDU cut off by removal with no bytes at all.
        Ok(raw) => Response::parse(raw).ok_or(TransportError::Unresponsive),
        Err(e) => Err(map_err(e)),
    }
}

impl Transport for PcscReader {
    fn transmit(&mut self, cmd: &Command) -> Result<Response, TransportError> {
        self.connect()?;
        let card = self.card.as_ref().ok_or(TransportError::NoCard)?;
        let result = transmit_on(card, cmd);
        if matches!(result, Err(TransportError::CardRemoved | TransportError::Unresponsive)) {
            // Whatever happened, the card's state is unknown now: reconnect with a reset.
            self.stale = true;
        }
        result
    }

    /// A PC/SC transaction around the whole procedure (see [`Transport::exclusive`]).
    fn exclusive(&mut self, body: &mut ExclusiveBody<'_>) -> Result<(), TransportError> {
        self.connect()?;
        let PcscReader { ctx, cname, card, stale, reset_by_us, .. } = self;
        let handle = card.as_mut().ok_or(TransportError::NoCard)?;
        let tx = match handle.transaction2() {
            Ok(tx) => tx,
            // Another program reset the card since our last use: nothing of ours was on it,
            // so take note and begin again.
            Err((h, PcscError::ResetCard)) => {
                h.reconnect(ShareMode::Shared, Protocols::ANY, Disposition::LeaveCard).map_err(map_err)?;
                h.transaction().map_err(map_err)?
            }
            Err((_, e)) => {
                let e = map_err(e);
                if matches!(e, TransportError::CardRemoved | TransportError::Unresponsive) {
                    *stale = true;
                }
                return Err(e);
            }
        };
        let mut link = Watch::new(TxLink { tx: &tx });
        body(&mut link);
        let (verify_sent, lost) = (link.verify_sent, link.link_lost);
        // After a PIN: reset, so no verified state is left for anyone (success or not).
        let how = if verify_sent && !lost { Disposition::ResetCard } else { Disposition::LeaveCard };
        let ended = tx.end(how).is_ok();
        if ended && how == Disposition::ResetCard {
            *reset_by_us = true;
        }
        if lost || !ended {
            // The card went away (or would not end the transaction): its state is unknown,
            // so the next use reconnects with a reset. Not now: pcscd may not have seen the
            // removal yet, and resetting an absent card makes vpcd (and some drivers) stop
            // noticing the next insertion.
            *stale = true;
        }
        if verify_sent && !lost && !ended {
            // The reset did not happen with the card apparently there: release the card,
            // resetting it if it is still present.
            let present =
                reader_state(ctx, cname, State::UNAWARE, Duration::ZERO).is_ok_and(|s| s.contains(State::PRESENT));
            if let Some(c) = card.take() {
                let _ = c.disconnect(if present { Disposition::ResetCard } else { Disposition::LeaveCard });
            }
            *stale = false;
            *reset_by_us = false;
        }
        Ok(())
    }
}

/// The card inside a PC/SC transaction.
struct TxLink<'a, 'tx> {
    tx: &'a pcsc::Transaction<'tx>,
}

impl Transport for TxLink<'_, '_> {
    fn transmit(&mut self, cmd: &Command) -> Result<Response, TransportError> {
        transmit_on(self.tx, cmd)
    }

    fn exclusive(&mut self, body: &mut ExclusiveBody<'_>) -> Result<(), TransportError> {
        body(self);
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reader_choice_by_pattern() {
        let readers = vec!["Virtual PCD 00 00".to_string(), "SONY FeliCa RC-S300/P 01 00".to_string()];
        assert_eq!(pick_reader(&readers, "").unwrap(), "Virtual PCD 00 00");
        assert_eq!(pick_reader(&readers, "rc-s300").unwrap(), "SONY FeliCa RC-S300/P 01 00");
        assert_eq!(
            pick_reader(&readers, "ACR1252"),
            Err(TransportError::NoReaderMatching { pattern: "ACR1252".into() })
        );
        assert_eq!(pick_reader(&[], ""), Err(TransportError::NoReader));
        assert!(TransportError::NoReader.message_ja().contains("カードリーダー"));
    }

    #[test]
    fn pcsc_errors_map_to_actionable_kinds() {
        assert_eq!(map_err(PcscError::NoService), TransportError::NoService);
        assert_eq!(map_err(PcscError::NoSmartcard), TransportError::NoCard);
        assert_eq!(map_err(PcscError::RemovedCard), TransportError::CardRemoved);
        assert_eq!(map_err(PcscError::NotTransacted), TransportError::CardRemoved);
        assert_eq!(map_err(PcscError::SharingViolation), TransportError::Busy);
        assert_eq!(map_err(PcscError::UnknownReader), TransportError::NoReader);
    }
}
