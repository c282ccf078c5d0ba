//! カードの状態 against the in-process virtual card (the same runs through pcscd + vpcd in
//! tests/it/card/status.rs) and against a scripted card that answers anything.

use chrono::NaiveDate;
use proptest::prelude::*;

use super::*;
use crate::card::apdu::{Command, Response, StatusWord};
use crate::card::error::TransportError;
use crate::card::sim::persona::builtin_by_id;
use crate::card::sim::{Df, InProcess, SharedCard, shared};
use crate::card::transport::ExclusiveBody;

fn card(id: &str) -> SharedCard {
    shared(builtin_by_id(id).unwrap_or_else(|| panic!("persona {id}")))
}

fn today() -> NaiveDate {
    cert::today_jst()
}

fn status_of(id: &str) -> (CardStatus, SharedCard) {
    let c = card(id);
    let st = read_status(InProcess::new(c.clone()), today()).unwrap_or_else(|e| panic!("{id}: {e}"));
    (st, c)
}

#[test]
fn typical_card_needs_nothing_and_reads_nothing_personal() {
    let (st, c) = status_of("typical");
    assert_eq!(st.profile, CardProfile::MyNumberCard);
    assert_eq!(st.text_pin, PinStatus::Left { tries: 3 });
    assert_eq!(st.auth_pin, PinStatus::Left { tries: 3 });
    assert_eq!(st.sign_password, PinStatus::Left { tries: 5 });
    let CertState::Present(v) = st.auth_cert else { panic!("{:?}", st.auth_cert) };
    let (start, end) = builtin_by_id("typical").unwrap().auth_cert_validity.unwrap();
    assert_eq!((v.start_date(), v.expiry_date()), (start, end));
    assert_eq!(st.days_left(), Some((end - today()).num_days()));
    assert_eq!(st.advice(DEFAULT_RENEW_WITHIN_DAYS), [Advice::NothingToDo]);
    let card = c.lock().unwrap();
    let cmds = card.commands();
    assert!(!cmds.iter().any(|c| c.is_read_binary() && c.df == Some(Df::Text)), "no text-AP EF is read");
    assert!(!cmds.iter().any(|c| c.is_pin_verify()), "no PIN is sent");
    assert_eq!(cmds.iter().filter(|c| c.is_empty_verify()).count(), 3);
    assert!(cmds.iter().all(|c| c.sw == 0x9000 || c.ins == 0x20), "every other command succeeded: {cmds:?}");
    assert_eq!((card.text_pin_tries(), card.auth_pin_tries(), card.sign_password_tries()), (3, 3, 5));
}

#[test]
fn expiry_advice_follows_the_window() {
    let (st, _) = status_of("cert-expiring");
    assert_eq!(st.days_left(), Some(30));
    assert_eq!(st.advice(90), [Advice::RenewSoon { days_left: 30 }]);
    assert_eq!(st.advice(30), [Advice::RenewSoon { days_left: 30 }], "the window includes its last day");
    assert_eq!(st.advice(29), [Advice::NothingToDo]);
    assert!(st.advice(90)[0].needs_counter());
    assert!(st.advice(90)[0].message().ja().contains("あと30日"));
    assert!(st.auth_cert.message(st.today).render("en").contains("30 days left"));

    let (st, _) = status_of("cert-expired");
    assert_eq!(st.days_left(), Some(-10));
    assert_eq!(st.advice(0), [Advice::CertificateExpired]);
    assert!(st.auth_cert.message(st.today).ja().contains("期限切れ"));
    // Counted from a given date: ten days before its last day it was only expiring.
    let earlier = today() - chrono::TimeDelta::days(20);
    let st = read_status(InProcess::new(card("cert-expired")), earlier).unwrap();
    assert_eq!(st.advice(90), [Advice::RenewSoon { days_left: 10 }]);
}

#[test]
fn locked_pins_say_which_and_where_to_go() {
    for (id, kind) in [
        ("locked", PinKind::TextPin),
        ("locked-63c0", PinKind::TextPin),
        ("auth-pin-locked", PinKind::AuthPin),
        ("sign-password-locked", PinKind::SignPassword),
    ] {
        let (st, c) = status_of(id);
        let advice = st.advice(DEFAULT_RENEW_WITHIN_DAYS);
        assert_eq!(advice, [Advice::PinLocked(kind)], "{id}");
        assert!(advice[0].needs_counter());
        let m = advice[0].message();
        assert!(m.ja().contains(kind.label_ja()) && m.ja().contains("窓口"), "{id}: {}", m.ja());
        assert!(m.render("en").contains(&kind.label().render("en")), "{id}: {}", m.render("en"));
        let locked = st.pins().iter().filter(|(_, s)| *s == PinStatus::Locked).count();
        assert_eq!(locked, 1, "{id}: only that PIN is locked");
        assert!(!c.lock().unwrap().commands().iter().any(|c| c.is_pin_verify()), "{id}");
    }
    let (st, _) = status_of("sign-password-locked");
    assert!(st.advice(90)[0].message().ja().contains("コンビニ"), "a sign password can also be reset elsewhere");
    let (st, _) = status_of("last-try");
    assert_eq!(st.advice(90), [Advice::OneTryLeft(PinKind::TextPin)]);
    assert!(!st.advice(90)[0].needs_counter());
}

