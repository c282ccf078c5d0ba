//! What the session measures of a visit for the counter statistics: when each step was
//! entered and left (through the session's `Clock`), touches, how the PIN went, problems by
//! kind and how the visit ended. It keeps only codes, counts and instants, and hands a
//! [`Visit`] to the [`VisitLog`](super::ports::VisitLog) port when the visit ends.

use std::time::Instant;

use chrono::NaiveDateTime;

use crate::vocab::visit::{Code, End, ErrorKind, PinOutcome, Step, Visit, to_minute};

use super::machine::{EndReason, Session};
use super::ports::OutputAction;
use super::stage::{ProcedureMode, Stage};

#[derive(Debug, Default)]
pub struct VisitMetrics {
    active: Option<Active>,
}

#[derive(Debug)]
struct Active {
    started: NaiveDateTime,
    step: Step,
    since: Instant,
    furthest: Step,
    step_ms: [u32; Step::COUNT],
    language: Option<Code>,
    assisted: bool,
    procedures: Vec<Code>,
    preinput: bool,
    taps: u32,
    wrong_pin: bool,
    clerk_override: bool,
    locked: bool,
    read: bool,
    card_read_ms: Option<u32>,
    errors: [u16; ErrorKind::COUNT],
    delivery_started: Option<Instant>,
    delivered: Option<(OutputAction, u32)>,
    /// The card status's 手続き案内 was printed.
    sheet_printed: bool,
}

fn ms(d: std::time::Duration) -> u32 {
    u32::try_from(d.as_millis()).unwrap_or(u32::MAX)
}

impl VisitMetrics {
    /// A visit starts (「はじめる」 or カードの状態を確かめる) on `step`.
    pub fn begin(&mut self, step: Step, now: Instant, wall: NaiveDateTime) {
        self.active = Some(Active {
            started: to_minute(wall),
            step,
            since: now,
            furthest: step,
            step_ms: [0; Step::COUNT],
            language: None,
            assisted: false,
            procedures: Vec::new(),
            preinput: false,
            taps: 0,
            wrong_pin: false,
            clerk_override: false,
            locked: false,
            read: false,
            card_read_ms: None,
            errors: [0; ErrorKind::COUNT],
            delivery_started: None,
            delivered: None,
            sheet_printed: false,
        });
    }

    pub fn active(&self) -> bool {
        self.active.is_some()
    }

    /// The visit is now on `step` (called after every event and tick; cheap when unchanged).
    pub fn on_step(&mut self, step: Step, now: Instant) {
        let Some(a) = &mut self.active else { return };
        if a.step == step {
            return;
        }
        a.step_ms[a.step.index()] =
            a.step_ms[a.step.index()].saturating_add(ms(now.saturating_duration_since(a.since)));
        a.step = step;
        a.since = now;
        if step.rank() > a.furthest.rank() {
            a.furthest = step;
        }
    }

    /// What the visit is like now: its language, procedures, and whether a clerk helps.
    pub fn observe(&mut self, language: &str, procedures: Option<&[String]>, clerk: bool) {
        let Some(a) = &mut self.active else { return };
        if a.language.as_ref().is_none_or(|l| l.as_str() != language) {
            a.language = Code::new(language);
        }
        a.assisted |= clerk;
        if let Some(p) = procedures
            && (p.len() != a.procedures.len() || p.iter().zip(&a.procedures).any(|(x, y)| x != y.as_str()))
        {
            a.procedures = p.iter().filter_map(|s| Code::new(s)).collect();
        }
    }

    /// One touch (a UI event).
    pub fn tap(&mut self) {
        if let Some(a) = &mut self.active {
            a.taps = a.taps.saturating_add(1);
        }
    }

    /// The answers came from a pre-input code (the pre-input scan calls this).
    pub fn mark_preinput(&mut self) {
        if let Some(a) = &mut self.active {
            a.preinput = true;
        }
    }

    pub fn error(&mut self, kind: ErrorKind) {
        if let Some(a) = &mut self.active {
            a.errors[kind.index()] = a.errors[kind.index()].saturating_add(1);
        }
    }

    pub fn wrong_pin(&mut self) {
        if let Some(a) = &mut self.active {
            a.wrong_pin = true;
        }
        self.error(ErrorKind::WrongPin);
    }

    /// A clerk allowed the last try or took over with 照合番号B.
    pub fn clerk_override(&mut self) {
        if let Some(a) = &mut self.active {
            a.clerk_override = true;
        }
    }

    pub fn pin_locked(&mut self) {
        if let Some(a) = &mut self.active {
            a.locked = true;
        }
    }

    /// The card was read; `took` is the VERIFY and the read together.
    pub fn card_read(&mut self, took: std::time::Duration) {
        if let Some(a) = &mut self.active {
            a.read = true;
            a.card_read_ms = Some(ms(took));
        }
    }

