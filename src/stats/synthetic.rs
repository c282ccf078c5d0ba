//! Synthetic visits for tests, the benchmark and trying out the report: realistic mixes
//! (procedures, languages, clerk help, PIN trouble, where residents give up) and durations
//! (log-normal per step), busier mornings and Mondays, closed at weekends. Deterministic for
//! a seed. No personal data: a generated visit is made of the same codes as a real one.

use chrono::{Datelike, Days, NaiveDate, NaiveTime, Weekday};
use rand_chacha::ChaCha8Rng;
use rand_core::{RngCore, SeedableRng};

use crate::vocab::visit::{Code, End, ErrorKind, PinOutcome, Step, Visit};

/// What to generate.
#[derive(Debug, Clone, PartialEq)]
pub struct Plan {
    pub seed: u64,
    pub kiosks: u32,
    pub first_day: NaiveDate,
    pub days: u32,
    /// Mean visits per kiosk per open day.
    pub per_day: f64,
}

impl Plan {
    /// A year of 50 kiosks, ≈ 2 million visits (the benchmark's size).
    pub fn year_of_50_kiosks() -> Plan {
        Plan {
            seed: 15,
            kiosks: 50,
            first_day: NaiveDate::from_ymd_opt(2026, 4, 1).unwrap_or_default(),
            days: 365,
            per_day: 160.0,
        }
    }
}

const PROCEDURES: &[(&str, f64, f64)] = &[
    // id, share, median minutes of the review step
    ("juminhyo", 0.40, 1.5),
    ("inkan-shomei", 0.20, 1.2),
    ("koseki", 0.10, 2.0),
    ("shotoku-kazei", 0.10, 1.5),
    ("tennyu", 0.04, 4.0),
    ("tenkyo", 0.02, 3.5),
    ("tenshutsu", 0.02, 3.0),
    ("jidou-teate", 0.05, 5.0),
    ("inkan-toroku", 0.04, 3.0),
    ("card-pin-reset", 0.02, 2.0),
    ("card-cert-renewal", 0.01, 2.5),
];

struct Rng(ChaCha8Rng);

impl Rng {
    fn unit(&mut self) -> f64 {
        (self.0.next_u64() >> 11) as f64 / (1u64 << 53) as f64
    }
    fn chance(&mut self, p: f64) -> bool {
        self.unit() < p
    }
    fn normal(&mut self) -> f64 {
        let u1 = self.unit().max(1e-12);
        let u2 = self.unit();
        (-2.0 * u1.ln()).sqrt() * (std::f64::consts::TAU * u2).cos()
    }
    /// Log-normal milliseconds with this median (seconds) and spread.
    fn dur(&mut self, median_s: f64, sigma: f64) -> u32 {
        let ms = median_s * 1000.0 * (sigma * self.normal()).exp();
        ms.clamp(300.0, 3_600_000.0) as u32
    }
    fn pick<'a, T>(&mut self, items: &'a [(T, f64)]) -> &'a T {
        let mut u = self.unit() * items.iter().map(|i| i.1).sum::<f64>();
        for (t, w) in items {
            if u < *w {
                return t;
            }
            u -= w;
        }
        &items[items.len() - 1].0
    }
    fn poisson_ish(&mut self, mean: f64) -> u32 {
        (mean + mean.sqrt() * self.normal()).round().max(0.0) as u32
    }
}

fn code(s: &str) -> Code {
    Code::new(s).unwrap_or_else(Code::unknown)
}

/// Generated visits, day by day, kiosk by kiosk, in start order within a kiosk's day.
pub struct Visits {
    plan: Plan,
    rng: Rng,
    day: u32,
    kiosk: u32,
    queue: Vec<Visit>,
    kiosk_codes: Vec<Code>,
}

pub fn visits(plan: Plan) -> Visits {
    let kiosk_codes = (1..=plan.kiosks).map(|k| code(&format!("K{k:02}"))).collect();
    Visits { rng: Rng(ChaCha8Rng::seed_from_u64(plan.seed)), plan, day: 0, kiosk: 0, queue: Vec::new(), kiosk_codes }
}