#[test]
fn several_points_come_most_urgent_first() {
    let st = CardStatus {
        profile: CardProfile::MyNumberCard,
        text_pin: PinStatus::Left { tries: 1 },
        auth_pin: PinStatus::Locked,
        sign_password: PinStatus::NotPresent,
        auth_cert: CertState::Absent,
        today: today(),
    };
    assert_eq!(
        st.advice(90),
        [Advice::PinLocked(PinKind::AuthPin), Advice::NoCertificate, Advice::OneTryLeft(PinKind::TextPin)]
    );
}

#[test]
fn a_card_without_certificate_and_cards_that_are_not_my_number_cards() {
    let (st, _) = status_of("no-auth-cert");
    assert_eq!(st.auth_cert, CertState::Absent);
    assert_eq!(st.advice(90), [Advice::NoCertificate]);
    let e = read_status(InProcess::new(card("juki-card")), today()).unwrap_err();
    assert_eq!(e, CardError::JukiCard);
    let e = read_status(InProcess::new(card("other-card")), today()).unwrap_err();
    assert_eq!(e, CardError::UnknownCard);
    assert!(e.message_ja().contains("このカードは読み取れません"));
    assert_eq!(crate::card::identify(&mut InProcess::new(card("typical"))), Ok(CardProfile::MyNumberCard));
    assert_eq!(crate::card::identify(&mut InProcess::new(card("other-card"))), Err(CardError::UnknownCard));
}

#[test]
fn fingerprints_tell_cards_apart() {
    let a = fingerprint(&mut InProcess::new(card("typical"))).unwrap();
    let a2 = fingerprint(&mut InProcess::new(card("typical"))).unwrap();
    let b = fingerprint(&mut InProcess::new(card("long-address"))).unwrap();
    assert!(a.is_some() && a == a2 && a != b);
    assert_eq!(fingerprint(&mut InProcess::new(card("no-auth-cert"))).unwrap(), None);
}

#[test]
fn dates_follow_the_language() {
    let d = NaiveDate::from_ymd_opt(2029, 4, 12).unwrap();
    let m = Msg::new("有効期限 {}(期限切れ)").arg(date_arg(d));
    assert_eq!(m.ja(), "有効期限 2029年4月12日(期限切れ)");
    assert_eq!(m.render("en"), "expired on 12 April 2029");
}

/// A card that answers whatever it was told to: the status must turn any answer into a
/// status or an error, never a panic.
struct Scripted {
    sws: Vec<u16>,
    cert: Vec<u8>,
    next: usize,
}

impl Transport for Scripted {
    fn transmit(&mut self, c: &Command) -> Result<Response, TransportError> {
        let sw = self.sws.get(self.next % self.sws.len().max(1)).copied().unwrap_or(0x9000);
        self.next += 1;
        Ok(match c.ins {
            0xB0 => {
                let off = usize::from(u16::from_be_bytes([c.p1, c.p2]));
                let end = self.cert.len().min(off + usize::from(c.le.unwrap_or(0)));
                let data = self.cert.get(off..end).unwrap_or_default().to_vec();
                let sw = if matches!(sw, 0x6982 | 0x6B00 | 0x6700) { sw } else { 0x9000 };
                Response { data, sw: StatusWord(sw) }
            }
            _ => Response::status(StatusWord(sw)),
        })
    }

    fn exclusive(&mut self, body: &mut ExclusiveBody<'_>) -> Result<(), TransportError> {
        body(self);
        Ok(())
    }
}

proptest! {
    #[test]
    fn any_answers_give_a_status_or_an_error(
        sws in proptest::collection::vec(prop_oneof![
            Just(0x9000u16), Just(0x63C3), Just(0x63C0), Just(0x63C1), Just(0x6984), Just(0x6983),
            Just(0x6A82), Just(0x6982), Just(0x6B00), Just(0x6700), any::<u16>(),
        ], 1..24),
        cert in proptest::collection::vec(any::<u8>(), 0..1200),
        header in any::<bool>(),
    ) {
        let mut cert = cert;
        if header && cert.len() >= 4 {
            // Make it look like a certificate so the parser gets past the first byte.
            let n = (cert.len() - 4) as u16;
            cert[..4].copy_from_slice(&[0x30, 0x82, (n >> 8) as u8, n as u8]);
        }
        let t = Scripted { sws, cert, next: 0 };
        if let Ok(st) = read_status(t, today()) {
            let _ = st.advice(90);
            prop_assert!(!st.advice(90).is_empty());
        }
    }

    #[test]
    fn a_certificate_from_the_card_with_noise_never_panics(
        edits in proptest::collection::vec((any::<usize>(), any::<u8>()), 0..6),
        cut in 0usize..400,
    ) {
        let p = builtin_by_id("typical").unwrap();
        let mut der = crate::card::sim::jpki::material_for(&p).auth_cert.clone();
        for (i, b) in edits {
            let n = der.len();
            der[i % n] = b;
        }
        der.truncate(der.len().saturating_sub(cut));
        let t = Scripted { sws: vec![0x9000, 0x9000, 0x63C3, 0x9000, 0x9000, 0x63C3, 0x9000, 0x63C5, 0x9000], cert: der, next: 0 };
        let _ = read_status(t, today());
    }
}
