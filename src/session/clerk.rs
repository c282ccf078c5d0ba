//! Clerk powers: the staff PIN (growing delays, a lockout that survives a restart, a journal
//! line per failure), relocking at every new resident and after a quiet while, and what a
//! clerk may do (the last-try override, corrections, a reprint).

use std::time::{Duration, Instant};

use zeroize::Zeroizing;

use crate::i18n::Msg;

use super::machine::{Event, Session};
use super::ports::{ClerkEvent, ClerkPort, StaffPinRecord};
use super::stage::Stage;

/// Staff PINs are at least this long (a 4-digit one falls to 10,000 taps).
pub const STAFF_PIN_MIN: usize = 6;
/// Longest entry the keypad takes.
const STAFF_PIN_MAX: usize = 12;
/// From this many failures on, no more tries until the lockout ends.
const LOCKOUT_AFTER: u32 = 6;
const LOCKOUT: Duration = Duration::from_secs(30 * 60);

/// How long to wait after `failures` wrong staff PINs: nothing for the first two slips, then
/// 30 s, 60 s, 120 s …, and a 30-minute lockout from the sixth.
pub fn delay_after(failures: u32) -> Duration {
    match failures {
        0..=2 => Duration::ZERO,
        n if n >= LOCKOUT_AFTER => LOCKOUT,
        n => Duration::from_secs(30 << (n - 3)),
    }
}

#[derive(Debug)]
pub struct ClerkState {
    always: bool,
    unlocked: bool,
    panel_open: bool,
    entry: Zeroizing<String>,
    message: Option<Msg>,
    last_activity: Instant,
    record: StaffPinRecord,
}

impl ClerkState {
    pub(crate) fn new(clerk_mode: bool, record: StaffPinRecord, now: Instant) -> ClerkState {
        ClerkState {
            always: clerk_mode,
            unlocked: clerk_mode,
            panel_open: false,
            entry: Zeroizing::new(String::new()),
            message: None,
            last_activity: now,
            record,
        }
    }

    pub fn unlocked(&self) -> bool {
        self.unlocked
    }
    /// A clerk-only action outside the panel (a reprint) counts as clerk activity.
    pub(crate) fn acted(&mut self, now: Instant) {
        self.last_activity = now;
    }
    pub fn panel_open(&self) -> bool {
        self.panel_open
    }
    /// Digits typed on the staff keypad so far.
    pub fn entered(&self) -> usize {
        self.entry.len()
    }
    pub fn message(&self) -> Option<&Msg> {
        self.message.as_ref()
    }
    /// Wrong staff PINs since the last success.
    pub fn failures(&self) -> u32 {
        self.record.failures
    }

    /// A new resident's session: clerk powers do not carry over (in clerk mode they are the
    /// mode itself and stay).
    pub(crate) fn relock_for_new_visit(&mut self, port: &dyn ClerkPort) {
        if self.unlocked && !self.always {
            self.unlocked = false;
            port.journal(ClerkEvent::Relocked);
        }
        self.panel_open = false;
        self.entry = Zeroizing::new(String::new());
    }
}

/// Which clerk actions the panel offers now (the session decides; the panel only shows them).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct ClerkActions {
    /// The resident's PIN has one try left and needs a clerk's consent.
    pub allow_last_try: bool,
    /// The PIN screen can switch to 照合番号B (explained there when the forms need the 個人番号).
    pub use_pin_b: bool,
    /// The card's name and address can be corrected (review screen).
    pub correct: bool,
    /// The delivered visit's forms can be printed again.
    pub reprint: bool,
}

impl Session {
    /// What a clerk can do on the current screen.
    pub fn clerk_actions(&self) -> ClerkActions {
        match &self.stage {
            Stage::Pin(p) => ClerkActions {
                allow_last_try: p.state == crate::session::PinState::CallClerk,
                use_pin_b: p.entry.secret() == crate::session::pin_entry::Secret::Pin,
                ..ClerkActions::default()
            },
            Stage::Review(_) => ClerkActions { correct: true, ..ClerkActions::default() },
            Stage::Done(_) => ClerkActions { reprint: self.ports.output.offers().print, ..ClerkActions::default() },
            _ => ClerkActions::default(),
        }
    }

