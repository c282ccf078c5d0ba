//! The card layer through the real stack: pcsc crate → pcscd → vsmartcard vpcd → the
//! project's virtual card (vpcd client).

use crate::support::card_stack;

use std::time::{Duration, Instant};

use card_stack::{SLOT0, SLOT1, lock, persona, place};
use madoguchi::card::apdu::{StatusWord, cmd};
use madoguchi::card::pcsc::PcscReader;
use madoguchi::card::sim::jpki;
use madoguchi::card::text_ap::{self, JPKI_AP_AID, LastTry, ReadRequest};
use madoguchi::card::{CardError, Transport, TransportError};
use madoguchi::vocab::person::Sex;
use madoguchi::vocab::pin::Credential;
use madoguchi::vocab::pin::Pin;

fn pin(s: &str) -> Pin {
    Pin::parse(s).unwrap()
}

#[test]
fn every_readable_persona_reads_through_pcscd() {
    let _g = lock();
    for (id, p_in, sex) in [
        ("typical", "1234", Sex::Male),
        ("long-address", "5678", Sex::Female),
        ("rare-kanji", "2468", Sex::Male),
        ("foreign-resident", "1357", Sex::Male),
    ] {
        let p = persona(id);
        let mut placed = place(p.clone(), SLOT0);
        let req = ReadRequest { my_number: true, ..Default::default() };
        let out = text_ap::read_card(&mut placed.reader, &pin(p_in), req).unwrap_or_else(|e| panic!("{id}: {e}"));
        assert_eq!(out.attributes.name.expose(), p.name.expose(), "{id}");
        assert_eq!(out.attributes.address.expose(), p.address.expose(), "{id}");
        assert_eq!(out.attributes.birth_date.date(), p.birth_date.date(), "{id}");
        assert_eq!(out.attributes.sex, sex, "{id}");
        assert_eq!(out.my_number.as_ref().map(|n| n.expose().to_string()), Some(p.my_number.expose().to_string()));
        assert_eq!(out.tries_before, 3);
    }
    // The persona whose EF 0002 exceeds 256 bytes needs a second READ BINARY.
    let mut placed = place(persona("long-address"), SLOT0);
    let before = placed.vicc.stats().apdus();
    text_ap::read_card(&mut placed.reader, &pin("5678"), ReadRequest::default()).unwrap();
    assert_eq!(placed.vicc.stats().apdus() - before, 7);
}

#[test]
fn wrong_pin_decrements_then_last_try_needs_override() {
    let _g = lock();
    let mut placed = place(persona("typical"), SLOT0);
    // The virtual card's own counter is the judge at every step, not what the card layer says.
    let own = |p: &card_stack::Placed| p.counters().0;
    assert_eq!(text_ap::pin_status(&mut placed.reader).unwrap(), 3);
    assert_eq!(own(&placed), 3);
    let e = text_ap::read_card(&mut placed.reader, &pin("0000"), ReadRequest::default()).unwrap_err();
    assert_eq!(e, CardError::WrongPin { tries_left: 2 });
    assert!(e.message_ja().contains("2回"));
    assert_eq!(own(&placed), 2, "one wrong PIN, one try");
    for _ in 0..3 {
        assert_eq!(text_ap::pin_status(&mut placed.reader).unwrap(), 2, "the empty VERIFY itself consumes nothing");
    }
    assert_eq!(own(&placed), 2);
    let e = text_ap::read_card(&mut placed.reader, &pin("0000"), ReadRequest::default()).unwrap_err();
    assert_eq!(e, CardError::WrongPin { tries_left: 1 });
    assert_eq!(own(&placed), 1);
    placed.clear_journal();
    let e = text_ap::read_card(&mut placed.reader, &pin("1234"), ReadRequest::default()).unwrap_err();
    assert_eq!(e, CardError::LastTryRefused);
    assert_eq!(own(&placed), 1, "refused at the last try");
    assert!(!placed.commands().iter().any(|c| c.is_pin_verify()), "no VERIFY reached the card");
    let req = ReadRequest { last_try: LastTry::ClerkOverride, ..Default::default() };
    let out = text_ap::read_card(&mut placed.reader, &pin("1234"), req).unwrap();
    assert_eq!(out.tries_before, 1);
    assert_eq!(own(&placed), 3, "the correct PIN reset the counter");
    assert_eq!(text_ap::pin_status(&mut placed.reader).unwrap(), 3);
}

