//! Shared helpers for the forms tests: real fonts, real poppler/qpdf tools.

use std::path::{Path, PathBuf};
use std::process::Command;

use madoguchi::card::sim::persona;
use madoguchi::forms::{self, Catalog, FillInput, FilledForm, Fonts, FontsConfig, Template};
use madoguchi::vocab::Answers;

pub fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

pub fn fonts() -> Fonts {
    Fonts::load(&FontsConfig::default())
        .expect("IPAex fonts missing: run `bash tests/stack.sh install` (fonts-ipaexfont-gothic/-mincho)")
}

pub fn catalog() -> Catalog {
    Catalog::embedded().expect("embedded catalog must load")
}

/// Fill `t` for a built-in persona with sample answers plus `extra` and the sample signature.
pub fn fill_for(t: &Template, persona_id: &str, extra: Answers) -> Result<FilledForm<'static>, Vec<forms::FieldError>> {
    let p = persona::builtin_by_id(persona_id).expect("built-in persona");
    let mut answers = forms::sample::sample_answers(&[t]);
    for (id, v) in extra.iter() {
        answers.set(id, v.clone());
    }
    fill_exact_for(t, &p, &answers, true)
}

/// Fill `t` with exactly `answers` (no samples merged in), with or without the sample signature.
pub fn fill_exact_for(
    t: &Template,
    p: &madoguchi::card::sim::Persona,
    answers: &Answers,
    signed: bool,
) -> Result<FilledForm<'static>, Vec<forms::FieldError>> {
    let attrs = p.attributes();
    let stamp = forms::sample::sample_stamp();
    let signature = forms::sample::sample_signature();
    let input = FillInput {
        card: forms::CardView::of(&attrs, Some(&p.my_number)),
        answers,
        signature: signed.then_some(signature.as_slice()),
        stamp: &stamp,
    };
    forms::fill(t, &input).map(FilledForm::into_owned)
}

/// Run a tool; panic with a clear message when it is not installed.
pub fn tool(cmd: &str, args: &[&str]) -> std::process::Output {
    Command::new(cmd).args(args).output().unwrap_or_else(|e| {
        panic!("{cmd} not runnable ({e}); install poppler-utils/qpdf via `bash tests/stack.sh install`")
    })
}

pub fn write_tmp(dir: &Path, name: &str, bytes: &[u8]) -> String {
    let p = dir.join(name);
    std::fs::write(&p, bytes).expect("write temp file");
    p.to_string_lossy().into_owned()
}

/// Text of one page (1-based) in content order, whitespace removed.
pub fn page_text(pdf: &str, page: u32) -> String {
    let p = page.to_string();
    let out = tool("pdftotext", &["-raw", "-enc", "UTF-8", "-f", &p, "-l", &p, pdf, "-"]);
    assert!(out.status.success(), "pdftotext failed: {}", String::from_utf8_lossy(&out.stderr));
    String::from_utf8_lossy(&out.stdout).chars().filter(|c| !c.is_whitespace()).collect()
}

pub fn page_count(pdf: &str) -> u32 {
    let out = tool("pdfinfo", &[pdf]);
    let s = String::from_utf8_lossy(&out.stdout).into_owned();
    s.lines().find_map(|l| l.strip_prefix("Pages:")).and_then(|v| v.trim().parse().ok()).expect("pdfinfo Pages")
}

/// Word boxes (xMin, yMin, xMax, yMax in pt) of page 1.
pub fn words(pdf: &str) -> Vec<(f32, f32, f32, f32, String)> {
    let out = tool("pdftotext", &["-bbox", "-f", "1", "-l", "1", pdf, "-"]);
    let s = String::from_utf8_lossy(&out.stdout).into_owned();
    s.lines()
        .filter(|l| l.trim_start().starts_with("<word"))
        .filter_map(|l| {
            let num = |k: &str| l.split(&format!("{k}=\"")).nth(1)?.split('"').next()?.parse::<f32>().ok();
            let text = l.split('>').nth(1)?.split('<').next()?.to_string();
            Some((num("xMin")?, num("yMin")?, num("xMax")?, num("yMax")?, text))
        })
        .collect()
}