    /// Clerk events and clerk-only actions; `true` when `ev` was one.
    pub(crate) fn clerk_event(&mut self, ev: &Event, now: Instant) -> bool {
        let is_clerk = matches!(
            ev,
            Event::ClerkPanel(_)
                | Event::ClerkDigit(_)
                | Event::ClerkDelete
                | Event::ClerkSubmit
                | Event::ClerkLock
                | Event::ClerkAllowLastTry
                | Event::ClerkUsePinB
                | Event::ClerkCorrect { .. }
        );
        if !is_clerk {
            return false;
        }
        // Only a clerk's own actions keep clerk powers alive: a resident tapping through the
        // visit beside an unlocked panel does not.
        self.clerk.last_activity = now;
        let c = &mut self.clerk;
        match ev {
            Event::ClerkPanel(open) => {
                c.panel_open = *open;
                c.entry = Zeroizing::new(String::new());
                c.message = None;
            }
            Event::ClerkDigit(d) if *d <= 9 && c.entry.len() < STAFF_PIN_MAX => c.entry.push(char::from(b'0' + d)),
            Event::ClerkDelete => {
                c.entry.pop();
            }
            Event::ClerkSubmit => self.submit_staff_pin(),
            Event::ClerkLock if !c.always => {
                c.unlocked = false;
                c.panel_open = false;
                self.ports.clerk.journal(ClerkEvent::Locked);
            }
            Event::ClerkAllowLastTry if c.unlocked => {
                let allowed = self.allow_last_try();
                if allowed {
                    self.ports.clerk.journal(ClerkEvent::AllowedLastTry);
                }
            }
            Event::ClerkUsePinB if c.unlocked => {
                c.panel_open = false;
                if self.use_pin_b() {
                    self.ports.clerk.journal(ClerkEvent::UsedPinB);
                }
            }
            Event::ClerkCorrect { name, address } if c.unlocked => {
                let (name, address) = self.correct_card(name, address);
                if name || address {
                    self.ports.clerk.journal(ClerkEvent::Corrected { name, address });
                }
            }
            _ => {}
        }
        true
    }

    fn submit_staff_pin(&mut self) {
        let entry = std::mem::replace(&mut self.clerk.entry, Zeroizing::new(String::new()));
        let port = self.ports.clerk.as_ref();
        let wall = self.ports.clock.local().timestamp();
        let c = &mut self.clerk;
        if !port.configured() {
            c.message = Some(Msg::new("職員用暗証番号が設定されていません(設定ファイルの clerk.pin_hash)。"));
            return;
        }
        if c.record.blocked_until > wall {
            let secs = u64::try_from(c.record.blocked_until - wall).unwrap_or(0);
            c.message = Some(Msg::new("暗証番号の誤りが続いたため、{}秒お待ちください。").arg(secs));
            return;
        }
        if entry.len() < STAFF_PIN_MIN {
            c.message = Some(Msg::new("職員用暗証番号は{}桁以上です。").arg(STAFF_PIN_MIN));
            return;
        }
        if port.verify(&entry) {
            c.unlocked = true;
            c.panel_open = false;
            c.message = None;
            if c.record != StaffPinRecord::default() {
                c.record = StaffPinRecord::default();
                port.save(&c.record);
            }
            port.journal(ClerkEvent::Unlocked);
            return;
        }
        c.record.failures = c.record.failures.saturating_add(1);
        let wait = delay_after(c.record.failures);
        c.record.blocked_until = wall.saturating_add(i64::try_from(wait.as_secs()).unwrap_or(i64::MAX));
        port.save(&c.record);
        port.journal(ClerkEvent::WrongPin { failures: c.record.failures });
        c.message = Some(if c.record.failures >= LOCKOUT_AFTER {
            port.journal(ClerkEvent::LockedOut { failures: c.record.failures, seconds: wait.as_secs() });
            Msg::new("暗証番号の誤りが続いたため、{}分間ロックしました。").arg(wait.as_secs() / 60)
        } else if wait.is_zero() {
            Msg::new("暗証番号が違います。")
        } else {
            Msg::new("暗証番号が違います。{}秒後にもう一度入力できます。").arg(wait.as_secs())
        });
    }

    /// Clerk powers end after a while without clerk activity (self-service only).
    pub(crate) fn clerk_tick(&mut self, now: Instant) {
        let c = &mut self.clerk;
        if c.unlocked && !c.always && now.saturating_duration_since(c.last_activity) >= self.settings.clerk_relock {
            c.unlocked = false;
            c.panel_open = false;
            self.ports.clerk.journal(ClerkEvent::Relocked);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn delays_grow_and_end_in_a_lockout() {
        let d: Vec<u64> = (0..=7).map(|n| delay_after(n).as_secs()).collect();
        assert_eq!(d, [0, 0, 0, 30, 60, 120, 1800, 1800]);
    }
}
