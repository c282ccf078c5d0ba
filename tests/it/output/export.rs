//! Export spool: real files in a real directory, read back with the csv crate and
//! encoding_rs; a concurrent reader never sees a half-written file.

use crate::support::output_support;

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use madoguchi::output::export::{ExportError, export_submission};
use madoguchi::output::{CsvEncoding, ExportConfig};
use output_support::{ADDRESS, MY_NUMBER, NAME, submission, submission_with};

fn cfg(dir: &std::path::Path, enc: CsvEncoding) -> ExportConfig {
    ExportConfig { enabled: true, spool_dir: dir.to_path_buf(), csv_encoding: enc, ..ExportConfig::default() }
}

fn read_csv(bytes: &[u8]) -> (Vec<String>, Vec<String>) {
    let mut r = csv::ReaderBuilder::new().has_headers(true).from_reader(bytes);
    let header: Vec<String> = r.headers().expect("header").iter().map(str::to_owned).collect();
    let rows: Vec<csv::StringRecord> = r.records().collect::<Result<_, _>>().expect("records");
    assert_eq!(rows.len(), 1, "one row per form");
    (header, rows[0].iter().map(str::to_owned).collect())
}

fn field<'a>(h: &[String], row: &'a [String], name: &str) -> &'a str {
    let i = h.iter().position(|x| x == name).unwrap_or_else(|| panic!("no column {name}"));
    &row[i]
}

#[test]
fn utf8_export_writes_json_and_a_csv_per_form() {
    let dir = tempfile::tempdir().expect("tempdir");
    let sub = submission(1);
    let out = export_submission(&cfg(dir.path(), CsvEncoding::Utf8), &sub, chrono::Utc::now()).expect("export");
    assert_eq!(out.csv.len(), 2);
    let json: serde_json::Value = serde_json::from_slice(&std::fs::read(&out.json).expect("json")).expect("parse");
    assert_eq!(json["receipt_id"], "R-000001");
    assert_eq!(json["card"]["name"], NAME);
    let (h, row) = read_csv(&std::fs::read(&out.csv[0]).expect("csv"));
    assert_eq!(field(&h, &row, "form_id"), "jumin-ido");
    assert_eq!(field(&h, &row, "card.address"), ADDRESS);
    assert_eq!(field(&h, &row, "note"), "カンマ, と \"引用符\" を含む");
    assert_eq!(field(&h, &row, "card.birth_date"), "1985-04-01");
    // File names carry ids only, never personal data.
    for p in std::iter::once(&out.json).chain(out.csv.iter()) {
        let name = p.file_name().expect("name").to_string_lossy().into_owned();
        assert!(name.starts_with("R-000001"), "{name}");
    }
}

#[test]
fn shift_jis_round_trips_and_unencodable_text_is_refused() {
    let dir = tempfile::tempdir().expect("tempdir");
    // 髙 and 﨑 exist in Windows-31J (the Shift_JIS legacy tools read), so they round-trip.
    let sub = submission_with(2, "髙﨑 花子", ADDRESS);
    let out = export_submission(&cfg(dir.path(), CsvEncoding::ShiftJis), &sub, chrono::Utc::now()).expect("export");
    let raw = std::fs::read(&out.csv[0]).expect("csv");
    assert!(std::str::from_utf8(&raw).is_err(), "the file really is Shift_JIS, not UTF-8");
    let (text, _, bad) = encoding_rs::SHIFT_JIS.decode(&raw);
    assert!(!bad);
    let (h, row) = read_csv(text.as_bytes());
    assert_eq!(field(&h, &row, "card.name"), "髙﨑 花子");
    assert_eq!(field(&h, &row, "previous_address"), "大阪府大阪市北区中之島一丁目三番二十号");

    // 𠮷 (U+20BB7) has no Shift_JIS code: refuse rather than write a wrong name.
    let dir2 = tempfile::tempdir().expect("tempdir");
    let sub = submission_with(3, "𠮷野 太郎", ADDRESS);
    let e =
        export_submission(&cfg(dir2.path(), CsvEncoding::ShiftJis), &sub, chrono::Utc::now()).expect_err("must fail");
    match &e {
        ExportError::Unencodable { form_id, field } => {
            assert_eq!(form_id, "jumin-ido");
            assert_eq!(field, "card.name");
        }
        other => panic!("{other:?}"),
    }
    assert!(!e.to_string().contains('𠮷'), "no personal data in the error");
    assert_eq!(std::fs::read_dir(dir2.path()).expect("dir").count(), 0, "nothing half-exported");
}

