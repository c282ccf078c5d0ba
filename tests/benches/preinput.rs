//! Decoding a pre-input code as the scanner types it: a typical 住民票の写し code and one at the
//! 2,400-digit limit, against the peer in the same run — serde_json parsing the same body
//! alone — so the digit/CRC layer's share is visible. Also prints each code's length.
//! Run: cargo bench --bench preinput

use std::collections::BTreeMap;
use std::hint::black_box;

use chrono::NaiveDate;
use criterion::{Criterion, criterion_group, criterion_main};
use madoguchi::vocab::person::SecretString;
use madoguchi::vocab::preinput_code::digits_to_bytes;
use madoguchi::vocab::preinput_code::{MAX_DIGITS, PreInput, RawValue, decode, encode};

fn code(answers: BTreeMap<String, RawValue>) -> PreInput {
    PreInput {
        expires: NaiveDate::from_ymd_opt(2026, 12, 31).unwrap_or_default(),
        language: Some("ja".into()),
        procedures: vec!["juminhyo".into()],
        templates: [("juminhyo".to_string(), 1)].into(),
        answers,
    }
}

fn typical() -> PreInput {
    let t = |s: &str| RawValue::Text(SecretString::new(s));
    code(
        [
            ("requester", t("self")),
            ("applicant_kana", t("ヤマダ タロウ")),
            ("phone", t("0312345678")),
            ("juminhyo_certificate", t("all")),
            ("juminhyo_copies", RawValue::Number(2)),
            ("purpose", t("employment")),
            ("id_document", t("mynumber_card")),
        ]
        .into_iter()
        .map(|(k, v)| (k.to_string(), v))
        .collect(),
    )
}

/// Text answers added until the code is just under the limit.
fn largest() -> PreInput {
    let mut p = typical();
    for i in 0.. {
        let mut next = p.clone();
        next.answers.insert(format!("note_{i}"), RawValue::Text(SecretString::new("ミホン テキスト")));
        if encode(&next).len() > MAX_DIGITS {
            break;
        }
        p = next;
    }
    p
}

fn bench(c: &mut Criterion) {
    let mut g = c.benchmark_group("preinput");
    for (name, p) in [("typical", typical()), ("largest", largest())] {
        let digits = encode(&p);
        let Some(bytes) = digits_to_bytes(digits.as_bytes()) else { return };
        let body = bytes[3..bytes.len() - 4].to_vec();
        println!("code {name:<8} {:>5} digits, {:>4} bytes (body {} bytes)", digits.len(), bytes.len(), body.len());
        g.bench_function(format!("decode {name}"), |b| b.iter(|| decode(black_box(&digits)).is_ok()));
        g.bench_function(format!("serde_json body only {name}"), |b| {
            b.iter(|| serde_json::from_slice::<serde_json::Value>(black_box(&body)).is_ok())
        });
    }
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
