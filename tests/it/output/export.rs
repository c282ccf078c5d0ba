//! Export spool: real files in a real directory, read back with the csv crate and
//! encoding_rs; a concurrent reader never sees a half-written file.

use crate::support::output_support;

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use madoguchi::output::export::{ExportError, export_submission};
use madoguchi::output::{CsvEncoding, ExportConfig};
use output_support::{ADDRESS, NAME, submission, submission_with};

fn cfg(dir: &std::path::Path, enc: CsvEncoding) -> ExportConfig {
    ExportConfig { enabled: true, spool_dir: dir.to_path_buf(), csv_encoding: enc, utf8_bom: false }
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
