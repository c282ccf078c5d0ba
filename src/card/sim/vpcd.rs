//! vsmartcard vpcd client ("vicc"): serves the virtual card to the real pcscd.
//!
//! Wire protocol (test-stack.md): frames are `u16 BE length` + body. A 1-byte body is a
//! control byte (00 power off, 01 power on, 02 reset, 04 get ATR — only 04 is answered);
//! anything longer is a command APDU answered with exactly one frame. Removal = closing the
//! socket. TCP_QUICKACK is re-armed before every read: without it Debian 12's vpcd (which
//! writes length and body separately) costs ~44 ms per APDU.

use std::io::{self, Read, Write};
use std::net::{Shutdown, SocketAddr, TcpStream};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;
use std::time::Duration;

use super::SharedCard;
use super::card::{ATR, Power};
use crate::card::apdu::Command;

pub const DEFAULT_PORT: u16 = 35963;

/// Which incoming APDU a scripted fault waits for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Trigger {
    /// The n-th APDU from the moment the fault was set (1 = the next one).
    Nth(u64),
    /// The next VERIFY that carries a PIN.
    PinVerify,
    /// The next empty VERIFY (the tries query that comes just before a PIN).
    EmptyVerify,
    /// The next READ BINARY.
    ReadBinary,
}

/// What happens when the trigger fires.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Fault {
    /// Vanish before the card sees the APDU (pulled while it was in flight).
    RemoveBefore,
    /// Let the card process and answer it, then vanish (pulled right after).
    RemoveAfter,
    /// Hold the answer this long (a slow card; opens a window for another program).
    Delay(Duration),
    /// Answer this status word instead of passing the APDU to the card (a card error the
    /// virtual card would not make by itself).
    Status(u16),
}

struct Script {
    trigger: Trigger,
    /// APDU count when the script was set.
    base: u64,
    fault: Fault,
}

/// Counters and fault injection shared with the serving thread.
#[derive(Default)]
pub struct ViccStats {
    apdus: AtomicU64,
    script: Mutex<Option<Script>>,
    removed_by_fault: AtomicBool,
    fired: AtomicBool,
}

impl ViccStats {
    pub fn apdus(&self) -> u64 {
        self.apdus.load(Ordering::SeqCst)
    }

    /// Set a one-shot fault (replacing any earlier one).
    pub fn script(&self, trigger: Trigger, fault: Fault) {
        self.removed_by_fault.store(false, Ordering::SeqCst);
        self.fired.store(false, Ordering::SeqCst);
        if let Ok(mut s) = self.script.lock() {
            *s = Some(Script { trigger, base: self.apdus(), fault });
        }
    }

    /// Whether the last scripted fault has fired.
    pub fn fired(&self) -> bool {
        self.fired.load(Ordering::SeqCst)
    }

    /// The fault for APDU number `n` (raw bytes `msg`), taken out once it fires.
    fn take_fault(&self, n: u64, msg: &[u8]) -> Option<Fault> {
        let mut g = self.script.lock().ok()?;
        let s = g.as_ref()?;
        let hit = match s.trigger {
            Trigger::Nth(k) => n >= s.base + k,
            Trigger::PinVerify => Command::parse(msg).is_some_and(|c| crate::card::transport::presents_pin(&c)),
            Trigger::EmptyVerify => Command::parse(msg).is_some_and(|c| c.ins == 0x20 && c.data.is_empty()),
            Trigger::ReadBinary => Command::parse(msg).is_some_and(|c| c.ins == 0xB0),
        };
        if !hit {
            return None;
        }
        let fault = s.fault;
        *g = None;
        self.fired.store(true, Ordering::SeqCst);
        if matches!(fault, Fault::RemoveBefore | Fault::RemoveAfter) {
            self.removed_by_fault.store(true, Ordering::SeqCst);
        }
        Some(fault)
    }
}

fn read_frame(stream: &mut TcpStream) -> io::Result<Option<Vec<u8>>> {
    // Linux clears QUICKACK after use; re-arm before every read (see module docs).
    let _ = socket2::SockRef::from(&*stream).set_tcp_quickack(true);
    let mut len = [0u8; 2];
    match stream.read_exact(&mut len) {
        Ok(()) => {}
        Err(e) if e.kind() == io::ErrorKind::UnexpectedEof => return Ok(None),
        Err(e) => return Err(e),
    }
    let n = usize::from(u16::from_be_bytes(len));
    let mut body = vec![0u8; n];
    let _ = socket2::SockRef::from(&*stream).set_tcp_quickack(true);
    stream.read_exact(&mut body)?;
    Ok(Some(body))
}

