//! The card beyond the PIN, in the window by touch through pcscd + vpcd with the virtual
//! card: カードの状態 (no PIN, no personal data read, the tries of the three PINs and the
//! certificate's validity, what to do, the 手続き案内 and the application it calls for), and
//! 照合番号B entered by a clerk in place of a locked PIN.

use std::sync::Arc;

use madoguchi::card::sim::card::{Df, JournalEntry};
use madoguchi::config::Config;
use madoguchi::session::stage::Stage;
use madoguchi::ui::{CheckPage, ClerkPage, PinMode, PinPage, ReviewPage, Screen};
use slint::{ComponentHandle, Model as _};

use crate::support::card_stack::{SLOT1, lock, persona, place};
use crate::support::kiosk_support::{AcceptingOutput, UiRig, real::pdftotext_bytes, staff_pin_hash, ui_rig_on_reader};
use crate::support::ui_support::{init_with_renderer, screen, tap};

fn window(output: Arc<AcceptingOutput>) -> UiRig {
    init_with_renderer();
    let cfg = Config {
        clerk: madoguchi::config::ClerkConfig { pin_hash: staff_pin_hash(), ..Default::default() },
        ..Config::default()
    };
    let r = ui_rig_on_reader(&cfg, output, SLOT1.0);
    r.ui.window.window().set_size(slint::PhysicalSize::new(1920, 1080));
    r.ui.window.show().unwrap();
    r
}

fn rows(r: &UiRig) -> Vec<(String, String)> {
    r.ui.window.global::<CheckPage>().get_rows().iter().map(|f| (f.label.to_string(), f.value.to_string())).collect()
}

#[test]
fn card_status_by_touch_reads_no_personal_data_and_leads_to_the_renewal_form() {
    let _g = lock();
    let output = Arc::new(AcceptingOutput::printing());
    let r = window(output.clone());
    let w = &r.ui.window;
    tap(w, "カードの状態を確かめる");
    assert_eq!(screen(w), Screen::Check);
    let placed = place(persona("cert-expiring"), SLOT1);
    placed.vicc.card().lock().unwrap().clear_journal();
    r.tick_until("the card's status", |s| matches!(s.stage(), Stage::CardCheck(c) if c.status.is_some()));
    // Three PINs and the certificate, as the card answered them.
    let shown = rows(&r);
    assert_eq!(shown.len(), 4, "{shown:?}");
    assert!(shown.iter().all(|(_, v)| !v.is_empty()), "{shown:?}");
    assert!(shown.iter().any(|(l, v)| l.contains("券面事項入力補助用暗証番号") && v.contains("残り3回")), "{shown:?}");
    let cert =
        shown.iter().find(|(l, _)| l == "利用者証明用電子証明書").map(|(_, v)| v.clone()).expect("certificate row");
    assert!(cert.contains("有効期限") && cert.contains("あと"), "{cert}");
    let advice: Vec<String> = w.global::<CheckPage>().get_advice().iter().map(|a| a.to_string()).collect();
    assert!(advice.iter().any(|a| a.contains("日です") && a.contains("更新")), "renew soon: {advice:?}");
    // Nothing personal was read, and no PIN was sent: the card's own journal says so.
    let card = placed.vicc.card();
    let journal = card.lock().unwrap().journal();
    assert!(!journal.is_empty(), "the status went through the virtual card");
    for e in &journal {
        if let JournalEntry::Command(c) = e {
            assert!(!(c.is_read_binary() && c.df == Some(Df::Text)), "a text-AP EF was read: {c:?}");
            assert!(!c.is_pin_verify(), "a PIN was sent: {c:?}");
        }
    }
    // The window shows no name, address or birth date.
    let p = persona("cert-expiring");
    let everything: String = shown.iter().map(|(l, v)| format!("{l}{v}")).chain(advice.iter().cloned()).collect();
    assert!(!everything.contains(p.name.expose()) && !everything.contains(p.address.expose()));
    // The 手続き案内 for it: printed, with where to go and no date of the card on it.
    tap(w, "手続き案内を印刷する");
    r.tick_until("the sheet printed", |s| matches!(s.stage(), Stage::CardCheck(c) if c.printed));
    let sheets = output.sheets.lock().unwrap().clone();
    assert_eq!(sheets.len(), 1);
    let text = pdftotext_bytes(&sheets[0]);
    assert!(text.contains("マイナンバーカード窓口") && text.contains("更新"), "{text}");
    assert!(!text.contains("あと") && !text.contains("2027年"), "the sheet carries no date of the card:\n{text}");
    // The application it calls for: the card is on the reader, so the PIN screen follows.
    tap(w, "申請:card-cert-renewal");
    r.tick_until("the PIN screen", |s| matches!(s.stage(), Stage::Pin(_)));
    assert_eq!(screen(w), Screen::Pin);
    drop(placed);
}

