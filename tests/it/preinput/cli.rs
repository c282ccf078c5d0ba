//! `madoguchi kiosk --demo --headless --preinput-stdin`: the real binary takes a code from
//! stdin (as the scanner types it, with its Enter), walks the visit to the receipt, and its
//! console output — the kiosk's log — holds nothing of the code or its answers, while the
//! filled form holds the answers.

use crate::support::kiosk_support::headless_demo;
use crate::support::kiosk_support::real::pdftotext;
use crate::support::preinput_support::{KANA, PHONE, SUBMIT_TO, juminhyo};

#[test]
fn the_headless_demo_takes_a_code_from_stdin_and_logs_nothing_of_it() {
    let dir = tempfile::tempdir().unwrap();
    let out_dir = dir.path().join("demo");
    // Valid from the real today on (the binary's clock is the system's).
    let mut code = juminhyo(1);
    code.expires = chrono::Local::now().date_naive() + chrono::Days::new(30);
    let code = madoguchi::vocab::preinput_code::encode(&code);
    let run = headless_demo(&out_dir, &[], &[], Some(&code));
    let (stdout, stderr) = (&run.stdout, &run.stderr);
    assert!(run.ok, "stdout:\n{stdout}\nstderr:\n{stderr}");
    assert!(stdout.contains("受付番号"), "{stdout}");
    let log = format!("{stdout}{stderr}");
    for (what, v) in [("reading", KANA), ("phone", PHONE), ("submit_to", SUBMIT_TO), ("the code", &code[..24])] {
        assert!(!log.contains(v), "{what} of the code appears in the kiosk's output");
    }
    assert!(!log.contains("ヤマダ"), "no part of the reading either");
    // The answers came from the code: the 提出先 is not a demo answer.
    let text: String = pdftotext(&out_dir.join("01-juminhyo.pdf")).chars().filter(|c| !c.is_whitespace()).collect();
    assert!(text.contains(SUBMIT_TO), "the code's answer on the form:\n{text}");
    assert!(out_dir.join("05-review.png").is_file());
}

#[test]
fn a_code_the_kiosk_refuses_ends_the_headless_walk_with_the_reason_in_english_and_japanese() {
    let dir = tempfile::tempdir().unwrap();
    let run = headless_demo(&dir.path().join("demo"), &[], &[], Some("https://example.jp/pay?id=1"));
    let stderr = &run.stderr;
    assert!(!run.ok);
    assert!(stderr.contains("not a pre-input code") && stderr.contains("事前入力コードではありません"), "{stderr}");
}