fn write_frame(stream: &mut TcpStream, body: &[u8]) -> io::Result<()> {
    let n = u16::try_from(body.len()).map_err(|_| io::Error::new(io::ErrorKind::InvalidInput, "frame too long"))?;
    let mut frame = Vec::with_capacity(body.len() + 2);
    frame.extend_from_slice(&n.to_be_bytes());
    frame.extend_from_slice(body);
    // One write: the peer may read length and body with separate recv calls, but we should
    // not make it wait for a second segment.
    stream.write_all(&frame)
}

/// Serve the card on an established connection until vpcd hangs up or a fault fires.
pub fn serve(mut stream: TcpStream, card: &SharedCard, stats: &ViccStats) -> io::Result<()> {
    stream.set_nodelay(true)?;
    loop {
        let Some(msg) = read_frame(&mut stream)? else {
            return Ok(());
        };
        if msg.len() == 1 {
            match msg[0] {
                0x04 => write_frame(&mut stream, &ATR)?,
                0x00..=0x02 => {
                    let p = [Power::Off, Power::On, Power::Reset][usize::from(msg[0])];
                    if let Ok(mut c) = card.lock() {
                        c.power(p);
                    }
                }
                _ => {} // unknown control byte: vpcd expects no answer
            }
            continue;
        }
        let n = stats.apdus.fetch_add(1, Ordering::SeqCst) + 1;
        let fault = stats.take_fault(n, &msg);
        if fault == Some(Fault::RemoveBefore) {
            let _ = stream.shutdown(Shutdown::Both);
            return Ok(());
        }
        if let Some(Fault::Status(sw)) = fault {
            write_frame(&mut stream, &sw.to_be_bytes())?;
            continue;
        }
        let resp = match card.lock() {
            Ok(mut c) => c.process(&msg),
            Err(_) => vec![0x6F, 0x00],
        };
        match fault {
            Some(Fault::RemoveAfter) => {
                // The card has processed it (its counter moved); the answer never arrives,
                // as when a card leaves the field between answering and the reader's read.
                let _ = stream.shutdown(Shutdown::Both);
                return Ok(());
            }
            Some(Fault::Delay(d)) => std::thread::sleep(d),
            _ => {}
        }
        write_frame(&mut stream, &resp)?;
    }
}

/// A virtual card that can be placed on and taken off a vpcd slot (tests, demo, CLI).
pub struct Vicc {
    card: SharedCard,
    addr: SocketAddr,
    stats: Arc<ViccStats>,
    conn: Option<(TcpStream, JoinHandle<()>)>,
}

impl Vicc {
    pub fn new(card: SharedCard, port: u16) -> Self {
        Vicc { card, addr: SocketAddr::from(([127, 0, 0, 1], port)), stats: Arc::default(), conn: None }
    }

    pub fn card(&self) -> &SharedCard {
        &self.card
    }

    pub fn stats(&self) -> &Arc<ViccStats> {
        &self.stats
    }

    /// Place the card: connect to vpcd and serve in a background thread.
    pub fn insert(&mut self) -> io::Result<()> {
        self.remove();
        let stream = TcpStream::connect_timeout(&self.addr, Duration::from_secs(2))?;
        let ctl = stream.try_clone()?;
        let card = self.card.clone();
        let stats = self.stats.clone();
        let handle = std::thread::Builder::new().name("vicc".into()).spawn(move || {
            // An I/O error here just means the card is gone; pcscd reports it as removed.
            let _ = serve(stream, &card, &stats);
        })?;
        self.conn = Some((ctl, handle));
        Ok(())
    }

    /// Take the card off: close the socket, which vpcd reports as a removed card.
    pub fn remove(&mut self) {
        if let Some((ctl, handle)) = self.conn.take() {
            let _ = ctl.shutdown(Shutdown::Both);
            let _ = handle.join();
        }
    }

    /// True while the serving thread is connected.
    pub fn is_inserted(&self) -> bool {
        self.conn.as_ref().is_some_and(|(_, h)| !h.is_finished())
    }

    /// Fault injection: vanish (as if pulled off the reader) when the `n`-th APDU from now
    /// arrives, before answering it. Real cards are pulled mid-transaction; pcscd has no
    /// way to do that on demand, so the virtual card does it.
    pub fn remove_on_apdu(&self, n: u64) {
        self.stats.script(Trigger::Nth(n), Fault::RemoveBefore);
    }

    /// Fault injection: let the card process the `n`-th APDU from now, then vanish before its
    /// answer is sent (e.g. the card counted a wrong PIN; the reader never heard back).
    pub fn remove_after_apdu(&self, n: u64) {
        self.stats.script(Trigger::Nth(n), Fault::RemoveAfter);
    }

    /// Any scripted fault (see [`Trigger`], [`Fault`]).
    pub fn script(&self, trigger: Trigger, fault: Fault) {
        self.stats.script(trigger, fault);
    }

    pub fn removed_by_fault(&self) -> bool {
        self.stats.removed_by_fault.load(Ordering::SeqCst)
    }
}

impl Drop for Vicc {
    fn drop(&mut self) {
        self.remove();
    }
}
