//! The report's figures, computed from visits (sans-IO: rows in, numbers out). Percentiles
//! are nearest-rank over the exact durations: the p-th percentile of n sorted values is the
//! value at rank ⌈p·n⌉.

use std::collections::BTreeMap;

use chrono::{Datelike, NaiveDate, Timelike};

use crate::vocab::visit::{Code, End, ErrorKind, PinOutcome, Step, Visit};

/// Which visits: start dates from `from` to `to`, both inclusive.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Filter {
    pub from: Option<NaiveDate>,
    pub to: Option<NaiveDate>,
}

impl Filter {
    pub fn contains(&self, v: &Visit) -> bool {
        let d = v.started.date();
        self.from.is_none_or(|f| d >= f) && self.to.is_none_or(|t| d <= t)
    }

    /// A `WHERE` clause over the `started` text column and its arguments.
    pub(crate) fn sql(&self) -> (String, Vec<String>) {
        let mut cond = Vec::new();
        let mut args = Vec::new();
        if let Some(f) = self.from {
            cond.push("started >= ?");
            args.push(f.format("%Y-%m-%d").to_string());
        }
        if let Some(t) = self.to {
            cond.push("started < ?");
            args.push(t.succ_opt().unwrap_or(t).format("%Y-%m-%d").to_string());
        }
        if cond.is_empty() { (String::new(), args) } else { (format!("WHERE {}", cond.join(" AND ")), args) }
    }
}

/// The paper baseline for "staff time saved": how many minutes of clerk time one paper form
/// takes (checking a handwritten form, keying it in), by procedure id, else the default.
#[derive(Debug, Clone, PartialEq)]
pub struct PaperBaseline {
    pub minutes_per_form: f64,
    pub per_procedure: BTreeMap<String, f64>,
}

impl Default for PaperBaseline {
    fn default() -> Self {
        PaperBaseline { minutes_per_form: 10.0, per_procedure: BTreeMap::new() }
    }
}

impl PaperBaseline {
    pub fn minutes(&self, procedure: &str) -> f64 {
        self.per_procedure.get(procedure).copied().unwrap_or(self.minutes_per_form)
    }
}

/// Count, median and 90th percentile of a set of durations.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Dist {
    pub n: usize,
    pub median_ms: u32,
    pub p90_ms: u32,
}

/// Nearest-rank percentile of sorted values (`p` in 0..=100).
pub fn percentile(sorted: &[u32], p: u32) -> u32 {
    if sorted.is_empty() {
        return 0;
    }
    let rank = (sorted.len() * p as usize).div_ceil(100).max(1);
    sorted[rank.min(sorted.len()) - 1]
}

impl Dist {
    pub fn of(mut values: Vec<u32>) -> Dist {
        values.sort_unstable();
        Dist { n: values.len(), median_ms: percentile(&values, 50), p90_ms: percentile(&values, 90) }
    }
}

/// Accumulates visits; [`Figures::finish`] turns them into the report's numbers.
#[derive(Debug, Default)]
pub struct Acc {
    visits: u64,
    delivered: u64,
    assisted: u64,
    preinput: u64,
    first: Option<chrono::NaiveDateTime>,
    last: Option<chrono::NaiveDateTime>,
    by_kiosk: BTreeMap<Code, u64>,
    languages: BTreeMap<Code, u64>,
    weekday_hour: [[u64; 24]; 7],
    per_procedure: BTreeMap<Code, Vec<u32>>,
    per_step: Vec<Vec<u32>>,
    reached: [u64; 8],
    gave_up: [u64; Step::COUNT],
    pin: [u64; PinOutcome::COUNT],
    errors: [u64; ErrorKind::COUNT],
    visits_with_error: [u64; ErrorKind::COUNT],
    ends: [u64; End::COUNT],
    card_read: Vec<u32>,
    delivery: Vec<u32>,
    taps: Vec<u32>,
    paper_minutes: f64,
    clerk_minutes: f64,
    forms: u64,
}

impl Acc {
    pub fn new() -> Acc {
        Acc { per_step: vec![Vec::new(); Step::COUNT], ..Acc::default() }
    }