#[test]
fn a_reader_polling_the_spool_never_sees_a_partial_file() {
    let dir = tempfile::tempdir().expect("tempdir");
    let stop = Arc::new(AtomicBool::new(false));
    let reader = {
        let dir = dir.path().to_path_buf();
        let stop = stop.clone();
        std::thread::spawn(move || {
            let mut checked = 0usize;
            while !stop.load(Ordering::Relaxed) {
                for e in std::fs::read_dir(&dir).expect("dir").flatten() {
                    let name = e.file_name().to_string_lossy().into_owned();
                    if name.starts_with('.') {
                        continue; // temp files are not for readers
                    }
                    let Ok(bytes) = std::fs::read(e.path()) else { continue };
                    if name.ends_with(".json") {
                        serde_json::from_slice::<serde_json::Value>(&bytes).expect("complete JSON");
                    } else {
                        read_csv(&bytes);
                    }
                    checked += 1;
                }
            }
            checked
        })
    };
    let c = cfg(dir.path(), CsvEncoding::Utf8);
    for i in 0..150 {
        export_submission(&c, &submission(i), chrono::Utc::now()).expect("export");
    }
    stop.store(true, Ordering::Relaxed);
    let checked = reader.join().expect("reader");
    assert!(checked > 0);
    let names: Vec<String> = std::fs::read_dir(dir.path())
        .expect("dir")
        .flatten()
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .collect();
    assert_eq!(names.len(), 150 * 3);
    assert!(names.iter().all(|n| !n.starts_with('.')), "no temp files left behind");
}

fn contains(hay: &[u8], needle: &str) -> bool {
    hay.windows(needle.len()).any(|w| w == needle.as_bytes())
}

#[test]
fn the_my_number_is_exported_only_when_configured() {
    let dir = tempfile::tempdir().expect("tempdir");
    let mut sub = submission(5);
    // A form that prints the 個人番号 carries it as a field value too (spaced as printed).
    sub.forms[0].values.push(("kojin_bangou".into(), madoguchi::vocab::person::SecretString::new("1234 5678 9018")));
    let mut c = cfg(dir.path(), CsvEncoding::Utf8);
    let out = export_submission(&c, &sub, chrono::Utc::now()).expect("export");
    let mut all = Vec::new();
    for p in std::iter::once(&out.json).chain(out.csv.iter()) {
        all.extend(std::fs::read(p).expect("file"));
    }
    assert!(!contains(&all, MY_NUMBER) && !contains(&all, "1234 5678 9018"), "個人番号 exported by default");
    assert!(contains(&all, NAME), "the rest is exported");
    let json: serde_json::Value = serde_json::from_slice(&std::fs::read(&out.json).expect("json")).expect("parse");
    assert!(json["card"].get("my_number").is_none());
    assert!(json.get("pdf").is_none(), "the PDF prints the 個人番号: not exported without it");

    c.include_my_number = true;
    let dir2 = tempfile::tempdir().expect("tempdir");
    c.spool_dir = dir2.path().to_path_buf();
    let out = export_submission(&c, &sub, chrono::Utc::now()).expect("export");
    let json: serde_json::Value = serde_json::from_slice(&std::fs::read(&out.json).expect("json")).expect("parse");
    assert_eq!(json["card"]["my_number"], MY_NUMBER);
    assert!(json["pdf"]["data_base64"].is_string());
}

