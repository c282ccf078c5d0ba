//! In-process tests of the virtual card and the text-AP procedure (no pcscd involved; the
//! same flows run through pcscd + vpcd in tests/card_pcsc.rs).

use super::persona::builtin_by_id;
use super::{InProcess, VirtualCard, shared};
use crate::card::CardError;
use crate::card::apdu::StatusWord;
use crate::card::text_ap::{self, JPKI_AP_AID, LastTry, ReadRequest, TEXT_AP_AID};
use crate::card::transport::Counting;
use crate::vocab::person::Sex;
use crate::vocab::pin::Pin;

fn persona(id: &str) -> super::Persona {
    builtin_by_id(id).unwrap_or_else(|| panic!("built-in persona {id} missing"))
}

fn sw(card: &mut VirtualCard, apdu: &[u8]) -> u16 {
    let r = card.process(apdu);
    u16::from_be_bytes([r[r.len() - 2], r[r.len() - 1]])
}

#[test]
fn reads_typical_persona_in_six_apdus() {
    let p = persona("typical");
    let mut t = Counting::new(InProcess::from_persona(p.clone()));
    let out = text_ap::read_card(&mut t, &Pin::parse("1234").unwrap(), ReadRequest::default()).unwrap();
    assert_eq!(out.attributes.name.expose(), p.name.expose());
    assert_eq!(out.attributes.sex, Sex::Male);
    assert!(out.my_number.is_none(), "個人番号 must not be read unless asked");
    assert_eq!(out.tries_before, 3);
    assert_eq!(t.count, 6);
    let mut t = Counting::new(InProcess::from_persona(p.clone()));
    let req = ReadRequest { my_number: true, ..Default::default() };
    let out = text_ap::read_card(&mut t, &Pin::parse("1234").unwrap(), req).unwrap();
    assert_eq!(out.my_number.unwrap().expose(), p.my_number.expose());
    assert_eq!(t.count, 8);
}

#[test]
fn long_record_is_read_in_chunks() {
    let p = persona("long-address");
    let mut t = Counting::new(InProcess::from_persona(p.clone()));
    let out = text_ap::read_card(&mut t, &Pin::parse("5678").unwrap(), ReadRequest::default()).unwrap();
    assert_eq!(out.attributes.address.expose(), p.address.expose());
    assert_eq!(t.count, 7, "one extra READ BINARY for the part past 256 bytes");
}

#[test]
fn pin_counter_and_refusal_at_last_try() {
    let card = shared(persona("typical"));
    let mut t = InProcess::new(card.clone());
    let wrong = Pin::parse("0000").unwrap();
    let right = Pin::parse("1234").unwrap();
    let e = text_ap::read_card(&mut t, &wrong, ReadRequest::default()).unwrap_err();
    assert_eq!(e, CardError::WrongPin { tries_left: 2 });
    let e = text_ap::read_card(&mut t, &wrong, ReadRequest::default()).unwrap_err();
    assert_eq!(e, CardError::WrongPin { tries_left: 1 });
    // One try left: even the right PIN is not sent without a clerk.
    let e = text_ap::read_card(&mut t, &right, ReadRequest::default()).unwrap_err();
    assert_eq!(e, CardError::LastTryRefused);
    assert_eq!(card.lock().unwrap().text_pin_tries(), 1, "refusal must not consume a try");
    let req = ReadRequest { last_try: LastTry::ClerkOverride, ..Default::default() };
    let out = text_ap::read_card(&mut t, &right, req).unwrap();
    assert_eq!(out.tries_before, 1);
    assert_eq!(text_ap::pin_status(&mut t).unwrap(), 3, "a correct PIN resets the counter");
}

#[test]
fn override_with_wrong_pin_locks_and_lock_answers_differ() {
    let mut t = InProcess::from_persona(persona("last-try"));
    let req = ReadRequest { last_try: LastTry::ClerkOverride, ..Default::default() };
    let e = text_ap::read_card(&mut t, &Pin::parse("0000").unwrap(), req).unwrap_err();
    assert_eq!(e, CardError::PinLocked { sw: StatusWord(0x63C0) });
    // Afterwards the persona's lock answer (6984) is what the card gives.
    let e = text_ap::pin_status(&mut t).unwrap_err();
    assert_eq!(e, CardError::PinLocked { sw: StatusWord(0x6984) });
    let mut t = InProcess::from_persona(persona("locked-63c0"));
    let e = text_ap::read_card(&mut t, &Pin::parse("0000").unwrap(), ReadRequest::default()).unwrap_err();
    assert_eq!(e, CardError::PinLocked { sw: StatusWord(0x63C0) });
}