    /// 申請する was pressed (the first time counts).
    pub fn delivery_started(&mut self, now: Instant) {
        if let Some(a) = &mut self.active {
            a.delivery_started.get_or_insert(now);
        }
    }

    /// The visit's forms were printed / sent.
    pub fn delivered(&mut self, action: OutputAction, now: Instant) {
        if let Some(a) = &mut self.active
            && a.delivered.is_none()
        {
            let took = a.delivery_started.map_or(0, |s| ms(now.saturating_duration_since(s)));
            a.delivered = Some((action, took));
        }
    }

    pub fn sheet_printed(&mut self) {
        if let Some(a) = &mut self.active {
            a.sheet_printed = true;
        }
    }

    /// The visit ended: its record, or `None` when no visit was under way.
    pub fn finish(&mut self, why: EndReason, now: Instant, kiosk: &Code) -> Option<Visit> {
        let mut a = self.active.take()?;
        a.step_ms[a.step.index()] =
            a.step_ms[a.step.index()].saturating_add(ms(now.saturating_duration_since(a.since)));
        let card_removed = a.errors[ErrorKind::CardRemoved.index()] > 0;
        let end = match (a.delivered, why) {
            (Some((OutputAction::Print, _)), _) => End::Printed,
            (Some((OutputAction::Send, _)), _) => End::Sent,
            (Some((OutputAction::PrintAndSend, _)), _) => End::Both,
            (None, _) if a.sheet_printed => End::Printed,
            (None, _) if card_removed && a.step == Step::Card => End::CardPulled,
            (None, EndReason::TimedOut) => End::IdleTimeout,
            (None, _) => End::Cancelled,
        };
        let pin = if a.read {
            if a.clerk_override {
                PinOutcome::ClerkOverride
            } else if a.wrong_pin {
                PinOutcome::AfterWrong
            } else {
                PinOutcome::FirstTry
            }
        } else if a.locked {
            PinOutcome::Locked
        } else {
            PinOutcome::NotRead
        };
        Some(Visit {
            kiosk: kiosk.clone(),
            started: a.started,
            language: a.language.or_else(|| Code::new("ja")).unwrap_or_else(|| kiosk.clone()),
            assisted: a.assisted,
            procedures: a.procedures,
            preinput: a.preinput,
            taps: a.taps,
            pin,
            card_read_ms: a.card_read_ms,
            step_ms: a.step_ms,
            furthest: a.furthest,
            last_step: a.step,
            errors: a.errors,
            end,
            delivery_ms: a.delivered.map(|d| d.1),
        })
    }
}

/// The session's side: which step a stage is, what the visit is like after each event and
/// tick, and the record handed to the statistics port when the visit ends.
impl Session {
    /// Send each finished visit's statistics to `log`, as kiosk `kiosk_id`.
    pub fn set_visit_log(&mut self, kiosk_id: &str, log: Box<dyn super::ports::VisitLog>) {
        if let Some(k) = Code::new(kiosk_id) {
            self.kiosk = k;
        }
        self.visit_log = log;
    }

    /// Today's visits and how they ended (the clerk panel), when statistics are on.
    pub fn visit_summary(&self) -> Option<crate::vocab::visit::DaySummary> {
        self.visit_log.today(self.ports.clock.today())
    }

    /// The statistics' step for the current stage (`None` on the start screen).
    fn stats_step(&self) -> Option<Step> {
        Some(match &self.stage {
            Stage::Start(_) => return None,
            Stage::CardCheck(_) => Step::CardCheck,
            Stage::Choosing(c) if c.mode == ProcedureMode::Guide => Step::Guide,
            Stage::Choosing(_) => Step::Procedure,
            Stage::Card(_) => Step::Card,
            Stage::Pin(_) => Step::Pin,
            Stage::Review(_) => Step::Review,
            Stage::Signing(_) => Step::Signature,
            Stage::Confirm(_) => Step::Confirm,
            Stage::Output(_) => Step::Output,
            Stage::Done(_) => Step::Done,
        })
    }

    /// After every event and tick: the step the visit is on, and what it is like.
    pub(super) fn observe_visit(&mut self) {
        if !self.visit.active() {
            return;
        }
        let now = self.now();
        if let Some(step) = self.stats_step() {
            self.visit.on_step(step, now);
        }
        if let Stage::CardCheck(c) = &self.stage
            && c.printed
        {
            self.visit.sheet_printed();
        }
        let clerk = self.clerk.unlocked();
        self.visit.observe(&self.language, self.stage.plan().map(|p| p.procedures.as_slice()), clerk);
    }

    /// The visit ended (`why`): its record goes to the statistics port.
    pub(super) fn record_visit(&mut self, why: EndReason) {
        self.observe_visit();
        let now = self.now();
        if let Some(v) = self.visit.finish(why, now, &self.kiosk) {
            self.visit_log.record(&v);
        }
    }
}
