//! README command 1's main job: `madoguchi kiosk --demo --headless` walks the resident flow
//! with the software renderer and leaves screenshots, the filled PDF, the encrypted outbox
//! and the export spool in `--out`.

use std::process::Command;

#[test]
fn headless_demo_walks_to_the_receipt_and_writes_everything_to_out() {
    let dir = tempfile::tempdir().unwrap();
    let out_dir = dir.path().join("demo");
    let out = Command::new(env!("CARGO_BIN_EXE_madoguchi"))
        .args(["kiosk", "--demo", "--headless", "--out"])
        .arg(&out_dir)
        .env_remove("DISPLAY")
        .env_remove("WAYLAND_DISPLAY")
        .output()
        .expect("run madoguchi");
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "stdout:\n{stdout}\nstderr:\n{stderr}");
    for shot in ["01-start", "02-procedure", "03-card", "04-pin", "05-review", "06-signature", "07-confirm", "08-done"]
    {
        let p = out_dir.join(format!("{shot}.png"));
        let png = std::fs::read(&p).unwrap_or_else(|e| panic!("{}: {e}", p.display()));
        assert!(png.starts_with(b"\x89PNG"), "{shot} is a PNG");
        assert!(stdout.contains(&p.display().to_string()) || stdout.contains(shot), "{shot} is reported");
    }
    let pdf = std::fs::read(out_dir.join("01-juminhyo.pdf")).expect("filled PDF");
    assert!(pdf.starts_with(b"%PDF-"));
    let today = chrono::Local::now().format("%Y%m%d").to_string();
    let receipt = format!("K01-{today}-0001");
    assert!(stdout.contains(&format!("受付番号 {receipt}")), "{stdout}");
    let json = out_dir.join("export").join(format!("{receipt}-juminhyo.json"));
    let v: serde_json::Value = serde_json::from_slice(&std::fs::read(&json).expect("export JSON")).expect("JSON");
    assert_eq!(v["procedure_id"], "juminhyo");
    assert!(v["card"].get("my_number").is_none(), "住民票 never carries the 個人番号");
    let db = std::fs::read(out_dir.join("outbox/outbox.sqlite3")).expect("outbox database");
    assert!(db.starts_with(b"SQLite format 3\0"));
    // No personal data on the console.
    let name = madoguchi::card::sim::persona::builtin_by_id("typical").unwrap().name.expose().to_string();
    assert!(!stdout.contains(&name) && !stderr.contains(&name));
}
