//! Every shipped template fills from personas and renders to a valid PDF: values on the right
//! page (pdftotext), structure (qpdf --check), fonts subset-embedded (pdffonts).

use crate::support::forms_support;

use forms_support::*;
use madoguchi::forms::format::{Printed, printed};
use madoguchi::forms::{self, RenderError};
use madoguchi::vocab::Answers;

fn expected_texts(f: &forms::FilledForm) -> Vec<(u32, String, String)> {
    let mut out = Vec::new();
    for field in &f.template.fields {
        let Some(v) = f.values.get(&field.id) else { continue };
        for p in &field.print {
            if let Printed::Text(s) = printed(field, v, p) {
                out.push((p.page, field.id.clone(), s.chars().filter(|c| !c.is_whitespace()).collect()));
            }
        }
    }
    out
}

#[test]
fn every_template_renders_with_values_on_their_page() {
    let fonts = fonts();
    let cat = catalog();
    assert_eq!(cat.templates.len(), 8);
    let dir = tempfile::tempdir().unwrap();
    for persona in ["typical", "long-address", "foreign-resident"] {
        for t in &cat.templates {
            let filled =
                fill_for(t, persona, Answers::default()).unwrap_or_else(|e| panic!("{} / {persona}: {e:?}", t.id));
            let pdf = forms::render_pdf(std::slice::from_ref(&filled), &fonts)
                .unwrap_or_else(|e| panic!("{} / {persona}: {e}", t.id));
            let path = write_tmp(dir.path(), &format!("{}-{persona}.pdf", t.id), &pdf);
            let texts = expected_texts(&filled);
            assert!(texts.len() >= 6, "{}: too few printed values", t.id);
            for (page, id, s) in texts {
                let got = page_text(&path, page);
                assert!(got.contains(&s), "{} / {persona}: value of {id} not found on page {page}", t.id);
            }
            let q = tool("qpdf", &["--check", &path]);
            assert!(q.status.success(), "qpdf --check {}: {}", t.id, String::from_utf8_lossy(&q.stdout));
            let f = tool("pdffonts", &[&path]);
            let listing = String::from_utf8_lossy(&f.stdout).into_owned();
            let rows: Vec<&str> = listing.lines().skip(2).collect();
            assert!(!rows.is_empty(), "{}: no fonts listed", t.id);
            for r in rows {
                let cols: Vec<&str> = r.split_whitespace().collect();
                let n = cols.len();
                assert!(
                    n >= 5 && cols[n - 5] == "yes" && cols[n - 4] == "yes",
                    "{}: font not subset-embedded: {r}",
                    t.id
                );
                assert!(cols[0].contains('+'), "{}: subset tag missing: {r}", t.id);
            }
        }
    }
}

#[test]
fn combined_pdf_has_every_page_and_creation_date_of_the_session() {
    let fonts = fonts();
    let cat = catalog();
    let forms: Vec<_> = cat.templates.iter().map(|t| fill_for(t, "typical", Answers::default()).unwrap()).collect();
    let combined = forms::render_pdf(&forms, &fonts).unwrap();
    let each = forms::render_each(&forms, &fonts).unwrap();
    assert_eq!(each.len(), 8);
    let dir = tempfile::tempdir().unwrap();
    let path = write_tmp(dir.path(), "all.pdf", &combined);
    assert_eq!(page_count(&path), 8);
    for (i, f) in forms.iter().enumerate() {
        assert!(page_text(&path, i as u32 + 1).contains(&f.template.title.ja.replace(' ', "")));
    }
    let info = String::from_utf8_lossy(&tool("pdfinfo", &["-isodates", &path]).stdout).into_owned();
    assert!(info.contains("2025-05-01T10:30:00+09"), "CreationDate not the session's JST time: {info}");
    assert!(tool("qpdf", &["--check", &path]).status.success());
}

