//! Property tests: the template parser and the filler never panic on arbitrary input.

use crate::support::forms_support;

use std::path::Path;

use chrono::NaiveDate;
use forms_support::*;
use madoguchi::forms::{self, parse_template};
use madoguchi::vocab::person::SecretString;
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
        signature_png(),
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

/// A real PNG (valid signature and chunks, random size and pixels), then either left as it
/// is, or with one byte of one chunk changed and that chunk's CRC fixed (so the decoder gets
/// past the checksum into IHDR/IDAT/IEND handling), or cut short. Random bytes alone almost
/// never start with the PNG signature and so never reach the decoder's chunk parsing.
fn signature_png() -> impl Strategy<Value = Vec<u8>> {
    (1u32..40, 1u32..40, any::<u64>(), 0u8..3, any::<prop::sample::Index>(), any::<prop::sample::Index>(), 1u8..=255)
        .prop_map(|(w, h, seed, kind, chunk, at, flip)| {
            let mut png = encode_png(w, h, seed);
            match kind {
                0 => {}
                1 => {
                    let chunks = png_chunks(&png);
                    let (start, len) = chunks[chunk.index(chunks.len())];
                    // type + data of that chunk, then its CRC recomputed.
                    let i = start + 4 + at.index(4 + len);
                    png[i] ^= flip;
                    let crc = crc32(&png[start + 4..start + 8 + len]);
                    png[start + 8 + len..start + 12 + len].copy_from_slice(&crc.to_be_bytes());
                }
                _ => png.truncate(8 + at.index(png.len() - 8)),
            }
            png
        })
}

fn encode_png(w: u32, h: u32, seed: u64) -> Vec<u8> {
    let mut out = Vec::new();
    let mut enc = png::Encoder::new(&mut out, w, h);
    enc.set_color(png::ColorType::GrayscaleAlpha);
    enc.set_depth(png::BitDepth::Eight);
    let mut x = seed | 1;
    let pixels: Vec<u8> = (0..w * h * 2)
        .map(|_| {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            x as u8
        })
        .collect();
    let mut wr = enc.write_header().expect("png header");
    wr.write_image_data(&pixels).expect("png data");
    wr.finish().expect("png end");
    out
}

/// (offset of the length field, data length) of every chunk after the 8-byte signature.
fn png_chunks(png: &[u8]) -> Vec<(usize, usize)> {
    let mut out = Vec::new();
    let mut at = 8;
    while at + 12 <= png.len() {
        let len = u32::from_be_bytes([png[at], png[at + 1], png[at + 2], png[at + 3]]) as usize;
        out.push((at, len));
        at += 12 + len;
    }
    out
}

fn crc32(bytes: &[u8]) -> u32 {
    let mut c = 0xffff_ffffu32;
    for &b in bytes {
        c ^= b as u32;
        for _ in 0..8 {
            c = if c & 1 != 0 { 0xedb8_8320 ^ (c >> 1) } else { c >> 1 };
        }
    }
    !c
}

#[test]
fn signature_fuzzing_reaches_the_png_decoder() {
    // What the generator makes: decodable PNGs and PNGs with a valid signature and a broken
    // chunk, not only random bytes (which the decoder refuses at the first eight bytes).
    use proptest::strategy::ValueTree as _;
    let mut runner = proptest::test_runner::TestRunner::deterministic();
    let (mut valid, mut broken) = (0, 0);
    for _ in 0..300 {
        let png = signature_png().new_tree(&mut runner).expect("value").current();
        assert!(png.starts_with(b"\x89PNG\r\n\x1a\n"), "every one has the PNG signature");
        // A corrupted IHDR may claim gigapixels: such a one counts as broken, never allocated.
        let decoded = png::Decoder::new(std::io::Cursor::new(&png)).read_info().ok().and_then(|mut r| {
            let size = r.output_buffer_size().filter(|n| *n <= 1 << 20)?;
            let mut buf = vec![0; size];
            r.next_frame(&mut buf).ok()
        });
        if decoded.is_some() { valid += 1 } else { broken += 1 }
    }
    assert!(valid > 50 && broken > 50, "valid {valid}, broken {broken}");
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
        let attrs = p.attributes();
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
