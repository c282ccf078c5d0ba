//! The staff PIN behind the session's [`ClerkPort`]: the configured Argon2id hash, the
//! failure record in a small file next to the outbox (so a restart does not end a lockout),
//! and the clerk journal as log lines (no personal data, never the PIN).

use std::path::PathBuf;

use crate::session::{ClerkEvent, ClerkPort, StaffPinRecord};

pub struct StaffPin {
    hash: String,
    /// `None`: the record lives in memory only (tests, a read-only demo).
    record: Option<PathBuf>,
    memory: std::cell::Cell<StaffPinRecord>,
}

impl StaffPin {
    pub fn new(hash: impl Into<String>, record: Option<PathBuf>) -> StaffPin {
        StaffPin { hash: hash.into(), record, memory: Default::default() }
    }
}

impl ClerkPort for StaffPin {
    fn configured(&self) -> bool {
        !self.hash.is_empty()
    }

    fn verify(&self, pin: &str) -> bool {
        crate::config::verify_clerk_pin(pin, &self.hash)
    }

    fn load(&self) -> StaffPinRecord {
        let Some(path) = &self.record else { return self.memory.get() };
        let Ok(text) = std::fs::read_to_string(path) else { return StaffPinRecord::default() };
        let mut it = text.split_whitespace().map(str::parse::<i64>);
        match (it.next(), it.next()) {
            (Some(Ok(f)), Some(Ok(until))) => {
                StaffPinRecord { failures: u32::try_from(f).unwrap_or(u32::MAX), blocked_until: until }
            }
            // A damaged record must not give an attacker a fresh start: the next wrong entry
            // locks at once (a right one still unlocks).
            _ => StaffPinRecord { failures: 5, blocked_until: 0 },
        }
    }

    fn save(&self, r: &StaffPinRecord) {
        self.memory.set(*r);
        let Some(path) = &self.record else { return };
        let tmp = path.with_extension("tmp");
        // Synced before the rename: a power cut must not turn a lockout into a damaged (or
        // empty) record.
        let written = std::fs::File::create(&tmp)
            .and_then(|mut f| {
                std::io::Write::write_all(&mut f, format!("{} {}\n", r.failures, r.blocked_until).as_bytes())?;
                f.sync_all()
            })
            .and_then(|()| std::fs::rename(&tmp, path));
        if let Err(e) = written {
            eprintln!(
                "madoguchi: cannot save the staff-PIN record {}: {e} / 職員用暗証番号の記録を保存できません",
                path.display()
            );
        }
    }

    fn journal(&self, event: ClerkEvent) {
        eprintln!("madoguchi: clerk: {}", journal_line(event));
    }
}

/// The journal's line for a clerk event (English / Japanese; counts and flags only).
pub fn journal_line(event: ClerkEvent) -> String {
    match event {
        ClerkEvent::Unlocked => "clerk unlocked / 職員解除".to_string(),
        ClerkEvent::Locked => "clerk locked / 職員解除を終了".to_string(),
        ClerkEvent::Relocked => "clerk powers ended (new visit or inactivity) / 職員解除を自動で終了".to_string(),
        ClerkEvent::WrongPin { failures } => {
            format!("wrong staff PIN ({failures} in a row) / 職員用暗証番号の誤り({failures}回連続)")
        }
        ClerkEvent::LockedOut { failures, seconds } => format!(
            "staff PIN locked for {seconds} s after {failures} wrong entries / 職員用暗証番号を{seconds}秒ロック({failures}回の誤り)"
        ),
        ClerkEvent::AllowedLastTry => "clerk allowed the last PIN try / 職員が最後の1回を許可".to_string(),
        ClerkEvent::UsedPinB => "clerk reads the card with 照合番号B / 職員が照合番号Bで読み取り".to_string(),
        ClerkEvent::Corrected { name, address } => {
            format!("clerk corrected card values (name: {name}, address: {address}) / 職員がカードの値を修正")
        }
        ClerkEvent::Reprint => "clerk reprint / 職員が再印刷".to_string(),
    }
}