#[test]
fn last_try_persona_and_both_lock_answers() {
    let _g = lock();
    let mut placed = place(persona("last-try"), SLOT0);
    let e = text_ap::read_card(&mut placed.reader, &pin("4321"), ReadRequest::default()).unwrap_err();
    assert_eq!(e, CardError::LastTryRefused);
    assert!(e.message_ja().contains("職員"));
    let req = ReadRequest { last_try: LastTry::ClerkOverride, ..Default::default() };
    text_ap::read_card(&mut placed.reader, &pin("4321"), req).unwrap();
    drop(placed);

    for (id, sw) in [("locked", 0x6984), ("locked-63c0", 0x63C0)] {
        let mut placed = place(persona(id), SLOT0);
        let e = text_ap::read_card(&mut placed.reader, &pin("9999"), ReadRequest::default()).unwrap_err();
        assert_eq!(e, CardError::PinLocked { sw: StatusWord(sw) }, "{id}");
        assert!(e.message_ja().contains("市区町村の窓口"), "{id}");
        let e = text_ap::pin_status(&mut placed.reader).unwrap_err();
        assert_eq!(e, CardError::PinLocked { sw: StatusWord(sw) });
    }
}

#[test]
fn card_removed_at_each_step_of_a_read_then_read_after_reinsert() {
    let _g = lock();
    let p = persona("long-address"); // 9 APDUs with the 個人番号: every step of the read
    let mut placed = place(p.clone(), SLOT0);
    let req = ReadRequest { my_number: true, ..Default::default() };
    for step in 1..=9 {
        placed.vicc.remove_on_apdu(step);
        let f = text_ap::read_with(&mut placed.reader, Credential::Pin(&pin("5678")), req).unwrap_err();
        assert!(placed.vicc.removed_by_fault(), "step {step}: fault did not fire");
        assert!(f.error.needs_card_again(), "step {step}: got {f:?}");
        assert!(
            matches!(
                f.error,
                CardError::Transport(
                    TransportError::CardRemoved | TransportError::NoCard | TransportError::Unresponsive
                )
            ),
            "step {step}: {f:?}"
        );
        // SELECT AP, SELECT EF, empty VERIFY come before the PIN (step 4).
        assert_eq!(f.verify_sent, step >= 4, "step {step}");
        placed.remove();
        // While the card is off, a read says so instead of hanging.
        let e = text_ap::pin_status(&mut placed.reader).unwrap_err();
        assert!(e.needs_card_again(), "step {step} (card off): {e:?}");
        placed.reinsert();
        let out = text_ap::read_card(&mut placed.reader, &pin("5678"), req)
            .unwrap_or_else(|e| panic!("step {step}: read after reinsert failed: {e}"));
        assert_eq!(out.attributes.address.expose(), p.address.expose());
    }
}

#[test]
fn a_wrong_pin_costs_a_try_only_when_the_card_answered_it() {
    use madoguchi::card::sim::vpcd::{Fault, Trigger};
    let _g = lock();
    let mut placed = place(persona("typical"), SLOT0);
    // A wrong PIN's read is 4 APDUs: SELECT AP, SELECT PIN EF, empty VERIFY, VERIFY. Pull
    // the card before the card sees each one, and right after it answered each one.
    for step in 1..=4u64 {
        for fault in [Fault::RemoveBefore, Fault::RemoveAfter] {
            let before = placed.counters().0;
            placed.vicc.script(Trigger::Nth(step), fault);
            let f = text_ap::read_with(&mut placed.reader, Credential::Pin(&pin("0000")), ReadRequest::default())
                .unwrap_err();
            assert!(placed.vicc.removed_by_fault(), "step {step} {fault:?}: fault did not fire");
            assert!(f.error.needs_card_again(), "step {step} {fault:?}: {f:?}");
            assert_eq!(f.verify_sent, step == 4, "step {step} {fault:?}: whether the PIN was handed to the card");
            let spent = step == 4 && fault == Fault::RemoveAfter;
            let after = placed.counters().0;
            assert_eq!(after, before - u8::from(spent), "step {step} {fault:?}: the card's own counter");
            placed.remove();
            placed.reinsert();
            // What the kiosk is told afterwards is what the card counted.
            assert_eq!(text_ap::pin_status(&mut placed.reader), Ok(after), "step {step} {fault:?}");
            if after == 1 {
                // Keep the card usable for the next round: a correct PIN with the override.
                let req = ReadRequest { last_try: LastTry::ClerkOverride, ..Default::default() };
                text_ap::read_card(&mut placed.reader, &pin("1234"), req).unwrap();
            }
        }
    }
    assert!(placed.counters().0 >= 2, "never locked by removals");
}

