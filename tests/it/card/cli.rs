//! `madoguchi card …` and `madoguchi sim-card` as a clerk or administrator runs them, and
//! opensc-tool against the virtual card, all through the real pcscd.

use crate::support::card_stack;

use std::io::Write;
use std::process::{Command, Output, Stdio};
use std::time::Duration;

use card_stack::{SLOT0, SLOT1, lock, persona, place};
use madoguchi::card::pcsc::PcscReader;

fn madoguchi() -> Command {
    Command::new(env!("CARGO_BIN_EXE_madoguchi"))
}

/// Run with `stdin_text` piped in (how a PIN reaches the CLI without a terminal).
fn run(cmd: &mut Command, stdin_text: &str) -> Output {
    let mut child = cmd.stdin(Stdio::piped()).stdout(Stdio::piped()).stderr(Stdio::piped()).spawn().unwrap();
    child.stdin.take().unwrap().write_all(stdin_text.as_bytes()).unwrap();
    child.wait_with_output().unwrap()
}

fn text(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

#[test]
fn status_and_read_json_through_pcscd() {
    let _g = lock();
    let p = persona("rare-kanji");
    let _placed = place(p.clone(), SLOT0);
    let out = run(madoguchi().args(["card", "status", "--reader", "PCD 00 00"]), "");
    let stdout = text(&out.stdout);
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert!(stdout.contains("* Virtual PCD 00 00: card present"), "{stdout}");
    assert!(stdout.contains("Virtual PCD 00 01: no card"), "{stdout}");
    assert!(stdout.contains("暗証番号の残り回数: 3"), "{stdout}");

    let out = run(madoguchi().args(["card", "read", "--reader", "PCD 00 00", "--json", "--my-number"]), "2468\n");
    assert!(out.status.success(), "{}", text(&out.stderr));
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["name"], p.name.expose());
    assert_eq!(v["address"], p.address.expose());
    assert_eq!(v["birth_date"], "1989-01-08");
    assert_eq!(v["sex"], "male");
    assert_eq!(v["my_number"], p.my_number.expose());
    // Nothing personal on stderr.
    let err = text(&out.stderr);
    assert!(!err.contains(p.name.expose()) && !err.contains(p.my_number.expose()), "{err}");

    // Without --my-number the 個人番号 is neither read nor printed.
    let out = run(madoguchi().args(["card", "read", "--reader", "PCD 00 00", "--json"]), "2468\n");
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert!(v.get("my_number").is_none());
}

#[test]
fn wrong_and_malformed_pins_give_exit_codes_and_japanese_messages() {
    let _g = lock();
    let placed = place(persona("typical"), SLOT0);
    let out = run(madoguchi().args(["card", "read", "--reader", "PCD 00 00"]), "12a4\n");
    assert_eq!(out.status.code(), Some(3));
    assert!(text(&out.stderr).contains("暗証番号は数字4桁で入力してください"));
    assert_eq!(placed.vicc.card().lock().unwrap().text_pin_tries(), 3, "malformed PIN cost nothing");
    let out = run(madoguchi().args(["card", "read", "--reader", "PCD 00 00"]), "0000\n");
    assert_eq!(out.status.code(), Some(3));
    assert!(text(&out.stderr).contains("あと2回"), "{}", text(&out.stderr));
    assert!(out.stdout.is_empty());
}

#[test]
fn locked_card_and_last_try_exit_4() {
    let _g = lock();
    let placed = place(persona("locked"), SLOT0);
    let out = run(madoguchi().args(["card", "read", "--reader", "PCD 00 00"]), "9999\n");
    assert_eq!(out.status.code(), Some(4));
    assert!(text(&out.stderr).contains("市区町村の窓口"));
    let out = run(madoguchi().args(["card", "status", "--reader", "PCD 00 00"]), "");
    assert!(text(&out.stdout).contains("locked"), "{}", text(&out.stdout));
    drop(placed);
    let _placed = place(persona("last-try"), SLOT0);
    let out = run(madoguchi().args(["card", "read", "--reader", "PCD 00 00"]), "4321\n");
    assert_eq!(out.status.code(), Some(4));
    let out = run(madoguchi().args(["card", "read", "--reader", "PCD 00 00", "--clerk-override"]), "4321\n");
    assert!(out.status.success(), "{}", text(&out.stderr));
}

