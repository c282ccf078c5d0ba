//! Property tests of the pre-input code: the decoder never panics on any input (random text,
//! random digits, and — past the checksum, where random input never gets — bodies with a
//! correct CRC, cut or damaged codes), and encode → decode is the identity.

use std::collections::BTreeMap;

use chrono::NaiveDate;
use madoguchi::vocab::person::SecretString;
use madoguchi::vocab::preinput_code::{self, DecodeError, MAX_DIGITS};
use madoguchi::vocab::preinput_code::{PreInput, RawValue, decode, encode};
use proptest::prelude::*;

fn id() -> impl Strategy<Value = String> {
    "[a-z0-9_-]{1,20}"
}

fn raw_value() -> impl Strategy<Value = RawValue> {
    prop_oneof![
        any::<bool>().prop_map(RawValue::Bool),
        any::<u64>().prop_map(RawValue::Number),
        any::<String>().prop_map(|s| RawValue::Text(SecretString::new(s))),
        "[ぁ-んァ-ン一-龯 ・ー\"\\\\/]{0,30}".prop_map(|s| RawValue::Text(SecretString::new(s))),
    ]
}

fn pre_input() -> impl Strategy<Value = PreInput> {
    (
        (1900i32..2200, 1u32..13, 1u32..29),
        prop::option::of(prop_oneof![Just("ja".to_string()), Just("ja-easy".to_string()), "[a-z]{2}"]),
        prop::collection::vec(id(), 1..=20),
        prop::collection::btree_map(id(), any::<u32>(), 0..6),
        prop::collection::btree_map(id(), raw_value(), 0..12),
    )
        .prop_map(|((y, m, d), language, procedures, templates, answers)| PreInput {
            expires: NaiveDate::from_ymd_opt(y, m, d).unwrap(),
            language,
            procedures,
            templates,
            answers,
        })
}

/// JSON-ish bodies: a real body with a piece cut out or replaced, or any bytes.
fn body() -> impl Strategy<Value = Vec<u8>> {
    let real = pre_input()
        .prop_map(|p| {
            let code = encode(&p);
            let bytes = preinput_code::digits_to_bytes(code.as_bytes()).unwrap();
            bytes[3..bytes.len() - 4].to_vec()
        })
        .boxed();
    prop_oneof![
        prop::collection::vec(any::<u8>(), 0..200),
        real.clone(),
        (real.clone(), any::<prop::sample::Index>(), any::<prop::sample::Index>()).prop_map(|(b, i, j)| {
            let (i, j) = (i.index(b.len() + 1), j.index(b.len() + 1));
            let (a, z) = (i.min(j), i.max(j));
            [&b[..a], &b[z..]].concat()
        }),
        (real, any::<prop::sample::Index>(), prop::sample::select(&b"{}[]\",:0-9.etnul \\"[..])).prop_map(
            |(mut b, i, c)| {
                if !b.is_empty() {
                    let at = i.index(b.len());
                    b[at] = c;
                }
                b
            }
        ),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 512, ..ProptestConfig::default() })]

    #[test]
    fn decode_never_panics_on_any_text(s in any::<String>()) {
        let _ = decode(&s);
    }

    #[test]
    fn decode_never_panics_on_any_digits(s in "[0-9]{0,2500}(\r?\n)?") {
        let r = decode(&s);
        if s.trim_end().len() > MAX_DIGITS {
            prop_assert_eq!(r, Err(DecodeError::TooLarge));
        }
    }

    #[test]
    fn decode_never_panics_past_the_checksum(version in 0u8..4, b in body()) {
        match decode(&preinput_code::seal(version, &b)) {
            Ok(p) => {
                prop_assert_eq!(version, 1);
                // Whatever was taken, encodes back to a code that decodes to the same.
                prop_assert_eq!(decode(&encode(&p)), Ok(p));
            }
            Err(DecodeError::NewerFormat(v)) => prop_assert!(v >= 2),
            Err(e) => prop_assert!(
                matches!(e, DecodeError::BadBody(_) | DecodeError::Corrupted | DecodeError::TooLarge),
                "{:?}", e
            ),
        }
    }

    #[test]
    fn a_cut_or_changed_code_is_never_taken(p in pre_input(), cut in any::<prop::sample::Index>(), at in any::<prop::sample::Index>(), d in 1u8..10) {
        let code = encode(&p);
        let short = &code[..cut.index(code.len())];
        prop_assert!(decode(short).is_err());
        let mut changed = code.clone().into_bytes();
        let i = at.index(changed.len());
        changed[i] = b'0' + (changed[i] - b'0' + d) % 10;
        let changed = String::from_utf8(changed).unwrap();
        // The group's value, the magic or the CRC-32 (which misses 1 change in 2^32) refuses it.
        prop_assert!(decode(&changed).is_err());
    }

    #[test]
    fn encode_then_decode_is_the_identity(p in pre_input()) {
        let code = encode(&p);
        prop_assert!(code.bytes().all(|c| c.is_ascii_digit()));
        if code.len() <= MAX_DIGITS {
            prop_assert_eq!(decode(&code), Ok(p.clone()));
            prop_assert_eq!(decode(&format!("{code}\r")), Ok(p));
        } else {
            prop_assert_eq!(decode(&code), Err(DecodeError::TooLarge));
        }
    }
}

#[test]
fn the_answers_of_a_code_keep_their_kinds() {
    let answers: BTreeMap<String, RawValue> = [
        ("requester".to_string(), RawValue::Text(SecretString::new("self"))),
        ("juminhyo_copies".to_string(), RawValue::Number(2)),
        ("include_honseki".to_string(), RawValue::Bool(false)),
    ]
    .into();
    let p = PreInput {
        expires: NaiveDate::from_ymd_opt(2026, 12, 31).unwrap(),
        language: None,
        procedures: vec!["juminhyo".into()],
        templates: [("juminhyo".to_string(), 1)].into(),
        answers,
    };
    let back = decode(&encode(&p)).unwrap();
    assert_eq!(back.answers.get("juminhyo_copies"), Some(&RawValue::Number(2)));
    assert_eq!(back.answers.get("include_honseki"), Some(&RawValue::Bool(false)));
    assert!(matches!(back.answers.get("requester"), Some(RawValue::Text(t)) if t.expose() == "self"));
}
