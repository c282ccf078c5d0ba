//! `madoguchi forms list|preview` through the real binary, and the official base PDF overlay.

use crate::support::forms_support;

use std::process::Command;

use forms_support::*;
use madoguchi::forms;
use madoguchi::vocab::Answers;

const BIN: &str = env!("CARGO_BIN_EXE_madoguchi");

#[test]
fn list_shows_procedures_forms_and_my_number_need() {
    let out = Command::new(BIN).args(["forms", "list"]).output().unwrap();
    assert!(out.status.success());
    let s = String::from_utf8_lossy(&out.stdout);
    assert!(s.contains("住民票の写しがほしい") && s.contains("児童手当認定請求書") && s.contains("moving-in"));
    let mn: Vec<&str> = s.lines().filter(|l| l.contains("[個人番号]")).collect();
    assert_eq!(mn.len(), 1, "{mn:?}");
    assert!(mn[0].contains("jidou-teate"));
}

#[test]
fn preview_renders_pdf_and_png_with_grid_and_answers() {
    let dir = tempfile::tempdir().unwrap();
    let answers = dir.path().join("a.toml");
    std::fs::write(
        &answers,
        "new_address = \"沖縄県那覇市泉崎1-2-2\"\nmove_type = \"tenkyo\"\nmove_date = 2025-04-30\n",
    )
    .unwrap();
    let pdf = dir.path().join("idou.pdf");
    let out = Command::new(BIN)
        .args(["forms", "preview", "idou", "--persona", "long-address", "--grid", "--png", "--answers"])
        .arg(&answers)
        .arg("-o")
        .arg(&pdf)
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let text = page_text(&pdf.to_string_lossy(), 1);
    assert!(text.contains("沖縄県") && text.contains("那覇市") && text.contains("令和7年4月30日"), "answers not used");
    assert!(text.contains("100") && text.contains("150"), "grid labels missing");
    let png = std::fs::read(dir.path().join("idou.png")).unwrap();
    assert!(png.starts_with(b"\x89PNG"));
    // A template file path and a persona file work too; a broken answers file is a clear error.
    let tpl = root().join("assets/templates/juminhyo.toml");
    let per = root().join("assets/personas/typical.toml");
    let out = Command::new(BIN)
        .args(["forms", "preview"])
        .arg(&tpl)
        .arg("--persona")
        .arg(&per)
        .arg("-o")
        .arg(dir.path().join("j.pdf"))
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    std::fs::write(&answers, "nonexistent = 1\n").unwrap();
    let out = Command::new(BIN)
        .args(["forms", "preview", "idou", "--answers"])
        .arg(&answers)
        .arg("-o")
        .arg(dir.path().join("x.pdf"))
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stderr).contains("不明な項目"));
    // 外字: the rare-kanji persona cannot be previewed with IPAex; the error names U+20BB7.
    let out = Command::new(BIN)
        .args(["forms", "preview", "juminhyo", "--persona", "rare-kanji", "-o"])
        .arg(dir.path().join("r.pdf"))
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stderr).contains("U+20BB7"));
}

#[test]
fn official_base_pdf_is_overlaid_with_lopdf() {
    let fonts = fonts();
    let cat = catalog();
    // The "official" base: the juminhyo form's own static page, rendered without values.
    let mut blank_t = cat.template("juminhyo").unwrap().clone();
    blank_t.fields.clear();
    blank_t.rules.clear();
    // The official PDF was made long before the visit (and in UTC).
    let mut published = forms::sample::sample_stamp();
    published.created = chrono::DateTime::parse_from_rfc3339("2020-01-02T03:04:05Z").unwrap();
    let blank = forms::FilledForm {
        template: std::borrow::Cow::Owned(blank_t),
        values: Default::default(),
        stamp: std::borrow::Cow::Owned(published),
    };
    let base = forms::render_pdf(&[blank], &fonts).unwrap();
    let mut t = cat.template("juminhyo").unwrap().clone();
    t.layout.clear();
    t.base_pdf = Some("base.pdf".into());
    t.base_pdf_data = Some(std::sync::Arc::new(base));
    let filled = fill_for(&t, "typical", Answers::default()).unwrap();
    let other = fill_for(cat.template("koseki").unwrap(), "typical", Answers::default()).unwrap();
    let dir = tempfile::tempdir().unwrap();
    let single =
        write_tmp(dir.path(), "single.pdf", &forms::render_pdf(std::slice::from_ref(&filled), &fonts).unwrap());
    let text = page_text(&single, 1);
    assert!(
        text.contains("記載事項") && text.contains("見本市長"),
        "base text and overlay text must both be there: {text}"
    );
    assert!(tool("qpdf", &["--check", &single]).status.success());
    let combined = write_tmp(dir.path(), "both.pdf", &forms::render_pdf(&[filled, other], &fonts).unwrap());
    assert_eq!(page_count(&combined), 2);
    assert!(page_text(&combined, 2).contains("戸籍証明書等交付請求書"));
    let q = tool("qpdf", &["--check", &combined]);
    assert!(q.status.success(), "{}{}", String::from_utf8_lossy(&q.stdout), String::from_utf8_lossy(&q.stderr));
    // The filled form is dated at the visit, with its offset, not at the base PDF's date.
    for pdf in [&single, &combined] {
        let info = String::from_utf8_lossy(&tool("pdfinfo", &["-isodates", pdf]).stdout).into_owned();
        assert!(info.contains("2025-05-01T10:30:00+09") && !info.contains("2020-01-02"), "{info}");
    }
}
