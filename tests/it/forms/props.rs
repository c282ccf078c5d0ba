//! Property tests: the template parser and the filler never panic on arbitrary input.

use crate::support::forms_support;

use std::path::Path;

use chrono::NaiveDate;
use forms_support::*;
use madoguchi::card::SecretString;
use madoguchi::forms::{self, parse_template};
use madoguchi::vocab::{AnswerValue, Answers};
use proptest::prelude::*;

const SHIPPED: &str = include_str!("../../../assets/templates/juminhyo.toml");

fn answer() -> impl Strategy<Value = AnswerValue> {
    prop_oneof![
        any::<String>().prop_map(|s| AnswerValue::Text(SecretString::new(s))),
        "[ぁ-んァ-ン一-龯0-9０-９ -]{0,200}".prop_map(|s| AnswerValue::Text(SecretString::new(s))),
        any::<bool>().prop_map(AnswerValue::YesNo),
        any::<u32>().prop_map(AnswerValue::Count),
        (-3000i32..3000, 1u32..13, 1u32..29)
            .prop_map(|(y, m, d)| AnswerValue::Date(NaiveDate::from_ymd_opt(y, m, d).unwrap_or_default())),
        "[a-z_]{0,12}".prop_map(AnswerValue::Choice),
    ]
}

/// Signatures as the filler may meet them: any bytes, and bytes behind a real PNG header
/// (so the image decoder, not only the header check, meets broken data).
fn signature() -> impl Strategy<Value = Vec<u8>> {
    prop_oneof![
        prop::collection::vec(any::<u8>(), 0..64),
        prop::collection::vec(any::<u8>(), 0..256).prop_map(|b| [b"\x89PNG\r\n\x1a\n".as_slice(), &b].concat()),
        (0usize..200, any::<u8>()).prop_map(|(cut, x)| {
            let mut png = forms::sample::sample_signature().to_vec();
            let at = cut.min(png.len().saturating_sub(1));
            png.truncate(at.max(9));
            png.push(x);
            png
        }),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 64, ..ProptestConfig::default() })]

    #[test]
    fn parser_never_panics_on_garbage(s in any::<String>()) {
        let _ = parse_template(&s, Path::new("x.toml"));
    }

    #[test]
    fn parser_never_panics_on_mutated_templates(cut in 0usize..SHIPPED.len(), junk in "[\\[\\]{}=\"0-9a-z\\n,.-]{0,12}") {
        let mut s = SHIPPED.to_string();
        let mut at = cut;
        while !s.is_char_boundary(at) { at -= 1; }
        s.insert_str(at, &junk);
        let _ = parse_template(&s, Path::new("x.toml"));
    }

    #[test]
    fn filler_and_renderer_never_panic(picks in prop::collection::vec((0usize..64, answer()), 0..24), persona in 0usize..4) {
        let cat = catalog();
        let ids: Vec<String> = cat.templates.iter().flat_map(|t| t.fields.iter().map(|f| f.id.clone())).collect();
        let extra: Answers = picks.into_iter().map(|(i, a)| (ids[i % ids.len()].clone(), a)).collect();
        let p = ["typical", "long-address", "rare-kanji", "foreign-resident"][persona];
        for t in &cat.templates {
            if let Ok(f) = fill_for(t, p, extra.clone()) {
                let _ = forms::render_pdf(&[f], &FONTS);
            }
        }
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 48, ..ProptestConfig::default() })]

    #[test]
    fn a_broken_signature_image_never_panics_the_renderer(sig in signature()) {
        let cat = catalog();
        let t = cat.template("juminhyo").unwrap();
        let p = madoguchi::card::sim::persona::builtin_by_id("typical").unwrap();
        let answers = forms::sample::sample_answers(&[t]);
        let attrs = forms::sample::attributes_of(&p);
        let stamp = forms::sample::sample_stamp();
        let input = forms::FillInput {
            card: forms::CardView::of(&attrs, None),
            answers: &answers,
            signature: Some(&sig),
            stamp: &stamp,
        };
        if let Ok(f) = forms::fill(t, &input) {
            let _ = forms::render_pdf(&[f], &FONTS);
        }
    }
}

static FONTS: std::sync::LazyLock<forms::Fonts> = std::sync::LazyLock::new(fonts);
