//! What a placement prints for a value: 和暦/西暦 and date parts, address parts, sex
//! labels/codes, digits width, checkbox marks, QR codes and images.

use super::fill::Value;
use super::jp;
use super::model::{DateStyle, Digits, Field, Part, Placement, Source};

/// The printable result of one placement.
#[derive(Clone, PartialEq)]
pub enum Printed<'a> {
    Text(String),
    Mark,
    Qr(String),
    Image(&'a [u8]),
    Nothing,
}

impl std::fmt::Debug for Printed<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Printed::Text(_) => "Text(<redacted>)",
            Printed::Mark => "Mark",
            Printed::Qr(_) => "Qr(<redacted>)",
            Printed::Image(_) => "Image",
            Printed::Nothing => "Nothing",
        })
    }
}

/// Format `value` of `field` for placement `p`.
pub fn printed<'a>(field: &Field, value: &'a Value<'_>, p: &Placement) -> Printed<'a> {
    if let Some(want) = &p.mark_if {
        let hit = match value {
            Value::Flag(b) => (want == "true") == *b,
            Value::Choice(c) | Value::Text(c) => c.as_ref() == want.as_str(),
            _ => false,
        };
        return if hit { Printed::Mark } else { Printed::Nothing };
    }
    let raw = match value {
        Value::Image(png) => return Printed::Image(png.as_ref()),
        Value::Text(t) if p.qr => return Printed::Qr(t.to_string()),
        Value::Text(t) => match p.part {
            Part::Prefecture => jp::split_address(t).prefecture,
            Part::City => jp::split_address(t).city,
            Part::Town => jp::split_address(t).town,
            _ => t.to_string(),
        },
        Value::Date(d) => date_part(*d, p),
        Value::Sex(s) => match p.part {
            Part::Code => char::from(s.code()).to_string(),
            _ => s.label_ja().to_string(),
        },
        Value::Flag(b) => if *b { "はい" } else { "いいえ" }.to_string(),
        // Paper forms leave a count of nothing blank (e.g. 0 通 of a certificate kind).
        Value::Count(0) if field.source == Source::Answer => return Printed::Nothing,
        Value::Count(n) => n.to_string(),
        Value::Choice(c) => field
            .choices
            .iter()
            .find(|ch| ch.id == c.as_ref())
            .map_or(c.as_ref(), |ch| ch.label.ja.as_str())
            .to_string(),
    };
    if raw.is_empty() {
        return Printed::Nothing;
    }
    let text = match p.digits {
        Digits::Keep => raw,
        Digits::Full => jp::full_width_digits(&raw),
        Digits::Half => jp::half_width_digits(&raw),
    };
    let mut out = p.prefix.clone().unwrap_or_default();
    out.push_str(&text);
    out.push_str(p.suffix.as_deref().unwrap_or(""));
    Printed::Text(out)
}

fn date_part(d: chrono::NaiveDate, p: &Placement) -> String {
    use chrono::Datelike;
    let w = crate::vocab::calendar::to_wareki(d);
    match (p.part, p.date) {
        (Part::Era, _) => w.map(|w| w.era.to_string()).unwrap_or_default(),
        (Part::EraYear, _) => w.map(|w| w.year_text()).unwrap_or_default(),
        (Part::Year, _) => d.year().to_string(),
        (Part::Month, _) => d.month().to_string(),
        (Part::Day, _) => d.day().to_string(),
        (_, DateStyle::Seireki) => crate::vocab::calendar::seireki(d),
        (_, DateStyle::Wareki) => w.map(|w| w.to_string()).unwrap_or_else(|| crate::vocab::calendar::seireki(d)),
    }
}