#[test]
fn waits_for_insert_and_reports_no_card() {
    let _g = lock();
    let reader = PcscReader::open("00 01").unwrap();
    reader.wait_for_removal(Duration::from_secs(3)).unwrap();
    assert!(!reader.card_present().unwrap());
    let mut empty = PcscReader::open(SLOT1.0).unwrap();
    let e = text_ap::pin_status(&mut empty).unwrap_err();
    assert_eq!(e, CardError::Transport(TransportError::NoCard));
    assert_eq!(e.message_ja(), "カードを読み取り機に置いてください。");
    assert_eq!(reader.wait_for_card(Duration::from_millis(300)), Err(TransportError::Timeout));

    let t0 = Instant::now();
    let inserter = std::thread::spawn(|| {
        std::thread::sleep(Duration::from_millis(300));
        let mut v = madoguchi::card::sim::vpcd::Vicc::new(madoguchi::card::sim::shared(persona("typical")), SLOT1.1);
        v.insert().unwrap();
        v
    });
    reader.wait_for_card(Duration::from_secs(5)).unwrap();
    assert!(t0.elapsed() >= Duration::from_millis(300));
    let mut vicc = inserter.join().unwrap();
    let mut r = PcscReader::open(SLOT1.0).unwrap();
    assert_eq!(text_ap::pin_status(&mut r).unwrap(), 3);
    vicc.remove();
    reader.wait_for_removal(Duration::from_secs(3)).unwrap();
}

#[test]
fn reader_pattern_that_matches_nothing_is_a_clear_error() {
    let _g = lock();
    let e = PcscReader::open("RC-S300").err().unwrap();
    assert_eq!(e, TransportError::NoReaderMatching { pattern: "RC-S300".into() });
    assert!(e.to_string().contains("RC-S300"));
}

fn transmit(t: &mut impl Transport, apdu: madoguchi::card::apdu::Command) -> (Vec<u8>, u16) {
    let r = t.transmit(&apdu).unwrap();
    (r.data.clone(), r.sw.0)
}

fn read_ef(t: &mut impl Transport) -> (Vec<u8>, u16) {
    // Certificates: 4 bytes give `30 82 LL LL`, then ≤ 256-byte chunks.
    let (head, sw) = transmit(t, cmd::read_binary(0, 4));
    if sw != 0x9000 {
        return (head, sw);
    }
    let total = usize::from(u16::from_be_bytes([head[2], head[3]])) + 4;
    let mut buf = head;
    while buf.len() < total {
        let (d, sw) = transmit(t, cmd::read_binary(buf.len() as u16, (total - buf.len()).min(256) as u16));
        assert_eq!(sw, 0x9000);
        buf.extend_from_slice(&d);
    }
    (buf, 0x9000)
}

