//! `madoguchi card …` and `madoguchi sim-card` as a clerk or administrator runs them, and
//! opensc-tool against the virtual card, all through the real pcscd.

use crate::support::card_stack;

use std::io::Write;
use std::process::{Command, Output, Stdio};
use std::time::Duration;

use card_stack::{SLOT0, SLOT1, lock, persona, place};
use madoguchi::card::pcsc::PcscReader;
use madoguchi::card::sim::vpcd::{Fault, Trigger};

fn madoguchi() -> Command {
    Command::new(env!("CARGO_BIN_EXE_madoguchi"))
}

/// Run with `stdin_text` piped in (how a PIN reaches the CLI without a terminal).
fn run(cmd: &mut Command, stdin_text: &str) -> Output {
    let mut child = cmd.stdin(Stdio::piped()).stdout(Stdio::piped()).stderr(Stdio::piped()).spawn().unwrap();
    // A command that needs no PIN may exit before reading it: a broken pipe is not a failure.
    let _ = child.stdin.take().unwrap().write_all(stdin_text.as_bytes());
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
    assert!(stdout.contains("券面事項入力補助用暗証番号(数字4桁): 3 tries left / 残り3回"), "{stdout}");

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

/// `card read --wait` with the PIN on stdin, running while the test handles the card.
fn spawn_wait_read(extra: &[&str], pin: &str) -> std::process::Child {
    let mut child = madoguchi()
        .args(["card", "read", "--reader", "PCD 00 00", "--wait", "10", "--json"])
        .args(extra)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    child.stdin.take().unwrap().write_all(pin.as_bytes()).unwrap();
    child
}

#[test]
fn wait_retries_after_a_removal_before_the_pin_was_sent() {
    let _g = lock();
    let p = persona("typical");
    let mut placed = place(p.clone(), SLOT0);
    // Pulled at the tries query, just before the PIN would have gone.
    placed.vicc.script(Trigger::EmptyVerify, Fault::RemoveBefore);
    let child = spawn_wait_read(&[], "1234\n");
    placed.await_fault_removal(Duration::from_secs(10));
    placed.reinsert();
    let out = child.wait_with_output().unwrap();
    assert!(out.status.success(), "{}", text(&out.stderr));
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["name"], p.name.expose());
    assert_eq!(placed.commands().iter().filter(|c| c.is_pin_verify()).count(), 1, "the PIN went once");
    assert_eq!(placed.counters().0, 3);
}

#[test]
fn wait_never_retries_once_the_pin_reached_the_card() {
    let _g = lock();
    let mut placed = place(persona("typical"), SLOT0);
    // A wrong PIN: the card counts it and answers, then the card is pulled.
    placed.vicc.script(Trigger::PinVerify, Fault::RemoveAfter);
    let child = spawn_wait_read(&[], "0000\n");
    placed.await_fault_removal(Duration::from_secs(10));
    // Put it straight back: a retry would spend a second try here.
    placed.reinsert();
    let out = child.wait_with_output().unwrap();
    assert_eq!(out.status.code(), Some(1), "{}", text(&out.stderr));
    let err = text(&out.stderr);
    assert!(err.contains("not retried") && err.contains("やり直しません"), "{err}");
    assert!(out.stdout.is_empty());
    assert_eq!(placed.counters().0, 2, "exactly one try spent, by the card's own counter");
    assert_eq!(placed.commands().iter().filter(|c| c.is_pin_verify()).count(), 1);
}

#[test]
fn wait_never_carries_the_clerk_override_into_a_retry() {
    let _g = lock();
    let mut placed = place(persona("last-try"), SLOT0);
    placed.vicc.script(Trigger::EmptyVerify, Fault::RemoveBefore);
    let child = spawn_wait_read(&["--clerk-override"], "0000\n");
    placed.await_fault_removal(Duration::from_secs(10));
    placed.reinsert();
    let out = child.wait_with_output().unwrap();
    // The retry is a new attempt: at the last try it asks for the clerk again.
    assert_eq!(out.status.code(), Some(4), "{}", text(&out.stderr));
    assert!(text(&out.stderr).contains("職員"), "{}", text(&out.stderr));
    assert_eq!(placed.counters().0, 1, "the last try is still there");
    assert!(!placed.commands().iter().any(|c| c.is_pin_verify()), "no PIN reached the card");
}

#[test]
fn wait_never_sends_the_pin_to_a_different_card() {
    let _g = lock();
    let mut placed = place(persona("typical"), SLOT0);
    placed.vicc.script(Trigger::EmptyVerify, Fault::RemoveBefore);
    let child = spawn_wait_read(&[], "1234\n");
    placed.await_fault_removal(Duration::from_secs(10));
    drop(placed);
    // Resident B's card goes on the reader while A's PIN waits for a retry.
    let other = place(persona("long-address"), SLOT0);
    let out = child.wait_with_output().unwrap();
    assert_eq!(out.status.code(), Some(1), "{}", text(&out.stderr));
    assert!(text(&out.stderr).contains("別のカード"), "{}", text(&out.stderr));
    assert!(!other.commands().iter().any(|c| c.is_pin_verify()), "card B never saw A's PIN");
    assert_eq!(other.counters().0, 3);
}
