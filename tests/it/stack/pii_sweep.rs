//! The personal-data sweep that tests/run.sh runs after the suite (tests/pii_sweep.sh) finds
//! a persona's data where it does not belong, names the file and not the value, and lets the
//! places meant for it be.

use std::process::Command;

fn sweep(dir: &std::path::Path) -> (bool, String) {
    let out = Command::new("bash")
        .arg(concat!(env!("CARGO_MANIFEST_DIR"), "/tests/pii_sweep.sh"))
        .arg(dir)
        .output()
        .expect("run tests/pii_sweep.sh");
    (out.status.success(), format!("{}{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr)))
}

#[test]
fn the_sweep_names_a_file_with_persona_data_and_spares_export_spools_and_pdfs() {
    let dir = tempfile::tempdir().expect("tempdir");
    std::fs::create_dir(dir.path().join("export")).expect("export dir");
    // The typical persona (assets/personas/typical.toml), as forms and logs would write it.
    std::fs::write(dir.path().join("export/K01-1-juminhyo.json"), "{\"name\":\"山田 太郎\"}").expect("export");
    std::fs::write(dir.path().join("form.pdf"), "山田　太郎").expect("pdf");
    std::fs::write(dir.path().join("clean.log"), "receipt K01-20261122-0001 sent").expect("log");
    let (ok, out) = sweep(dir.path());
    assert!(ok, "export spools and PDFs are where personal data belongs: {out}");

    for (file, text, what) in [
        ("kiosk.log", "resident 山田　太郎 signed", "typical: name"),
        ("outbox.sqlite3-wal", "..1985年4月12日..", "typical: birth date"),
        ("stderr.txt", "number 1234 5678 9018", "typical: 個人番号"),
        ("notes.csv", "昭和60年4月12日", "typical: birth date"), // a CSV outside an export spool
    ] {
        let p = dir.path().join(file);
        std::fs::write(&p, text).expect("plant");
        let (ok, out) = sweep(dir.path());
        assert!(!ok, "{file} with {what} was not found: {out}");
        assert!(out.contains(&format!("{} ({what})", p.display())), "the file is named: {out}");
        assert!(!out.contains("山田") && !out.contains("9018"), "the value is never printed: {out}");
        std::fs::remove_file(&p).expect("remove the plant");
    }
    assert!(sweep(dir.path()).0, "clean again");
}