#[test]
fn jpki_application_behaves_like_the_card() {
    use rsa::pkcs1v15::Pkcs1v15Sign;
    use rsa::pkcs8::DecodePublicKey;
    use x509_cert::der::{Decode, Encode};

    let _g = lock();
    let p = persona("typical");
    let mut placed = place(p.clone(), SLOT0);
    let r = &mut placed.reader;
    assert_eq!(transmit(r, cmd::select_df(&JPKI_AP_AID)).1, 0x9000);
    assert_eq!(transmit(r, cmd::select_ef(0x0006)).1, 0x9000);
    let (token, _) = transmit(r, cmd::read_binary(0, 32));
    assert_eq!(String::from_utf8_lossy(&token).trim_end(), "JPKIAPICCTOKEN2");

    // Auth certificate: readable without PIN; sign certificate: only after the sign password.
    assert_eq!(transmit(r, cmd::select_ef(0x000A)).1, 0x9000);
    let (auth_der, _) = read_ef(r);
    let auth_cert = x509_cert::Certificate::from_der(&auth_der).expect("auth cert is DER X.509");
    assert_eq!(transmit(r, cmd::select_ef(0x0001)).1, 0x9000);
    assert_eq!(read_ef(r).1, 0x6982);
    assert_eq!(transmit(r, cmd::select_ef(0x001B)).1, 0x9000);
    assert_eq!(transmit(r, cmd::verify_status()).1, 0x63C5, "sign password has 5 tries");
    assert_eq!(transmit(r, cmd::verify(b"ABC123")).1, 0x9000);
    assert_eq!(transmit(r, cmd::select_ef(0x0001)).1, 0x9000);
    let (sign_der, sw) = read_ef(r);
    assert_eq!(sw, 0x9000);
    let sign_cert = x509_cert::Certificate::from_der(&sign_der).expect("sign cert is DER X.509");
    assert!(sign_der.windows(p.name.expose().len()).any(|w| w == p.name.expose().as_bytes()), "name in SAN");

    // Auth key: sign a DigestInfo after the auth PIN; verify with the certificate's key.
    assert_eq!(transmit(r, cmd::select_ef(0x0018)).1, 0x9000);
    assert_eq!(transmit(r, cmd::verify_status()).1, 0x63C3);
    assert_eq!(transmit(r, cmd::select_ef(0x0017)).1, 0x9000);
    let di = jpki::sha256_digest_info(b"madoguchi");
    assert_eq!(transmit(r, cmd::compute_signature(&di)).1, 0x6982, "no signature before the PIN");
    assert_eq!(transmit(r, cmd::select_ef(0x0018)).1, 0x9000);
    assert_eq!(transmit(r, cmd::verify(b"1234")).1, 0x9000);
    assert_eq!(transmit(r, cmd::select_ef(0x0017)).1, 0x9000);
    let (sig, sw) = transmit(r, cmd::compute_signature(&di));
    assert_eq!((sw, sig.len()), (0x9000, 256));
    for (cert, key_ef) in [(&auth_cert, 0x0017u16), (&sign_cert, 0x001A)] {
        let spki = cert.tbs_certificate.subject_public_key_info.to_der().unwrap();
        let pk = rsa::RsaPublicKey::from_public_key_der(&spki).unwrap();
        if key_ef == 0x0017 {
            let digest = &di[19..];
            pk.verify(Pkcs1v15Sign::new::<sha2::Sha256>(), digest, &sig).expect("auth signature verifies");
        } else {
            // Sign key: sign password verified above, so the card signs with it too.
            assert_eq!(transmit(r, cmd::select_ef(0x001B)).1, 0x9000);
            assert_eq!(transmit(r, cmd::verify(b"ABC123")).1, 0x9000);
            assert_eq!(transmit(r, cmd::select_ef(0x001A)).1, 0x9000);
            let (sig2, sw) = transmit(r, cmd::compute_signature(&di));
            assert_eq!(sw, 0x9000);
            pk.verify(Pkcs1v15Sign::new::<sha2::Sha256>(), &di[19..], &sig2).expect("sign signature verifies");
            assert!(pk.verify(Pkcs1v15Sign::new::<sha2::Sha256>(), &di[19..], &sig).is_err(), "keys differ");
        }
    }
    // Wrong sign password decrements from 5.
    assert_eq!(transmit(r, cmd::select_ef(0x001B)).1, 0x9000);
    assert_eq!(transmit(r, cmd::verify(b"WRONG1")).1, 0x63C4);
}

#[test]
fn the_session_port_waits_for_a_missing_reader_and_uses_a_present_one() {
    use madoguchi::session::CardPort;
    use madoguchi::wiring::PcscPort;
    let _g = lock();
    // No reader by that name on this pcscd: an error the card screen can show, every time.
    let mut missing = PcscPort::new("RC-S300 that is not plugged in");
    for _ in 0..2 {
        let e = missing.present().expect_err("no such reader");
        let said = TransportError::NoReaderMatching { pattern: "RC-S300 that is not plugged in".into() }.message();
        assert_eq!(e.message, said, "the card screen says which reader is missing");
    }
    assert!(missing.pin_tries().is_err());
    // The stack's reader: card presence and PIN tries through pcscd.
    let mut port = PcscPort::new(SLOT1.0);
    assert_eq!(port.reader_name().expect("reader"), SLOT1.0);
    let placed = place(persona("typical"), SLOT1);
    assert_eq!(port.present(), Ok(true));
    assert_eq!(port.pin_tries(), Ok(3));
    port.release();
    drop(placed);
    let t = Instant::now();
    while port.present() != Ok(false) {
        assert!(t.elapsed() < Duration::from_secs(3), "pcscd reports the card gone");
        std::thread::sleep(Duration::from_millis(20));
    }
}