#[test]
fn empty_verify_never_consumes_a_try() {
    let mut card = VirtualCard::new(persona("typical"));
    let mut select = vec![0x00, 0xA4, 0x04, 0x0C, 0x0A];
    select.extend_from_slice(&TEXT_AP_AID);
    assert_eq!(sw(&mut card, &select), 0x9000);
    assert_eq!(sw(&mut card, &[0x00, 0xA4, 0x02, 0x0C, 0x02, 0x00, 0x11]), 0x9000);
    for _ in 0..10 {
        assert_eq!(sw(&mut card, &[0x00, 0x20, 0x00, 0x80]), 0x63C3);
    }
    assert_eq!(card.text_pin_tries(), 3);
}

#[test]
fn security_state_is_per_application_and_lost_on_reset() {
    let mut card = VirtualCard::new(persona("typical"));
    let mut t_sel = vec![0x00, 0xA4, 0x04, 0x0C, 0x0A];
    t_sel.extend_from_slice(&TEXT_AP_AID);
    let mut j_sel = vec![0x00, 0xA4, 0x04, 0x0C, 0x0A];
    j_sel.extend_from_slice(&JPKI_AP_AID);
    let verify = [0x00, 0x20, 0x00, 0x80, 0x04, b'1', b'2', b'3', b'4'];
    let sel_pin = [0x00, 0xA4, 0x02, 0x0C, 0x02, 0x00, 0x11];
    let sel_0002 = [0x00, 0xA4, 0x02, 0x0C, 0x02, 0x00, 0x02];
    let read = [0x00, 0xB0, 0x00, 0x00, 0x00];
    for apdu in [&t_sel[..], &sel_pin, &verify, &sel_0002] {
        assert_eq!(sw(&mut card, apdu), 0x9000);
    }
    assert_eq!(sw(&mut card, &read), 0x9000);
    // Another AP, then back: the PIN must be verified again.
    assert_eq!(sw(&mut card, &j_sel), 0x9000);
    assert_eq!(sw(&mut card, &t_sel), 0x9000);
    assert_eq!(sw(&mut card, &sel_0002), 0x9000);
    assert_eq!(sw(&mut card, &read), 0x6982);
    for apdu in [&sel_pin[..], &verify, &sel_0002] {
        assert_eq!(sw(&mut card, apdu), 0x9000);
    }
    card.reset();
    assert_eq!(sw(&mut card, &read), 0x6986, "no current EF after reset");
}

#[test]
fn everything_unknown_gets_an_error_status() {
    let mut card = VirtualCard::new(persona("typical"));
    for apdu in [
        &[0x00, 0xCA, 0x01, 0x00, 0x00][..], // GET DATA
        &[0x00, 0xC0, 0x00, 0x00, 0x10],     // GET RESPONSE
        &[0x00, 0xA4, 0x04, 0x00, 0x05, 0xA0, 0x00, 0x00, 0x00, 0x03, 0x00],
        &[0x00, 0xA4, 0x00, 0x00, 0x02, 0x3F, 0x00],
        &[0x84, 0x20, 0x00, 0x80],
        &[0x00, 0xB0, 0x00, 0x00, 0x10], // nothing selected
        &[0x00],
        &[0x00, 0xA4, 0x04, 0x0C, 0x09, 1],
    ] {
        let s = sw(&mut card, apdu);
        assert_ne!(s, 0x9000, "{apdu:02X?}");
    }
    // offset beyond the EF
    let mut sel = vec![0x00, 0xA4, 0x04, 0x0C, 0x0A];
    sel.extend_from_slice(&JPKI_AP_AID);
    assert_eq!(sw(&mut card, &sel), 0x9000);
    assert_eq!(sw(&mut card, &[0x00, 0xA4, 0x02, 0x0C, 0x02, 0x00, 0x06]), 0x9000);
    assert_eq!(sw(&mut card, &[0x00, 0xB0, 0x00, 0x20, 0x01]), 0x6B00);
    let r = card.process(&[0x00, 0xB0, 0x00, 0x00, 0x00]);
    assert_eq!(&r[..15], b"JPKIAPICCTOKEN2");
    assert_eq!(r.len(), 32 + 2, "token EF is 32 bytes, space padded");
}

