//! Helpers for tests that go through the real pcscd + vsmartcard vpcd with the project's
//! virtual card. The stack is started by tests/run.sh (tests/stack.sh up); a missing stack
//! is a test failure with instructions, never a skip.

use std::sync::{Mutex, MutexGuard};
use std::time::Duration;

use madoguchi::card::pcsc::{self, PcscReader};
use madoguchi::card::sim::persona::builtin_by_id;
use madoguchi::card::sim::vpcd::Vicc;
use madoguchi::card::sim::{self, CommandRecord, JournalEntry, Persona};

/// vpcd slot 0 = reader "Virtual PCD 00 00" on TCP 35963; slot 1 = "… 00 01" on 35964.
pub const SLOT0: (&str, u16) = ("Virtual PCD 00 00", 35963);
pub const SLOT1: (&str, u16) = ("Virtual PCD 00 01", 35964);

/// One pcscd per machine and one card per slot: tests take turns, within this binary (the
/// mutex) and with any other process using the slots (the lock file, e.g. a benchmark or
/// a second checkout's tests).
static STACK: Mutex<()> = Mutex::new(());

pub struct StackGuard {
    _thread: MutexGuard<'static, ()>,
    _process: std::fs::File,
}

pub fn lock() -> StackGuard {
    let thread = STACK.lock().unwrap_or_else(|p| p.into_inner());
    let file = std::fs::File::create(std::env::temp_dir().join("madoguchi-card-tests.lock")).expect("lock file");
    file.lock().expect("lock the card slots");
    require_stack();
    StackGuard { _thread: thread, _process: file }
}

pub fn require_stack() {
    let ctx = pcsc::establish().unwrap_or_else(|e| {
        panic!("pcscd is not reachable ({e}). Run the tests with `bash tests/run.sh`, or start the stack with `bash tests/stack.sh up`.")
    });
    let readers = pcsc::list_readers(&ctx).unwrap_or_default();
    assert!(
        readers.iter().any(|r| r == SLOT0.0) && readers.iter().any(|r| r == SLOT1.0),
        "vsmartcard vpcd readers missing (have {readers:?}); install vsmartcard-vpcd and restart pcscd (tests/stack.sh)"
    );
}

pub fn persona(id: &str) -> Persona {
    builtin_by_id(id).unwrap_or_else(|| panic!("built-in persona {id} missing"))
}

/// A virtual card on a vpcd slot and the PC/SC reader that sees it.
pub struct Placed {
    // Field order is drop order: the reader lets go of the card before the card leaves.
    pub reader: PcscReader,
    pub vicc: Vicc,
}

impl Placed {
    /// Take the card off and wait until pcscd has seen it go.
    pub fn remove(&mut self) {
        self.vicc.remove();
        self.reader.wait_for_removal(Duration::from_secs(3)).expect("pcscd reports the card removed");
    }

    /// Place the card again and wait until pcscd sees it.
    pub fn reinsert(&mut self) {
        self.vicc.insert().expect("vpcd accepts the card");
        self.reader.wait_for_card(Duration::from_secs(3)).expect("pcscd reports the card present");
    }
}

/// Place `persona` on `slot` and wait for pcscd to report it.
pub fn place(persona: Persona, slot: (&str, u16)) -> Placed {
    let reader = PcscReader::open(slot.0).expect("reader opens");
    // A card left by a previous test must be gone first, or the new one would queue behind it.
    reader.wait_for_removal(Duration::from_secs(3)).expect("slot empties");
    let mut vicc = Vicc::new(sim::shared(persona), slot.1);
    vicc.insert().expect("vpcd accepts the card");
    reader.wait_for_card(Duration::from_secs(3)).expect("pcscd reports the card present");
    Placed { reader, vicc }
}

impl Placed {
    /// Every command the virtual card has seen (what reached the card, not what was sent).
    pub fn commands(&self) -> Vec<CommandRecord> {
        self.vicc.card().lock().unwrap().commands()
    }

    /// Commands and power events (resets) in order.
    pub fn journal(&self) -> Vec<JournalEntry> {
        self.vicc.card().lock().unwrap().journal()
    }

    pub fn clear_journal(&self) {
        self.vicc.card().lock().unwrap().clear_journal();
    }

    /// The card's own counters: (text PIN, 照合番号B, auth PIN, sign password).
    pub fn counters(&self) -> (u8, u8, u8, u8) {
        let c = self.vicc.card().lock().unwrap();
        (c.text_pin_tries(), c.pin_b_tries(), c.auth_pin_tries(), c.sign_password_tries())
    }

    /// Wait until a scripted fault has taken the card off, then see pcscd notice it.
    pub fn await_fault_removal(&mut self, timeout: Duration) {
        let t = std::time::Instant::now();
        while !self.vicc.removed_by_fault() {
            assert!(t.elapsed() < timeout, "the scripted removal did not happen within {timeout:?}");
            std::thread::sleep(Duration::from_millis(10));
        }
        self.remove();
    }
}

/// The persona's personal data and secrets in every form they could be printed in.
pub fn personal_strings(p: &Persona) -> Vec<String> {
    let b = p.birth_date.date();
    let mut v = vec![
        p.name.expose().to_string(),
        p.address.expose().to_string(),
        p.my_number.expose().to_string(),
        p.birth_date.to_card(),
        b.format("%Y-%m-%d").to_string(),
        b.format("%Y/%m/%d").to_string(),
        format!("{}年{}月{}日", b.format("%Y"), b.format("%-m"), b.format("%-d")),
        p.pin_b.expose().to_string(),
        p.sign_password.expose().to_string(),
    ];
    // Each part of the name on its own (family name, given name).
    v.extend(p.name.expose().split_whitespace().filter(|s| s.chars().count() >= 2).map(str::to_string));
    v
}

/// Fails, naming the kind of leak but never the datum, if `text` holds any of it.
pub fn assert_nothing_personal(text: &str, p: &Persona, what: &str) {
    for (i, s) in personal_strings(p).iter().enumerate() {
        assert!(!text.contains(s.as_str()), "{what}: personal datum #{i} of persona {} appears", p.id);
    }
}