#[test]
fn symlinks_planted_at_final_and_old_temp_names_are_never_followed() {
    let dir = tempfile::tempdir().expect("tempdir");
    let victim = dir.path().join("victim");
    std::fs::write(&victim, "keep me").expect("victim");
    let spool = dir.path().join("spool");
    std::fs::create_dir(&spool).expect("spool");
    // The pickup account can write the spool: it plants symlinks under every temp name the
    // old fixed scheme (`.<name>.<pid>.tmp`) would use, and at a final name. (The random temp
    // names and their exclusive creation are tested in export.rs's unit tests.)
    let sub = submission(6);
    for name in ["R-000006-moving-in.json", "R-000006-moving-in-jumin-ido.csv", "R-000006-moving-in-kokuho.csv"] {
        std::os::unix::fs::symlink(&victim, spool.join(format!(".{name}.{}.tmp", std::process::id()))).expect("plant");
    }
    std::os::unix::fs::symlink(&victim, spool.join("R-000006-moving-in.json")).expect("plant");
    let out = export_submission(&cfg(&spool, CsvEncoding::Utf8), &sub, chrono::Utc::now()).expect("export");
    // (Not assert_eq: the victim would hold the export, personal data, and go to the log.)
    assert!(std::fs::read_to_string(&victim).expect("victim") == "keep me", "a symlink was followed");
    let meta = std::fs::symlink_metadata(&out.json).expect("json");
    assert!(meta.file_type().is_file(), "the final name is a real file now, not the symlink");
    use std::os::unix::fs::PermissionsExt as _;
    assert_eq!(meta.permissions().mode() & 0o037, 0, "owner and group read only (0640 at most)");
}

#[test]
fn the_sweep_deletes_old_exports_and_stale_temp_files_only() {
    use madoguchi::output::export::sweep;
    let dir = tempfile::tempdir().expect("tempdir");
    let mut c = cfg(dir.path(), CsvEncoding::Utf8);
    c.retention_hours = 24;
    let fresh = export_submission(&c, &submission(7), chrono::Utc::now()).expect("export");
    let old = export_submission(&c, &submission(8), chrono::Utc::now()).expect("export");
    let tmp = dir.path().join(".R-000009.json.0011223344556677.tmp");
    std::fs::write(&tmp, "{").expect("tmp");
    let outside = tempfile::tempdir().expect("tempdir");
    let linked = outside.path().join("keep.json");
    std::fs::write(&linked, "{}").expect("keep");
    std::os::unix::fs::symlink(&linked, dir.path().join("planted.json")).expect("symlink");
    let long_ago = std::time::SystemTime::now() - std::time::Duration::from_secs(3 * 24 * 3600);
    for p in std::iter::once(&old.json).chain(old.csv.iter()).chain([&tmp]) {
        std::fs::File::options().write(true).open(p).expect("open").set_modified(long_ago).expect("mtime");
    }
    let n = sweep(&c, std::time::SystemTime::now()).expect("sweep");
    assert_eq!(n, 1 + old.csv.len() + 1, "the old set and the stale temp file");
    assert!(fresh.json.exists() && fresh.csv.iter().all(|p| p.exists()), "fresh files stay");
    assert!(!old.json.exists() && !tmp.exists());
    assert!(linked.exists(), "a symlink's target is never touched");
    // Retention 0: the pickup deletes, madoguchi never does.
    c.retention_hours = 0;
    assert_eq!(sweep(&c, std::time::SystemTime::now() + std::time::Duration::from_secs(1 << 30)).expect("sweep"), 0);
}

#[test]
fn excel_formula_guard_makes_formulas_inert() {
    let dir = tempfile::tempdir().expect("tempdir");
    let mut sub = submission(10);
    sub.forms[0].values.push(("note2".into(), madoguchi::vocab::person::SecretString::new("=HYPERLINK(\"http://x\")")));
    let mut c = cfg(dir.path(), CsvEncoding::Utf8);
    let out = export_submission(&c, &sub, chrono::Utc::now()).expect("export");
    let (h, row) = read_csv(&std::fs::read(&out.csv[0]).expect("csv"));
    assert_eq!(field(&h, &row, "note2"), "=HYPERLINK(\"http://x\")", "off by default: values as entered");
    c.excel_formula_guard = true;
    let out = export_submission(&c, &sub, chrono::Utc::now()).expect("export");
    let (h, row) = read_csv(&std::fs::read(&out.csv[0]).expect("csv"));
    assert_eq!(field(&h, &row, "note2"), "'=HYPERLINK(\"http://x\")");
    assert_eq!(field(&h, &row, "card.name"), NAME, "plain values unchanged");
}