#[test]
fn creation_date_carries_the_sessions_utc_offset() {
    use chrono::{FixedOffset, TimeZone};
    let fonts = fonts();
    let cat = catalog();
    let t = cat.template("juminhyo").unwrap();
    let dir = tempfile::tempdir().unwrap();
    // JST, a negative offset with minutes, and UTC: the wall-clock time stays, the offset follows.
    for (secs, want_raw, want_iso) in [
        (9 * 3600, "(D:20250501103000+09'00')", "2025-05-01T10:30:00+09"),
        (-(3 * 3600 + 30 * 60), "(D:20250501103000-03'30')", "2025-05-01T10:30:00-03:30"),
        (0, "(D:20250501103000+00'00')", "2025-05-01T10:30:00Z"),
    ] {
        let off = FixedOffset::east_opt(secs).unwrap();
        let mut filled = fill_for(t, "typical", Answers::default()).unwrap();
        filled.stamp.to_mut().created = off.with_ymd_and_hms(2025, 5, 1, 10, 30, 0).unwrap();
        let pdf = forms::render_pdf(&[filled], &fonts).unwrap();
        let raw = String::from_utf8_lossy(&pdf).into_owned();
        assert_eq!(raw.matches(want_raw).count(), 2, "CreationDate and ModDate with {want_raw}");
        let path = write_tmp(dir.path(), &format!("d{secs}.pdf"), &pdf);
        // The same-length patch keeps the cross-reference table valid.
        let q = tool("qpdf", &["--check", &path]);
        assert!(q.status.success(), "{}", String::from_utf8_lossy(&q.stdout));
        let info = String::from_utf8_lossy(&tool("pdfinfo", &["-isodates", &path]).stdout).into_owned();
        let created = info.lines().find(|l| l.starts_with("CreationDate:")).unwrap_or_default();
        assert!(created.contains(want_iso), "{created} / want {want_iso}");
    }
    assert_eq!(
        forms::pdf_date(&FixedOffset::east_opt(9 * 3600).unwrap().with_ymd_and_hms(2026, 11, 22, 9, 5, 7).unwrap()),
        "D:20261122090507+09'00'"
    );
}

#[test]
fn my_number_printed_only_on_the_child_allowance_form() {
    let cat = catalog();
    let needing: Vec<&str> =
        cat.templates.iter().filter(|t| forms::template_needs_my_number(t)).map(|t| t.id.as_str()).collect();
    assert_eq!(needing, ["jidou-teate"]);
    assert!(cat.needs_my_number(&["jidou-teate"]));
    assert!(!cat.needs_my_number(&["juminhyo", "koseki", "tennyu"]));
    // Without the number read from the card, the form cannot be filled.
    let t = cat.template("jidou-teate").unwrap();
    let p = madoguchi::card::sim::persona::builtin_by_id("typical").unwrap();
    let answers = forms::sample::sample_answers(&[t]);
    let attrs = p.attributes();
    let stamp = forms::sample::sample_stamp();
    let input = forms::FillInput {
        card: forms::CardView::of(&attrs, None),
        answers: &answers,
        signature: Some(&forms::sample::sample_signature()),
        stamp: &stamp,
    };
    let err = forms::fill(t, &input).unwrap_err();
    assert_eq!(err[0].field, "my_number");
    // With it, the 12 digits are printed one per cell.
    let filled = fill_for(t, "typical", Answers::default()).unwrap();
    let dir = tempfile::tempdir().unwrap();
    let path = write_tmp(dir.path(), "jt.pdf", &forms::render_pdf(&[filled], &fonts()).unwrap());
    assert!(page_text(&path, 1).contains(p.my_number.expose()));
}

