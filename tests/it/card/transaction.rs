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
use madoguchi::card::sim::{Event, Power};
use madoguchi::card::text_ap::{JPKI_AP_AID, TEXT_AP_AID};
use madoguchi::card::{CardError, Credential, Pin, ReadRequest, Transport, cert, read_card, read_status, read_with};

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
    let other = std::thread::spawn(move || {
        let t = Instant::now();
        while !card.lock().unwrap().commands().iter().any(|c| c.is_pin_verify()) {
            assert!(t.elapsed() < Duration::from_secs(5), "the read never sent its VERIFY");
            std::thread::sleep(Duration::from_millis(2));
        }
        // Another program (own context, own connection) tries while the read is between
        // its VERIFY and its READ BINARY; it may wait or be told the card is busy.
        let mut r = PcscReader::open(SLOT0.0).unwrap();
        let mut refused = 0;
        loop {
            match r.transmit(&cmd::select_df(&JPKI_AP_AID)) {
                Ok(resp) => return (resp.sw.0, refused),
                Err(_) => {
                    refused += 1;
                    assert!(t.elapsed() < Duration::from_secs(10), "the other program never got the card");
                    std::thread::sleep(Duration::from_millis(5));
                }
            }
        }
    });
    let out = read_card(&mut placed.reader, &pin("1234"), ReadRequest { my_number: true, ..Default::default() });
    assert!(out.is_ok(), "{:?}", out.err());
    let (sw, _refused) = other.join().unwrap();
    assert_eq!(sw, 0x9000);
    let journal = placed.journal();
    let pos = |f: &dyn Fn(&Event) -> bool| journal.iter().rposition(f);
    let last_read = pos(&|e| matches!(e, Event::Command(c) if c.is_read_binary())).unwrap();
    let reset = last_read
        + journal[last_read..]
            .iter()
            .position(|e| matches!(e, Event::Power(Power::Reset)))
            .expect("the read ended with a reset");
    let intruder = pos(&|e| matches!(e, Event::Command(c) if c.selected.as_deref() == Some(&JPKI_AP_AID[..])))
        .expect("the other program's SELECT reached the card");
    assert!(
        last_read < reset && reset < intruder,
        "the other program got in before the read was over: read ends at {last_read}, reset at {reset}, other at {intruder}: {journal:?}"
    );
}

#[test]
fn the_card_is_reset_after_a_pin_also_when_the_read_fails_after_it() {
    let _g = lock();
    let mut placed = place(persona("typical"), SLOT0);
    let ends_with_reset = |placed: &card_stack::Placed| {
        let j = placed.journal();
        let last_cmd = j.iter().rposition(|e| matches!(e, Event::Command(_))).unwrap();
        j[last_cmd..].contains(&Event::Power(Power::Reset))
    };

    read_card(&mut placed.reader, &pin("1234"), ReadRequest::default()).unwrap();
    assert!(ends_with_reset(&placed), "{:?}", placed.journal());
    assert!(!placed.vicc.card().lock().unwrap().any_verified(), "no verified state left after a read");

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
    assert!(!placed.journal().contains(&Event::Power(Power::Reset)), "{:?}", placed.journal());
    let first = placed.commands().first().cloned().unwrap();
    assert_eq!(first.selected.as_deref(), Some(&TEXT_AP_AID[..]), "a procedure starts by selecting its AP");
}
