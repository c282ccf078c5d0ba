//! Sample data for previews, benchmarks and tests: plausible answers for every question, a
//! drawn signature, and answers read from a TOML file (`forms preview --answers`).

use chrono::{FixedOffset, NaiveDate, Offset, TimeZone, Utc};
use zeroize::Zeroizing;

use super::fill::Stamp;
use super::model::{FieldKind, Source, Template};
use crate::vocab::person::SecretString;
use crate::vocab::{AnswerValue, Answers};

/// Japan Standard Time, +09:00 (no daylight saving).
pub fn jst() -> FixedOffset {
    FixedOffset::east_opt(9 * 3600).unwrap_or_else(|| Utc.fix())
}

/// A fixed stamp: 2025-05-01 10:30 JST, receipt R-20250501-0001, 見本市.
pub fn sample_stamp() -> Stamp {
    let local = NaiveDate::from_ymd_opt(2025, 5, 1).and_then(|d| d.and_hms_opt(10, 30, 0)).unwrap_or_default();
    let created =
        jst().from_local_datetime(&local).single().unwrap_or_else(|| Utc.from_utc_datetime(&local).fixed_offset());
    Stamp { created, receipt_id: "R-20250501-0001".into(), municipality: "見本市".into() }
}

/// Answers for every question of the templates: the first choice, a short sample text, a
/// count of 1, 2019-05-01 for dates (the signature is [`sample_signature`]).
pub fn sample_answers(templates: &[&Template]) -> Answers {
    let mut a = Answers::default();
    for t in templates {
        for f in t.fields.iter().filter(|f| f.source == Source::Answer) {
            let v = match f.kind {
                FieldKind::Text => AnswerValue::Text(SecretString::new(sample_text(&f.id))),
                FieldKind::Kana => AnswerValue::Text(SecretString::new("ミホン タロウ")),
                FieldKind::Phone => AnswerValue::Text(SecretString::new("03-1234-5678")),
                FieldKind::Choice => match f.choices.first() {
                    Some(c) => AnswerValue::Choice(c.id.clone()),
                    None => continue,
                },
                FieldKind::Checkbox => AnswerValue::YesNo(true),
                // A count that opens table rows shows a few of them; other counts are 1.
                FieldKind::Count if drives_rows(t, &f.id) => AnswerValue::Count(f.max.unwrap_or(1).min(3)),
                FieldKind::Count => AnswerValue::Count(f.min.unwrap_or(1).max(1)),
                FieldKind::Date => AnswerValue::Date(NaiveDate::from_ymd_opt(2019, 5, 1).unwrap_or_default()),
                FieldKind::Signature => continue,
            };
            a.set_default(&f.id, v);
        }
    }
    a
}

/// Does some field's `at_least` condition look at count `id` (rows of a group)?
fn drives_rows(t: &Template, id: &str) -> bool {
    t.fields.iter().any(|f| f.when.as_ref().is_some_and(|w| w.field == id && w.at_least.is_some()))
}

/// Row number in a generated id such as `member3_name`.
fn row_of(id: &str) -> Option<usize> {
    let (head, _) = id.split_once('_')?;
    head.trim_start_matches(|c: char| !c.is_ascii_digit()).parse().ok()
}

const SAMPLE_NAMES: [&str; 8] =
    ["見本 太郎", "見本 一郎", "見本 花子", "見本 次郎", "見本 桜", "見本 三郎", "見本 梅子", "見本 四郎"];

fn sample_text(id: &str) -> String {
    if id.ends_with("name")
        && let Some(n) = row_of(id)
    {
        // Distinct names per row, so a test can tell which row a name was printed in.
        return SAMPLE_NAMES[n % SAMPLE_NAMES.len()].into();
    }
    if id.contains("address") || id.contains("honseki") {
        "東京都千代田区霞が関一丁目二番三号".into()
    } else if id.ends_with("_no") {
        "1234567".into()
    } else if id.contains("bank") {
        "見本銀行".into()
    } else if id.contains("branch") {
        "本店".into()
    } else if id.contains("reason") || id.contains("submit") {
        "見本の提出先".into()
    } else {
        "見本 太郎".into()
    }
}

/// A finger-signature-like stroke as an RGBA PNG (transparent background).
pub fn sample_signature() -> Zeroizing<Vec<u8>> {
    let (w, h) = (240u32, 60u32);
    let mut px = vec![0u8; (w * h * 4) as usize];
    for x in 10..230u32 {
        let t = x as f32 / 18.0;
        let y = 30.0 + 14.0 * t.sin() * (1.0 - x as f32 / 300.0);
        for dy in -2i32..=2 {
            let yy = (y as i32 + dy).clamp(0, h as i32 - 1) as u32;
            let i = ((yy * w + x) * 4) as usize;
            px[i..i + 4].copy_from_slice(&[20, 20, 60, 255]);
        }
    }
    let mut out = Vec::new();
    {
        let mut enc = png::Encoder::new(&mut out, w, h);
        enc.set_color(png::ColorType::Rgba);
        enc.set_depth(png::BitDepth::Eight);
        if let Ok(mut wr) = enc.write_header() {
            let _ = wr.write_image_data(&px);
        }
    }
    Zeroizing::new(out)
}

/// What a preview's answers file gives: the answers, and the signature (not an answer).
pub type PreviewAnswers = (Answers, Option<Zeroizing<Vec<u8>>>);

/// Answers from TOML (`field = value`), typed by the templates' field kinds; a signature
/// field names a PNG file, returned apart (the signature is not an answer).
pub fn answers_from_toml(text: &str, templates: &[&Template]) -> Result<PreviewAnswers, String> {
    let table: toml::Table = toml::from_str(text).map_err(|e| e.message().to_string())?;
    let mut out = Answers::default();
    let mut signature = None;
    for (k, v) in table {
        let Some(f) = templates.iter().flat_map(|t| t.fields.iter()).find(|f| f.id == k) else {
            return Err(format!("unknown field {k:?} / 不明な項目です"));
        };
        let bad = || format!("field {k:?}: wrong value type for {:?} / 値の種類が違います", f.kind);
        let a = match (f.kind, v) {
            (FieldKind::Checkbox, toml::Value::Boolean(b)) => AnswerValue::YesNo(b),
            (FieldKind::Count, toml::Value::Integer(n)) => AnswerValue::Count(u32::try_from(n).map_err(|_| bad())?),
            (FieldKind::Date, toml::Value::Datetime(d)) => {
                let d = d.date.ok_or_else(bad)?;
                AnswerValue::Date(
                    NaiveDate::from_ymd_opt(i32::from(d.year), u32::from(d.month), u32::from(d.day)).ok_or_else(bad)?,
                )
            }
            (FieldKind::Date, toml::Value::String(s)) => AnswerValue::Date(s.parse().map_err(|_| bad())?),
            (FieldKind::Choice, toml::Value::String(s)) => AnswerValue::Choice(s),
            (FieldKind::Signature, toml::Value::String(path)) => {
                let png = std::fs::read(&path).map_err(|e| format!("signature {path}: {e}"))?;
                signature = Some(Zeroizing::new(png));
                continue;
            }
            (_, toml::Value::String(s)) => AnswerValue::Text(SecretString::new(s)),
            _ => return Err(bad()),
        };
        out.set(k, a);
    }
    Ok((out, signature))
}
