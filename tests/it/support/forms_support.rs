//! Shared helpers for the forms tests: real fonts, real poppler/qpdf tools.

use std::path::{Path, PathBuf};
use std::process::Command;

use madoguchi::card::sim::persona;
use madoguchi::forms::{self, Answers, Catalog, FillInput, FilledForm, Fonts, FontsConfig, Template};

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

/// Fill `t` for a built-in persona with sample answers plus `extra`.
pub fn fill_for(t: &Template, persona_id: &str, extra: Answers) -> Result<FilledForm, Vec<forms::FieldError>> {
    let p = persona::builtin_by_id(persona_id).expect("built-in persona");
    let mut answers = forms::sample::sample_answers(&[t]);
    answers.extend(extra);
    let attrs = forms::sample::attributes_of(&p);
    let session = forms::sample::sample_session();
    forms::fill(
        t,
        &FillInput { attributes: &attrs, my_number: Some(&p.my_number), answers: &answers, session: &session },
    )
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
