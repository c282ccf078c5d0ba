//! README command 1's main job: `madoguchi kiosk --demo --headless` walks the resident flow
//! with the software renderer and leaves screenshots, the filled PDF, the encrypted outbox
//! and the export spool in `--out`.

use crate::support::kiosk_support::headless_demo;

#[test]
fn headless_demo_walks_to_the_receipt_and_writes_everything_to_out() {
    let dir = tempfile::tempdir().unwrap();
    let out_dir = dir.path().join("demo");
    let run = headless_demo(&out_dir, &[], &[], None);
    let (stdout, stderr) = (&run.stdout, &run.stderr);
    assert!(run.ok, "stdout:\n{stdout}\nstderr:\n{stderr}");
    // 住民票 requested by the card holder asks for no signature: no pad, no 06-signature.
    assert!(!out_dir.join("06-signature.png").exists());
    for shot in ["01-start", "02-procedure", "03-card", "04-pin", "05-review", "07-confirm", "08-done"] {
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
    assert!(v["signature"].is_null(), "the holder's own request was not signed: {}", v["signature"]);
    let db = std::fs::read(out_dir.join("outbox/outbox.sqlite3")).expect("outbox database");
    assert!(db.starts_with(b"SQLite format 3\0"));
    // No personal data on the console.
    let name = madoguchi::card::sim::persona::builtin_by_id("typical").unwrap().name.expose().to_string();
    assert!(!stdout.contains(&name) && !stderr.contains(&name));
}

/// Page previews come from poppler's `pdftoppm`, only a Recommends of the package: a kiosk
/// without it still prints and sends (the confirm screen says the previews are missing).
#[test]
fn without_pdftoppm_the_demo_still_delivers_to_the_receipt() {
    let dir = tempfile::tempdir().unwrap();
    let out_dir = dir.path().join("demo");
    // An empty PATH: no pdftoppm (nor any other program) can be found.
    let empty = dir.path().join("empty-path");
    std::fs::create_dir(&empty).unwrap();
    let run = headless_demo(&out_dir, &[], &[("PATH", empty.as_os_str())], None);
    let (stdout, stderr) = (&run.stdout, &run.stderr);
    assert!(run.ok, "stdout:\n{stdout}\nstderr:\n{stderr}");
    assert!(stdout.contains("受付番号 K01-"), "delivered without previews:\n{stdout}\n{stderr}");
    assert!(out_dir.join("07-confirm.png").exists() && out_dir.join("01-juminhyo.pdf").exists());
    let exported = std::fs::read_dir(out_dir.join("export")).unwrap().flatten().count();
    assert!(exported > 0, "the submission reached the export spool");
}

/// `--demo` with a production configuration (README, install guide): fictitious residents
/// never reach the configured outbox, key, export spool, statistics or work directory.
#[test]
fn the_demo_with_a_production_config_writes_nothing_into_its_stores() {
    let dir = tempfile::tempdir().unwrap();
    let prod = dir.path().join("prod");
    std::fs::create_dir(&prod).unwrap();
    let p = |rel: &str| prod.join(rel).display().to_string();
    let config = dir.path().join("madoguchi.toml");
    std::fs::write(
        &config,
        format!(
            "[paths]\ntemplates_dir = {:?}\nprocedures_dir = {:?}\nwork_dir = {:?}\n\n[output.outbox]\ndb_path = {:?}\nkey_path = {:?}\n\n\
             [output.export]\nenabled = true\nspool_dir = {:?}\n\n[stats]\ndb_path = {:?}\n",
            concat!(env!("CARGO_MANIFEST_DIR"), "/assets/templates"),
            env!("CARGO_MANIFEST_DIR").to_string() + "/assets",
            p("work"),
            p("outbox/outbox.sqlite3"),
            p("outbox/outbox.key"),
            p("export"),
            p("stats/stats.sqlite3"),
        ),
    )
    .unwrap();
    let out_dir = dir.path().join("demo");
    let run = headless_demo(&out_dir, &["--config", config.to_str().expect("utf-8 path")], &[], None);
    assert!(run.ok, "{}\n{}", run.stdout, run.stderr);
    assert!(run.stdout.contains("受付番号 K01-"), "{}", run.stdout);
    let written: Vec<_> = walk(&prod);
    assert!(written.is_empty(), "the demo wrote into the configured stores: {written:?}");
    // Its own stores are under --out instead.
    for own in ["outbox/outbox.sqlite3", "stats.sqlite3"] {
        assert!(out_dir.join(own).exists(), "{own} under --out");
    }
}

fn walk(dir: &std::path::Path) -> Vec<std::path::PathBuf> {
    let mut out = Vec::new();
    for e in std::fs::read_dir(dir).into_iter().flatten().flatten() {
        let p = e.path();
        if p.is_dir() {
            out.extend(walk(&p));
            out.push(p);
        } else {
            out.push(p);
        }
    }
    out
}

/// A crash or a power cut skips the wipe at the end of a visit: at start the kiosk deletes the
/// session folders an earlier run left in its work directory (a resident's filled forms), and
/// nothing else there.
#[test]
fn work_folders_left_by_a_crash_are_deleted_at_start() {
    let dir = tempfile::tempdir().unwrap();
    let out_dir = dir.path().join("demo");
    let work = out_dir.join("work");
    let left = work.join("session-left-by-a-crash");
    std::fs::create_dir_all(&left).unwrap();
    std::fs::write(left.join("01-juminhyo.pdf"), b"%PDF-1.7 a resident's form").unwrap();
    std::fs::write(work.join("not-ours.txt"), b"keep").unwrap();
    let run = headless_demo(&out_dir, &[], &[], None);
    assert!(run.ok, "{}", run.stderr);
    assert!(!left.exists(), "the earlier run's session folder is gone");
    assert!(run.stderr.contains("removed 1 work folder"), "{}", run.stderr);
    assert_eq!(std::fs::read(work.join("not-ours.txt")).unwrap(), b"keep");
}

#[test]
fn the_kiosk_warns_at_start_while_the_local_cups_keeps_printed_forms() {
    let cups_uri = crate::support::stack_env("MADOGUCHI_TEST_CUPS_URI");
    let conf = std::fs::read_to_string(madoguchi::output::print::cups::CUPSD_CONF).expect("cupsd.conf");
    let keeps = madoguchi::output::print::cups::job_files(&conf) != madoguchi::output::print::cups::JobFiles::Deleted;
    let dir = tempfile::tempdir().unwrap();
    let config = dir.path().join("madoguchi.toml");
    std::fs::write(&config, format!("demo = true\n[output.print]\nprinter_uri = {cups_uri:?}\n")).unwrap();
    let run = headless_demo(&dir.path().join("demo"), &["--config", &config.to_string_lossy()], &[], None);
    assert!(run.ok, "{}\n{}", run.stdout, run.stderr);
    // The stack's cupsd runs with CUPS's default (it keeps job files): the warning is due.
    assert_eq!(run.stderr.contains("PreserveJobFiles No"), keeps, "warned exactly when cupsd keeps: {}", run.stderr);
    assert!(
        keeps,
        "the test stack's cupsd is expected to keep job files (CUPS's default), or this test proves nothing"
    );
}