#[test]
fn signature_and_qr_are_drawn() {
    let cat = catalog();
    let t = cat.template("juminhyo").unwrap();
    // Requested for someone of the same household: the form asks for a signature then.
    let mut household = Answers::default();
    household.set("requester", madoguchi::vocab::AnswerValue::Choice("household".into()));
    let filled = fill_for(t, "typical", household).unwrap();
    let pdf = forms::render_pdf(&[filled], &fonts()).unwrap();
    let dir = tempfile::tempdir().unwrap();
    let path = write_tmp(dir.path(), "sig.pdf", &pdf);
    let out = String::from_utf8_lossy(&tool("pdfimages", &["-list", &path]).stdout).into_owned();
    assert!(
        out.lines().any(|l| l.contains("image") && l.contains("240") && l.contains("60")),
        "signature image missing: {out}"
    );
    assert!(out.lines().any(|l| l.contains("smask")), "signature alpha (SMask) missing: {out}");
    // A signature that is not an image is reported on the signature field.
    let mut answers = forms::sample::sample_answers(&[t]);
    answers.set("requester", madoguchi::vocab::AnswerValue::Choice("household".into()));
    let p = madoguchi::card::sim::persona::builtin_by_id("typical").unwrap();
    let attrs = p.attributes();
    let stamp = forms::sample::sample_stamp();
    let input = forms::FillInput {
        card: forms::CardView::of(&attrs, None),
        answers: &answers,
        signature: Some(b"not a png"),
        stamp: &stamp,
    };
    let e = forms::fill(t, &input).unwrap_err();
    assert!(e.iter().any(|e| e.field == "signature" && e.problem == forms::Problem::SignatureUnreadable), "{e:?}");
}

#[test]
fn rare_kanji_outside_the_font_is_an_error_naming_field_and_code_point() {
    let fonts = fonts();
    // IPAex has 髙 and 﨑 but not 𠮷 (U+20BB7, outside the BMP): printing must refuse, not show tofu.
    assert!(fonts.covers(forms::model::FontFamily::Mincho, '髙'));
    assert!(fonts.covers(forms::model::FontFamily::Mincho, '﨑'));
    assert!(!fonts.covers(forms::model::FontFamily::Mincho, '\u{20BB7}'));
    let cat = catalog();
    let t = cat.template("juminhyo").unwrap();
    let filled = fill_for(t, "rare-kanji", Answers::default()).unwrap();
    match forms::render_pdf(&[filled], &fonts) {
        Err(RenderError::MissingGlyph { form, field, codepoint }) => {
            assert_eq!((form.as_str(), field.as_str(), codepoint), ("juminhyo", "applicant_name", 0x20BB7));
            let e = RenderError::MissingGlyph { form, field, codepoint };
            // The log line names form and field; the character is part of a name, so only
            // the screen (the clerk) gets its code point.
            let log = e.to_string();
            assert!(log.contains("applicant_name") && log.contains("外字"), "{log}");
            assert!(!log.contains("U+20BB7") && !log.contains("20BB7"), "{log}");
            assert!(!log.contains("髙﨑"), "the message must not carry the name");
            let screen = e.message(t).ja();
            assert!(screen.contains("U+20BB7") && screen.contains("外字"), "{screen}");
        }
        other => panic!("expected MissingGlyph, got {:?}", other.map(|b| b.len())),
    }
}

#[test]
fn rare_kanji_prints_with_a_font_that_has_it() {
    // fonts-noto-cjk covers U+20BB7; configuring it (font paths are settings) prints the name,
    // and the text extracts as the real code point (not a PUA substitute).
    let noto = "/usr/share/fonts/opentype/noto";
    let cfg = forms::FontsConfig {
        gothic: format!("{noto}/NotoSansCJK-Regular.ttc").into(),
        gothic_index: 0,
        mincho: format!("{noto}/NotoSerifCJK-Regular.ttc").into(),
        mincho_index: 0,
    };
    let fonts = forms::Fonts::load(&cfg).expect("fonts-noto-cjk missing: run `bash tests/stack.sh install`");
    assert!(fonts.covers(forms::model::FontFamily::Mincho, '\u{20BB7}'));
    let cat = catalog();
    let filled = fill_for(cat.template("juminhyo").unwrap(), "rare-kanji", Answers::default()).unwrap();
    let dir = tempfile::tempdir().unwrap();
    let path = write_tmp(dir.path(), "rk.pdf", &forms::render_pdf(&[filled], &fonts).unwrap());
    assert!(page_text(&path, 1).contains("髙﨑\u{20BB7}男"));
    let listing = String::from_utf8_lossy(&tool("pdffonts", &[&path]).stdout).into_owned();
    assert!(listing.contains("NotoSerifCJKjp"), "{listing}");
}
