//! The Japanese calendar as every layer needs it: 和暦 (one era table for the screen, the
//! paper, the validator and the virtual card) and age in full years. Pure functions.

use chrono::{Datelike, NaiveDate};

/// An era and its first day (Gregorian). 明治 begins on the day of the 改元の詔
/// (1868-10-23); earlier dates are refused rather than guessed.
const ERAS: &[(&str, i32, u32, u32)] = &[
    ("令和", 2019, 5, 1),
    ("平成", 1989, 1, 8),
    ("昭和", 1926, 12, 25),
    ("大正", 1912, 7, 30),
    ("明治", 1868, 10, 23),
];

/// A date in 和暦: era name and year within the era (1 = 元年).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Wareki {
    pub era: &'static str,
    pub year: i32,
    pub month: u32,
    pub day: u32,
}

impl Wareki {
    /// `元` for the first year, else the number.
    pub fn year_text(&self) -> String {
        if self.year == 1 { "元".to_string() } else { self.year.to_string() }
    }
}

impl std::fmt::Display for Wareki {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}{}年{}月{}日", self.era, self.year_text(), self.month, self.day)
    }
}

/// The first day written in 和暦 (明治's first day): earlier dates have none.
pub fn first_wareki_day() -> NaiveDate {
    ERAS.last().and_then(|&(_, y, m, d)| NaiveDate::from_ymd_opt(y, m, d)).unwrap_or(NaiveDate::MIN)
}

/// Convert to 和暦; `None` before 明治.
pub fn to_wareki(d: NaiveDate) -> Option<Wareki> {
    ERAS.iter().find_map(|&(era, y, m, day)| {
        let start = NaiveDate::from_ymd_opt(y, m, day)?;
        (d >= start).then(|| Wareki { era, year: d.year() - y + 1, month: d.month(), day: d.day() })
    })
}

/// 2025年5月1日.
pub fn seireki(d: NaiveDate) -> String {
    format!("{}年{}月{}日", d.year(), d.month(), d.day())
}

/// Age in full years on `on` (a birthday counts from the day itself; 29 Feb birthdays
/// have their birthday on 1 Mar in common years, as in everyday practice).
pub fn age(birth: NaiveDate, on: NaiveDate) -> u32 {
    if on < birth {
        return 0;
    }
    let mut years = on.year() - birth.year();
    if (on.month(), on.day()) < (birth.month(), birth.day()) {
        years -= 1;
    }
    years.max(0) as u32
}