    pub fn add(&mut self, v: &Visit, baseline: &PaperBaseline) {
        self.visits += 1;
        self.first = Some(self.first.map_or(v.started, |f| f.min(v.started)));
        self.last = Some(self.last.map_or(v.started, |l| l.max(v.started)));
        *self.by_kiosk.entry(v.kiosk.clone()).or_default() += 1;
        *self.languages.entry(v.language.clone()).or_default() += 1;
        let wd = v.started.weekday().num_days_from_monday() as usize;
        self.weekday_hour[wd][v.started.hour() as usize] += 1;
        self.assisted += u64::from(v.assisted);
        self.preinput += u64::from(v.preinput);
        for (i, &ms) in v.step_ms.iter().enumerate() {
            if ms > 0 {
                self.per_step[i].push(ms);
            }
        }
        if let Some(r) = v.furthest.rank() {
            for slot in &mut self.reached[..=r] {
                *slot += 1;
            }
        }
        self.pin[v.pin.index()] += 1;
        for (i, &n) in v.errors.iter().enumerate() {
            self.errors[i] += u64::from(n);
            self.visits_with_error[i] += u64::from(n > 0);
        }
        self.ends[v.end.index()] += 1;
        if let Some(ms) = v.card_read_ms {
            self.card_read.push(ms);
        }
        self.taps.push(v.taps);
        if v.end.delivered() {
            self.delivered += 1;
            let total = u32::try_from(v.total_ms()).unwrap_or(u32::MAX);
            for p in &v.procedures {
                self.per_procedure.entry(p.clone()).or_default().push(total);
                self.paper_minutes += baseline.minutes(p.as_str());
                self.forms += 1;
            }
            if let Some(ms) = v.delivery_ms {
                self.delivery.push(ms);
            }
            if v.assisted {
                self.clerk_minutes += v.total_ms() as f64 / 60_000.0;
            }
        } else {
            self.gave_up[v.last_step.index()] += 1;
        }
    }

    pub fn finish(self) -> Figures {
        Figures {
            visits: self.visits,
            delivered: self.delivered,
            assisted: self.assisted,
            preinput: self.preinput,
            first: self.first,
            last: self.last,
            by_kiosk: self.by_kiosk.into_iter().collect(),
            languages: self.languages.into_iter().collect(),
            weekday_hour: self.weekday_hour,
            per_procedure: self.per_procedure.into_iter().map(|(k, v)| (k, Dist::of(v))).collect(),
            per_step: Step::ALL.iter().zip(self.per_step).map(|(s, v)| (*s, Dist::of(v))).collect(),
            funnel: Step::FUNNEL.iter().zip(self.reached).map(|(s, n)| (*s, n)).collect(),
            gave_up: self.gave_up,
            pin: self.pin,
            errors: self.errors,
            visits_with_error: self.visits_with_error,
            ends: self.ends,
            card_read: Dist::of(self.card_read),
            delivery: Dist::of(self.delivery),
            taps: Dist::of(self.taps),
            forms: self.forms,
            paper_minutes: self.paper_minutes,
            clerk_minutes: self.clerk_minutes,
        }
    }
}

/// Everything the report shows.
#[derive(Debug, Clone, PartialEq)]
pub struct Figures {
    pub visits: u64,
    pub delivered: u64,
    pub assisted: u64,
    pub preinput: u64,
    pub first: Option<chrono::NaiveDateTime>,
    pub last: Option<chrono::NaiveDateTime>,
    pub by_kiosk: Vec<(Code, u64)>,
    pub languages: Vec<(Code, u64)>,
    /// Visits by weekday (0 = Monday) and hour of the start.
    pub weekday_hour: [[u64; 24]; 7],
    /// Minutes of delivered visits, per procedure they included.
    pub per_procedure: Vec<(Code, Dist)>,
    /// Time on each step, over the visits that were on it.
    pub per_step: Vec<(Step, Dist)>,
    /// Application visits that reached each step of [`Step::FUNNEL`].
    pub funnel: Vec<(Step, u64)>,
    /// Visits not delivered, by the step they ended on.
    pub gave_up: [u64; Step::COUNT],
    pub pin: [u64; PinOutcome::COUNT],
    pub errors: [u64; ErrorKind::COUNT],
    pub visits_with_error: [u64; ErrorKind::COUNT],
    pub ends: [u64; End::COUNT],
    pub card_read: Dist,
    pub delivery: Dist,
    pub taps: Dist,
    /// Forms (procedures) delivered.
    pub forms: u64,
    /// Clerk minutes the delivered forms would have taken on paper.
    pub paper_minutes: f64,
    /// Clerk minutes spent at the kiosk (assisted visits, whole visit).
    pub clerk_minutes: f64,
}

impl Figures {
    pub fn of<'a>(visits: impl IntoIterator<Item = &'a Visit>, baseline: &PaperBaseline) -> Figures {
        let mut acc = Acc::new();
        for v in visits {
            acc.add(v, baseline);
        }
        acc.finish()
    }

    pub fn saved_minutes(&self) -> f64 {
        self.paper_minutes - self.clerk_minutes
    }
}

/// Milliseconds as minutes with one decimal, the way the report prints them.
pub fn minutes(ms: u32) -> String {
    format!("{:.1}", f64::from(ms) / 60_000.0)
}

/// Milliseconds as seconds with one decimal.
pub fn seconds(ms: u32) -> String {
    format!("{:.1}", f64::from(ms) / 1000.0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nearest_rank_percentiles() {
        let v: Vec<u32> = (1..=10).collect();
        assert_eq!(percentile(&v, 50), 5);
        assert_eq!(percentile(&v, 90), 9);
        assert_eq!(percentile(&[7], 90), 7);
        assert_eq!(percentile(&[], 50), 0);
        let d = Dist::of(vec![30, 10, 20]);
        assert_eq!((d.n, d.median_ms, d.p90_ms), (3, 20, 30));
    }
}
