//! `madoguchi stats export`: a CSV per the machine-readable data rules (header row, one visit
//! per line, the declared encoding), from one or several kiosks' databases.

use madoguchi::stats::csv::header;
use madoguchi::vocab::visit::{End, Visit};

use super::{db_with, madoguchi, month, p};

fn split(visits: &[Visit]) -> (Vec<Visit>, Vec<Visit>) {
    visits.iter().cloned().partition(|v| v.kiosk.as_str() == "K01")
}

#[test]
fn utf8_export_has_one_header_and_one_line_per_visit_of_every_merged_kiosk() {
    let dir = tempfile::tempdir().unwrap();
    let visits = month();
    let (a, b) = split(&visits);
    assert!(!a.is_empty() && !b.is_empty());
    let (da, db) = (dir.path().join("k01.sqlite3"), dir.path().join("others.sqlite3"));
    drop((db_with(&da, &a), db_with(&db, &b)));
    let out = dir.path().join("all.csv");
    madoguchi(&["stats", "export", "--db", p(&da), "--db", p(&db), "-o", p(&out)]);
    let bytes = std::fs::read(&out).unwrap();
    assert!(!bytes.starts_with(b"\xef\xbb\xbf"), "plain UTF-8 has no BOM");
    let text = String::from_utf8(bytes).unwrap();
    assert!(text.ends_with("\r\n"));
    let lines: Vec<&str> = text.split("\r\n").filter(|l| !l.is_empty()).collect();
    assert_eq!(lines[0], header().join(","));
    assert_eq!(lines.len(), visits.len() + 1, "one line per visit");
    let mut r = csv::ReaderBuilder::new().from_reader(text.as_bytes());
    let h: Vec<String> = r.headers().unwrap().iter().map(String::from).collect();
    let col = |name: &str| h.iter().position(|c| c == name).unwrap();
    let (kiosk, end, date) = (col("端末ID"), col("終了"), col("開始日"));
    let recs: Vec<csv::StringRecord> = r.records().map(|x| x.unwrap()).collect();
    assert!(recs.iter().all(|x| x.len() == h.len()), "every line has every column");
    assert_eq!(recs.iter().filter(|x| &x[kiosk] == "K01").count(), a.len());
    let printed = visits.iter().filter(|v| v.end == End::Printed).count();
    assert_eq!(recs.iter().filter(|x| &x[end] == "printed").count(), printed);
    assert!(recs.iter().all(|x| chrono::NaiveDate::parse_from_str(&x[date], "%Y-%m-%d").is_ok()));
}

#[test]
fn shift_jis_and_bom_exports_carry_the_same_table() {
    let dir = tempfile::tempdir().unwrap();
    let visits = month();
    let db = dir.path().join("s.sqlite3");
    drop(db_with(&db, &visits));
    let files: Vec<_> = ["utf-8", "utf-8-bom", "shift_jis"]
        .iter()
        .map(|enc| {
            let out = dir.path().join(format!("{enc}.csv"));
            madoguchi(&["stats", "export", "--db", p(&db), "--encoding", enc, "-o", p(&out)]);
            std::fs::read(out).unwrap()
        })
        .collect();
    let utf8 = String::from_utf8(files[0].clone()).unwrap();
    assert_eq!(&files[1][..3], b"\xef\xbb\xbf", "BOM for Excel");
    assert_eq!(std::str::from_utf8(&files[1][3..]).unwrap(), utf8);
    assert!(std::str::from_utf8(&files[2]).is_err(), "the Japanese header is not UTF-8 in Shift_JIS");
    let (sjis, _, bad) = encoding_rs::SHIFT_JIS.decode(&files[2]);
    assert!(!bad);
    assert_eq!(sjis, utf8);
    assert!(sjis.starts_with("端末ID,開始日,"));
}

#[test]
fn the_date_range_and_a_bad_encoding_are_handled() {
    let dir = tempfile::tempdir().unwrap();
    let visits = month();
    let db = dir.path().join("s.sqlite3");
    drop(db_with(&db, &visits));
    let out = madoguchi(&["stats", "export", "--db", p(&db), "--from", "2026-10-05", "--to", "2026-10-05"]);
    let text = String::from_utf8(out.stdout).unwrap();
    let want = visits.iter().filter(|v| v.started.date().to_string() == "2026-10-05").count();
    assert!(want > 0);
    assert_eq!(text.lines().count(), want + 1);
    let bad = std::process::Command::new(env!("CARGO_BIN_EXE_madoguchi"))
        .args(["stats", "export", "--db", p(&db), "--encoding", "latin1"])
        .output()
        .unwrap();
    assert!(!bad.status.success());
    let err = String::from_utf8_lossy(&bad.stderr);
    assert!(err.contains("shift_jis") && err.contains("文字コード"), "{err}");
    let missing = std::process::Command::new(env!("CARGO_BIN_EXE_madoguchi"))
        .args(["stats", "export", "--db", p(&dir.path().join("nope.sqlite3"))])
        .output()
        .unwrap();
    assert!(!missing.status.success());
    assert!(String::from_utf8_lossy(&missing.stderr).contains("統計データベースがありません"));
}