#[test]
fn removed_card_is_a_typed_error() {
    let mut t = InProcess::from_persona(persona("typical"));
    t.set_present(false);
    let e = text_ap::pin_status(&mut t).unwrap_err();
    assert!(e.needs_card_again());
    t.set_present(true);
    assert_eq!(text_ap::pin_status(&mut t).unwrap(), 3);
}

fn pin_b(p: &super::Persona) -> crate::vocab::pin::PinB {
    crate::vocab::pin::PinB::parse(p.pin_b.expose()).unwrap()
}

#[test]
fn pin_b_opens_basic_four_but_not_the_my_number() {
    use crate::card::{PinKind, read_with};
    use crate::vocab::pin::Credential;
    let p = persona("typical");
    let card = shared(p.clone());
    let out = read_with(InProcess::new(card.clone()), Credential::PinB(&pin_b(&p)), ReadRequest::default()).unwrap();
    assert_eq!(out.attributes.name.expose(), p.name.expose());
    assert_eq!(out.credential, PinKind::PinB);
    assert_eq!(out.tries_before, 10);
    assert!(out.my_number.is_none());
    {
        let c = card.lock().unwrap();
        let verifies: Vec<_> = c.commands().into_iter().filter(|c| c.is_pin_verify()).collect();
        assert_eq!(verifies.len(), 1);
        assert_eq!((verifies[0].ef, verifies[0].data_len), (Some(0x0015), 14), "VERIFY of EF 0015 with 14 digits");
        assert_eq!(c.text_pin_tries(), 3, "the 4-digit PIN's counter is not touched");
    }
    // Asking for the 個人番号 with 照合番号B is refused before anything reaches the card.
    card.lock().unwrap().clear_journal();
    let req = ReadRequest { my_number: true, ..Default::default() };
    let e = read_with(InProcess::new(card.clone()), Credential::PinB(&pin_b(&p)), req).unwrap_err();
    assert_eq!(e, crate::card::ReadFailure { error: CardError::MyNumberNeedsPin, verify_sent: false });
    assert!(card.lock().unwrap().journal().is_empty());
}

#[test]
fn the_card_itself_refuses_the_my_number_after_pin_b() {
    let p = persona("typical");
    let mut card = VirtualCard::new(p.clone());
    let mut select = vec![0x00, 0xA4, 0x04, 0x0C, 0x0A];
    select.extend_from_slice(&TEXT_AP_AID);
    assert_eq!(sw(&mut card, &select), 0x9000);
    assert_eq!(sw(&mut card, &[0x00, 0xA4, 0x02, 0x0C, 0x02, 0x00, 0x15]), 0x9000);
    assert_eq!(sw(&mut card, &[0x00, 0x20, 0x00, 0x80]), 0x63CA, "10 tries (configurable; the real number is unknown)");
    let mut verify = vec![0x00, 0x20, 0x00, 0x80, 14];
    verify.extend_from_slice(p.pin_b.expose().as_bytes());
    assert_eq!(sw(&mut card, &verify), 0x9000);
    assert_eq!(sw(&mut card, &[0x00, 0xA4, 0x02, 0x0C, 0x02, 0x00, 0x01]), 0x9000);
    assert_eq!(sw(&mut card, &[0x00, 0xB0, 0x00, 0x00, 0x11]), 0x6982, "EF 0001 needs the PIN (or 照合番号A)");
    assert_eq!(sw(&mut card, &[0x00, 0xA4, 0x02, 0x0C, 0x02, 0x00, 0x02]), 0x9000);
    assert_eq!(sw(&mut card, &[0x00, 0xB0, 0x00, 0x00, 0x07]), 0x9000);
}