#[test]
fn a_locked_pin_is_explained_and_a_clerk_reads_the_card_with_pin_b() {
    let _g = lock();
    let r = window(Arc::new(AcceptingOutput::printing()));
    let w = &r.ui.window;
    tap(w, "カードの状態を確かめる");
    let placed = place(persona("locked"), SLOT1);
    r.tick_until("the card's status", |s| matches!(s.stage(), Stage::CardCheck(c) if c.status.is_some()));
    assert!(
        rows(&r).iter().any(|(l, v)| l.contains("券面事項入力補助用暗証番号") && v.contains("ロック")),
        "{:?}",
        rows(&r)
    );
    let advice: Vec<String> = w.global::<CheckPage>().get_advice().iter().map(|a| a.to_string()).collect();
    assert!(advice.iter().any(|a| a.contains("ロックされています") && a.contains("窓口")), "{advice:?}");
    // The reset form: the PIN is locked, so the resident cannot open the card …
    tap(w, "申請:card-pin-reset");
    r.tick_until("the PIN screen", |s| matches!(s.stage(), Stage::Pin(_)));
    assert_eq!(w.global::<PinPage>().get_mode(), PinMode::Locked);
    // … a clerk who checked the card in hand reads 照合番号B off it instead.
    r.unlock_clerk();
    w.global::<ClerkPage>().invoke_show();
    tap(w, "照合番号Bで読み取る");
    assert_eq!(w.global::<PinPage>().get_digits(), 14);
    assert_eq!(w.global::<PinPage>().get_mode(), PinMode::Ready, "照合番号B has its own tries");
    let card = placed.vicc.card();
    let tries_before = card.lock().unwrap().pin_b_tries();
    card.lock().unwrap().clear_journal();
    for d in persona("locked").pin_b.expose().chars() {
        tap(w, &d.to_string());
    }
    tap(w, "確定");
    assert_eq!(screen(w), Screen::Review, "{:?}", r.ui.session().message());
    let name = w.global::<ReviewPage>().get_fields().iter().next().map(|f| f.value.to_string()).unwrap_or_default();
    assert_eq!(name, persona("locked").name.expose());
    // The tries were read before the VERIFY, and the right 照合番号B spent none.
    let journal = card.lock().unwrap().journal();
    let verifies: Vec<bool> = journal
        .iter()
        .filter_map(|e| match e {
            JournalEntry::Command(c) if c.ins == 0x20 => Some(c.is_pin_verify()),
            _ => None,
        })
        .collect();
    assert_eq!(verifies.first(), Some(&false), "an empty VERIFY (the tries) comes first: {verifies:?}");
    assert!(verifies.contains(&true));
    assert_eq!(card.lock().unwrap().pin_b_tries(), tries_before);
    drop(placed);
}

/// To the PIN screen of 住民票の写し with `persona_id`'s card, then 照合番号B by a clerk.
fn to_pin_b(r: &UiRig, persona_id: &str) -> crate::support::card_stack::Placed {
    let w = &r.ui.window;
    tap(w, "はじめる");
    tap(w, "住民票の写しがほしい");
    let placed = place(persona(persona_id), SLOT1);
    r.tick_until("the PIN screen", |s| matches!(s.stage(), Stage::Pin(_)));
    r.unlock_clerk();
    w.global::<ClerkPage>().invoke_show();
    tap(w, "照合番号Bで読み取る");
    placed
}

#[test]
fn pin_b_at_its_last_try_needs_the_clerks_override() {
    let _g = lock();
    let r = window(Arc::new(AcceptingOutput::printing()));
    let placed = to_pin_b(&r, "pin-b-last-try");
    let w = &r.ui.window;
    assert_eq!(w.global::<PinPage>().get_mode(), PinMode::CallClerk, "one try left: not without the override");
    assert_eq!(placed.vicc.card().lock().unwrap().pin_b_tries(), 1, "and no try was spent");
    w.global::<madoguchi::ui::Kiosk>().invoke_cancel();
    drop(placed);
}

#[test]
fn a_wrong_pin_b_costs_one_try_and_is_never_sent_again() {
    let _g = lock();
    let r = window(Arc::new(AcceptingOutput::printing()));
    let placed = to_pin_b(&r, "typical");
    let w = &r.ui.window;
    let card = placed.vicc.card();
    let before = card.lock().unwrap().pin_b_tries();
    let mut wrong = persona("typical").pin_b.expose().to_string();
    let last = if wrong.ends_with('0') { '1' } else { '0' };
    wrong.pop();
    wrong.push(last);
    for d in wrong.chars() {
        tap(w, &d.to_string());
    }
    tap(w, "確定");
    assert_eq!(screen(w), Screen::Pin);
    assert_eq!(card.lock().unwrap().pin_b_tries(), before - 1, "the card counted the wrong 照合番号B once");
    assert!(matches!(w.global::<PinPage>().get_mode(), PinMode::Wrong | PinMode::CallClerk));
    assert_eq!(w.global::<PinPage>().get_entered(), 0, "the entry is cleared, nothing is sent again");
    r.clock.advance(1);
    r.ui.tick();
    assert_eq!(card.lock().unwrap().pin_b_tries(), before - 1, "no retry by itself");
    w.global::<madoguchi::ui::Kiosk>().invoke_cancel();
    drop(placed);
}

#[test]
fn a_card_that_is_not_a_my_number_card_is_named_on_the_card_screen() {
    let _g = lock();
    let r = window(Arc::new(AcceptingOutput::printing()));
    let w = &r.ui.window;
    tap(w, "はじめる");
    tap(w, "住民票の写しがほしい");
    for id in ["other-card", "juki-card"] {
        let placed = place(persona(id), SLOT1);
        r.tick_until("the card's answer", |s| s.message().is_some());
        assert_eq!(screen(w), Screen::Card, "{id}");
        let m = r.ui.session().message().unwrap().ja();
        assert!(m.contains("カード"), "{id}: {m}");
        drop(placed);
        r.clock.advance(1);
        r.ui.tick();
    }
    r.ui.window.global::<madoguchi::ui::Kiosk>().invoke_cancel();
}