#[test]
fn no_card_no_reader_and_no_pcscd_are_clear_errors() {
    let _g = lock();
    let empty = PcscReader::open(SLOT1.0).unwrap();
    empty.wait_for_removal(Duration::from_secs(3)).unwrap();
    let out = run(madoguchi().args(["card", "read", "--reader", "PCD 00 01"]), "1234\n");
    assert_eq!(out.status.code(), Some(1));
    let err = text(&out.stderr);
    assert!(err.contains("no card on the reader") && err.contains("カードを読み取り機に置いてください"), "{err}");

    let out = run(madoguchi().args(["card", "status", "--reader", "RC-S300"]), "");
    assert_eq!(out.status.code(), Some(1));
    assert!(text(&out.stderr).contains("カードリーダーが見つかりません"), "{}", text(&out.stderr));

    // libpcsclite finds pcscd through this socket path: pointing it at nothing is exactly
    // what a stopped pcscd looks like to the client, without stopping the shared daemon.
    let out = run(madoguchi().args(["card", "status"]).env("PCSCLITE_CSOCK_NAME", "/nonexistent/pcscd.comm"), "");
    assert_eq!(out.status.code(), Some(1));
    let err = text(&out.stderr);
    assert!(err.contains("pcscd") && err.contains("not running"), "{err}");
    assert!(err.contains("職員にお声がけください"), "{err}");
}

#[test]
fn sim_card_command_serves_pcscd_and_survives_opensc_probing() {
    let _g = lock();
    let empty = PcscReader::open(SLOT0.0).unwrap();
    empty.wait_for_removal(Duration::from_secs(3)).unwrap();
    let file = concat!(env!("CARGO_MANIFEST_DIR"), "/assets/personas/foreign-resident.toml");
    let mut sim =
        madoguchi().args(["sim-card", "--persona", file, "--port", "35963"]).stderr(Stdio::null()).spawn().unwrap();
    empty.wait_for_card(Duration::from_secs(5)).expect("the sim-card process places the card");

    // opensc-tool with the default driver: SELECT of the JPKI AID answers 90 00.
    let out = Command::new("opensc-tool")
        .args(["-r", "0", "-c", "default", "-s", "00:A4:04:0C:0A:D3:92:F0:00:26:01:00:00:00:01"])
        .output()
        .expect("opensc-tool is installed (tests/stack.sh install)");
    let o = text(&out.stdout);
    assert!(o.contains("SW1=0x90, SW2=0x00"), "{o}{}", text(&out.stderr));

    // Without -c, opensc probes every card driver (dozens of APDUs); the card must answer
    // each and stay usable.
    let _ = Command::new("opensc-tool").args(["-r", "0", "-n"]).output().unwrap();
    let out = run(madoguchi().args(["card", "read", "--reader", "PCD 00 00", "--json"]), "1357\n");
    assert!(out.status.success(), "{}", text(&out.stderr));
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["name"], "SMITH JOHN WILLIAM");

    sim.kill().unwrap();
    sim.wait().unwrap();
    empty.wait_for_removal(Duration::from_secs(3)).unwrap();
}

#[test]
fn virtual_reader_option_reads_without_pcscd() {
    let out = run(madoguchi().args(["card", "read", "--virtual", "typical", "--json"]), "1234\n");
    assert!(out.status.success(), "{}", text(&out.stderr));
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["birth_date"], "1985-04-12");
    let out = run(madoguchi().args(["card", "read", "--virtual", "no-such-persona"]), "1234\n");
    assert_eq!(out.status.code(), Some(1));
}