#[test]
fn wrong_pin_b_counts_on_its_own_counter_and_the_last_try_needs_a_clerk() {
    use crate::card::read_with;
    use crate::vocab::pin::Credential;
    let p = persona("typical");
    let card = shared(p.clone());
    let wrong = crate::vocab::pin::PinB::parse("60041220340000").unwrap();
    let f = read_with(InProcess::new(card.clone()), Credential::PinB(&wrong), ReadRequest::default()).unwrap_err();
    assert_eq!(f, crate::card::ReadFailure { error: CardError::WrongPinB { tries_left: 9 }, verify_sent: true });
    assert!(f.error.message_ja().contains("あと9回"));
    {
        let c = card.lock().unwrap();
        assert_eq!((c.pin_b_tries(), c.text_pin_tries()), (9, 3));
    }
    let last = persona("pin-b-last-try");
    let card = shared(last.clone());
    let f =
        read_with(InProcess::new(card.clone()), Credential::PinB(&pin_b(&last)), ReadRequest::default()).unwrap_err();
    assert_eq!(f, crate::card::ReadFailure { error: CardError::PinBLastTryRefused, verify_sent: false });
    assert_eq!(card.lock().unwrap().pin_b_tries(), 1, "refused before the VERIFY");
    assert_eq!(crate::card::pin_b_status(InProcess::new(card.clone())), Ok(1));
    let req = ReadRequest { last_try: LastTry::ClerkOverride, ..Default::default() };
    let out = read_with(InProcess::new(card.clone()), Credential::PinB(&pin_b(&last)), req).unwrap();
    assert_eq!(out.tries_before, 1);
    assert_eq!(card.lock().unwrap().pin_b_tries(), 10, "a correct entry resets the counter");
}

#[test]
fn every_procedure_with_a_pin_ends_with_a_reset() {
    use super::Power;
    use super::card::JournalEntry;
    let card = shared(persona("typical"));
    let mut t = InProcess::new(card.clone());
    text_ap::read_card(&mut t, &Pin::parse("1234").unwrap(), ReadRequest::default()).unwrap();
    {
        let c = card.lock().unwrap();
        assert!(!c.any_verified(), "nothing verified is left behind");
        assert_eq!(c.journal().last(), Some(&JournalEntry::Power(Power::Reset)));
    }
    let _ = text_ap::read_card(&mut t, &Pin::parse("0000").unwrap(), ReadRequest::default());
    assert_eq!(
        card.lock().unwrap().journal().last(),
        Some(&JournalEntry::Power(Power::Reset)),
        "after a wrong PIN too"
    );
    card.lock().unwrap().clear_journal();
    text_ap::pin_status(&mut t).unwrap();
    let j = card.lock().unwrap().journal();
    assert!(!j.contains(&JournalEntry::Power(Power::Reset)), "no PIN, no reset: {j:?}");
}

#[test]
fn read_failures_say_whether_a_verify_was_sent() {
    use crate::card::read_with;
    use crate::vocab::pin::Credential;
    let pin = Pin::parse("0000").unwrap();
    let f = read_with(InProcess::from_persona(persona("typical")), Credential::Pin(&pin), ReadRequest::default())
        .unwrap_err();
    assert!(f.verify_sent, "a wrong PIN reached the card");
    let f = read_with(InProcess::from_persona(persona("last-try")), Credential::Pin(&pin), ReadRequest::default())
        .unwrap_err();
    assert_eq!((f.error, f.verify_sent), (CardError::LastTryRefused, false));
    let f = read_with(InProcess::from_persona(persona("locked")), Credential::Pin(&pin), ReadRequest::default())
        .unwrap_err();
    assert_eq!((f.error, f.verify_sent), (CardError::PinLocked { sw: StatusWord(0x6984) }, false));
    let mut gone = InProcess::from_persona(persona("typical"));
    gone.set_present(false);
    let f = read_with(&mut gone, Credential::Pin(&pin), ReadRequest::default()).unwrap_err();
    assert!(f.error.needs_card_again() && !f.verify_sent);
    let f = read_with(InProcess::from_persona(persona("other-card")), Credential::Pin(&pin), ReadRequest::default())
        .unwrap_err();
    assert_eq!((f.error, f.verify_sent), (CardError::UnknownCard, false));
}
