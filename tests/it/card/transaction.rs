//! One card procedure = one PC/SC transaction (select → tries → VERIFY → read → reset),
//! through the real pcscd: another program's APDU cannot come in between, and the card is
//! reset (no verified state left) after every procedure that presented a PIN — also when it
//! failed after the VERIFY.

use crate::support::card_stack;

use std::time::{Duration, Instant};

use card_stack::{SLOT0, lock, persona, place};
use madoguchi::card::apdu::cmd;
use madoguchi::card::pcsc::PcscReader;
use madoguchi::card::sim::vpcd::{Fault, Trigger};
use madoguchi::card::sim::{JournalEntry, Power};
use madoguchi::card::text_ap::{JPKI_AP_AID, TEXT_AP_AID};
use madoguchi::card::{CardError, ReadRequest, Transport, cert, read_card, read_status, read_with};
use madoguchi::vocab::pin::Credential;
use madoguchi::vocab::pin::Pin;

fn pin(s: &str) -> Pin {
    Pin::parse(s).unwrap()
}

#[test]
fn no_other_program_gets_an_apdu_in_during_a_read() {
    let _g = lock();
    let mut placed = place(persona("typical"), SLOT0);
    // Hold the answer to the PIN VERIFY: without a transaction, another program's APDU
    // waiting for the reader goes in right after it, into our verified state.
    placed.vicc.script(Trigger::PinVerify, Fault::Delay(Duration::from_millis(400)));
    let card = placed.vicc.card().clone();
    let (ready_tx, ready) = std::sync::mpsc::channel();
    let other = std::thread::spawn(move || {
        // Another program: its own context and connection, made before the read starts so
        // that only its APDU is left to send.
        let mut r = PcscReader::open(SLOT0.0).unwrap();
        r.connect().unwrap();
        ready_tx.send(()).unwrap();
        let t = Instant::now();
        while !card.lock().unwrap().commands().iter().any(|c| c.is_pin_verify()) {
            assert!(t.elapsed() < Duration::from_secs(5), "the read never sent its VERIFY");
            std::thread::sleep(Duration::from_millis(1));
        }
        // The read is between its VERIFY and its READ BINARY now; the other program may
        // wait or be told the card is busy, but must not get in.
        let mut refused = 0;
        loop {
            match r.transmit(&cmd::select_df(&JPKI_AP_AID)) {
                // Its connection is handed back, to be closed only after the read: closing
                // resets the card, which would end the read for a reason of its own.
                Ok(resp) => return (resp.sw.0, refused, r),
                Err(_) => {
                    refused += 1;
                    assert!(t.elapsed() < Duration::from_secs(10), "the other program never got the card");
                    std::thread::sleep(Duration::from_millis(5));
                }
            }
        }
    });
    ready.recv().unwrap();
    placed.clear_journal();
    let out = read_card(&mut placed.reader, &pin("1234"), ReadRequest { my_number: true, ..Default::default() });
    let (sw, _refused, other_reader) = other.join().unwrap();
    assert_eq!(sw, 0x9000);
    let journal = placed.journal();
    drop(other_reader);
    // The other program sends one command (SELECT of the JPKI AP); everything else is the read.
    let intruder = journal
        .iter()
        .position(|e| matches!(e, JournalEntry::Command(c) if c.selected.as_deref() == Some(&JPKI_AP_AID[..])))
        .expect("the other program's SELECT reached the card");
    let read_ends =
        journal.iter().rposition(|e| matches!(e, JournalEntry::Command(_)) && !std::ptr::eq(e, &journal[intruder]));
    let read_ends = read_ends.expect("the read reached the card");
    assert!(
        read_ends < intruder,
        "the other program got in before the read was over (its APDU is #{intruder}, the read ends at #{read_ends}): {journal:?}"
    );
    assert!(
        journal[read_ends..intruder].contains(&JournalEntry::Power(Power::Reset)),
        "the other program came before the reset that ends the read: {journal:?}"
    );
    assert!(out.is_ok(), "{:?}", out.err());
}

#[test]
fn the_card_is_reset_after_a_pin_also_when_the_read_fails_after_it() {
    let _g = lock();
    let mut placed = place(persona("typical"), SLOT0);
    let ends_with_reset = |placed: &card_stack::Placed| {
        let j = placed.journal();
        let last_cmd = j.iter().rposition(|e| matches!(e, JournalEntry::Command(_))).unwrap();
        j[last_cmd..].contains(&JournalEntry::Power(Power::Reset))
    };

    read_card(&mut placed.reader, &pin("1234"), ReadRequest::default()).unwrap();
    assert!(ends_with_reset(&placed), "{:?}", placed.journal());
    assert!(!placed.vicc.card().lock().unwrap().any_verified(), "no verified state left after a read");
    // pcscd tells our own handle about our reset too; the next plain APDU still goes through.
    let r = placed.reader.transmit(&cmd::select_df(&TEXT_AP_AID)).expect("an APDU right after our own reset");
    assert_eq!(r.sw.0, 0x9000);

    // The card fails the READ after a correct VERIFY: the procedure still resets it.
    placed.clear_journal();
    placed.vicc.script(Trigger::ReadBinary, Fault::Status(0x6F00));
    let f = read_with(&mut placed.reader, Credential::Pin(&pin("1234")), ReadRequest::default()).unwrap_err();
    assert!(matches!(f.error, CardError::UnexpectedStatus { command: "READ BINARY", .. }), "{f:?}");
    assert!(f.verify_sent);
    assert!(ends_with_reset(&placed), "{:?}", placed.journal());
    assert!(!placed.vicc.card().lock().unwrap().any_verified(), "no verified state left after the failure");

    // And after a wrong PIN.
    placed.clear_journal();
    let e = read_card(&mut placed.reader, &pin("0000"), ReadRequest::default()).unwrap_err();
    assert_eq!(e, CardError::WrongPin { tries_left: 2 });
    assert!(ends_with_reset(&placed));

    // The same connection goes on working after its own resets.
    let out = read_card(&mut placed.reader, &pin("1234"), ReadRequest::default()).unwrap();
    assert_eq!(out.tries_before, 2);

    // No PIN, no reset: the status check leaves the card as it was.
    placed.clear_journal();
    read_status(&mut placed.reader, cert::today_jst()).unwrap();
    assert!(!placed.journal().contains(&JournalEntry::Power(Power::Reset)), "{:?}", placed.journal());
    let first = placed.commands().first().cloned().unwrap();
    assert_eq!(first.selected.as_deref(), Some(&TEXT_AP_AID[..]), "a procedure starts by selecting its AP");
}