impl Iterator for Visits {
    type Item = Visit;
    fn next(&mut self) -> Option<Visit> {
        loop {
            if let Some(v) = self.queue.pop() {
                return Some(v);
            }
            if self.day >= self.plan.days {
                return None;
            }
            let date = self.plan.first_day.checked_add_days(Days::new(u64::from(self.day)))?;
            let k = self.kiosk;
            self.kiosk += 1;
            if self.kiosk >= self.plan.kiosks {
                self.kiosk = 0;
                self.day += 1;
            }
            let factor = match date.weekday() {
                Weekday::Sat | Weekday::Sun => 0.0,
                Weekday::Mon => 1.3,
                Weekday::Fri => 1.1,
                _ => 0.9,
            };
            if factor == 0.0 {
                continue;
            }
            let n = self.rng.poisson_ish(self.plan.per_day * factor);
            let kiosk = self.kiosk_codes[k as usize].clone();
            let mut day: Vec<Visit> = (0..n).map(|_| one(&mut self.rng, kiosk.clone(), date)).collect();
            // Popped from the back: latest first in the vector.
            day.sort_by_key(|v| std::cmp::Reverse(v.started));
            self.queue = day;
        }
    }
}

fn one(rng: &mut Rng, kiosk: Code, date: NaiveDate) -> Visit {
    // Opening hours 8:30–17:15, with the morning and early-afternoon peaks.
    let hour_weights: [(u32, f64); 9] =
        [(8, 0.5), (9, 1.6), (10, 1.5), (11, 1.1), (12, 0.6), (13, 1.3), (14, 1.1), (15, 0.9), (16, 0.6)];
    let hour = *rng.pick(&hour_weights);
    let minute = if hour == 8 { 30 + (rng.unit() * 30.0) as u32 } else { (rng.unit() * 60.0) as u32 };
    let started = date.and_time(NaiveTime::from_hms_opt(hour, minute.min(59), 0).unwrap_or_default());
    let language = *rng.pick(&[("ja", 0.86), ("en", 0.09), ("ja-easy", 0.05)]);
    let assisted = rng.chance(0.22);
    let mut v = Visit {
        kiosk,
        started,
        language: code(language),
        assisted,
        procedures: Vec::new(),
        preinput: rng.chance(0.12),
        taps: 0,
        pin: PinOutcome::NotRead,
        card_read_ms: None,
        step_ms: [0; Step::COUNT],
        furthest: Step::Procedure,
        last_step: Step::Procedure,
        errors: [0; ErrorKind::COUNT],
        end: End::Cancelled,
        delivery_ms: None,
    };
    let slow = if language == "ja" { 1.0 } else { 1.3 };
    let set = |v: &mut Visit, s: Step, ms: u32| {
        v.step_ms[s.index()] = ms;
        if s.rank().unwrap_or(0) >= v.furthest.rank().unwrap_or(0) {
            v.furthest = s;
        }
        v.last_step = s;
    };
    let gave_up = |v: &mut Visit, rng: &mut Rng| {
        v.end = if rng.chance(0.6) { End::IdleTimeout } else { End::Cancelled };
    };
    // A card status check now and then.
    if rng.chance(0.04) {
        v.furthest = Step::CardCheck;
        set(&mut v, Step::CardCheck, rng.dur(40.0, 0.4));
        v.taps = 3 + rng.poisson_ish(2.0);
        v.end = if rng.chance(0.3) { End::Printed } else { End::Cancelled };
        return v;
    }
    let procs: Vec<(&str, f64)> = PROCEDURES.iter().map(|p| (p.0, p.1)).collect();
    let first = *rng.pick(&procs);
    v.procedures.push(code(first));
    if rng.chance(0.08) {
        let second = *rng.pick(&procs);
        if second != first {
            v.procedures.push(code(second));
        }
    }
    if !v.preinput && rng.chance(0.1) {
        set(&mut v, Step::Guide, rng.dur(60.0 * slow, 0.4));
    }
    set(&mut v, Step::Procedure, rng.dur(25.0 * slow, 0.5));
    v.taps = 2;
    if rng.chance(0.04) {
        gave_up(&mut v, rng);
        return v;
    }
    set(&mut v, Step::Card, rng.dur(12.0, 0.6));
    if rng.chance(0.01) {
        v.errors[ErrorKind::Reader.index()] += 1;
    }
    if rng.chance(0.02) {
        v.errors[ErrorKind::CardUnreadable.index()] += 1;
    }
    if rng.chance(0.03) {
        gave_up(&mut v, rng);
        return v;
    }
    let pin = *rng.pick(&[
        (PinOutcome::FirstTry, 0.84),
        (PinOutcome::AfterWrong, 0.10),
        (PinOutcome::ClerkOverride, 0.03),
        (PinOutcome::Locked, 0.02),
        (PinOutcome::NotRead, 0.01),
    ]);
    let wrong = match pin {
        PinOutcome::AfterWrong => 1 + u16::from(rng.chance(0.25)),
        PinOutcome::ClerkOverride | PinOutcome::Locked => 2,
        _ => 0,
    };
    v.errors[ErrorKind::WrongPin.index()] += wrong;
    set(&mut v, Step::Pin, rng.dur(10.0 + 8.0 * f64::from(wrong), 0.4));
    v.pin = pin;
    v.taps += 5 + 5 * u32::from(wrong);
    if matches!(pin, PinOutcome::Locked | PinOutcome::NotRead) {
        gave_up(&mut v, rng);
        return v;
    }
    if pin == PinOutcome::ClerkOverride {
        v.assisted = true;
    }
    v.card_read_ms = Some(rng.dur(1.8, 0.25));
    let review_min: f64 =
        v.procedures.iter().filter_map(|p| PROCEDURES.iter().find(|x| x.0 == p.as_str())).map(|x| x.2).sum();
    let review_min = if v.preinput { review_min * 0.4 } else { review_min };
    set(&mut v, Step::Review, rng.dur(review_min * 60.0 * slow, 0.5));
    v.taps += 8 + rng.poisson_ish(6.0 * review_min);
    if rng.chance(0.15) {
        v.errors[ErrorKind::AnswerProblem.index()] += 1;
    }
    if rng.chance(0.01) {
        v.errors[ErrorKind::CardRemoved.index()] += 1;
        let again = v.step_ms[Step::Card.index()] + rng.dur(20.0, 0.5);
        set(&mut v, Step::Card, again);
        v.end = if rng.chance(0.7) { End::CardPulled } else { End::Cancelled };
        return v;
    }
    if rng.chance(0.05) {
        gave_up(&mut v, rng);
        return v;
    }
    set(&mut v, Step::Signature, rng.dur(20.0, 0.4));
    v.taps += 4;
    if rng.chance(0.02) {
        gave_up(&mut v, rng);
        return v;
    }
    set(&mut v, Step::Confirm, rng.dur(30.0 * slow, 0.5));
    v.taps += 2;
    if rng.chance(0.003) {
        v.errors[ErrorKind::FormFailed.index()] += 1;
        v.end = End::Cancelled;
        return v;
    }
    if rng.chance(0.01) {
        gave_up(&mut v, rng);
        return v;
    }
    let end = *rng.pick(&[(End::Printed, 0.55), (End::Sent, 0.15), (End::Both, 0.30)]);
    let delivery = rng.dur(if end == End::Sent { 1.0 } else { 18.0 }, 0.3);
    set(&mut v, Step::Output, delivery);
    if end != End::Sent && rng.chance(0.01) {
        v.errors[ErrorKind::PrintFailed.index()] += 1;
    }
    if end != End::Printed && rng.chance(0.002) {
        v.errors[ErrorKind::SendFailed.index()] += 1;
    }
    v.delivery_ms = Some(delivery);
    set(&mut v, Step::Done, rng.dur(8.0, 0.5));
    v.taps += 2;
    v.end = end;
    v
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn deterministic_and_weekdays_only() {
        let plan = Plan {
            seed: 1,
            kiosks: 2,
            first_day: NaiveDate::from_ymd_opt(2026, 11, 16).unwrap(),
            days: 7,
            per_day: 20.0,
        };
        let a: Vec<Visit> = visits(plan.clone()).collect();
        let b: Vec<Visit> = visits(plan).collect();
        assert_eq!(a, b);
        assert!(a.len() > 100, "{}", a.len());
        assert!(a.iter().all(|v| !matches!(v.started.weekday(), Weekday::Sat | Weekday::Sun)));
        assert!(a.iter().any(|v| v.end.delivered()) && a.iter().any(|v| !v.end.delivered()));
    }
}
