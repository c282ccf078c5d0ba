//! Screenshot tests of every screen (software renderer, embedded IPAexGothic), compared with
//! the committed PNGs under tests/golden/ui/ with a tolerance.
//!
//! Regenerate after an intended UI change:
//!     MADOGUCHI_UPDATE_GOLDEN=1 cargo test --test it kiosk::screens
//! then look at the PNGs before committing them.

use std::path::PathBuf;
use std::sync::Arc;

use madoguchi::config::Config;
use madoguchi::session::Event;
use madoguchi::ui::{
    ClerkPage, ConfirmPage, DatePart, Delivery, DemoPage, DonePage, KeyboardPage, Kiosk, PinPage, ProcedurePage,
    ReviewPage, SignaturePage, StartPage,
};
use slint::ComponentHandle;

use crate::support::kiosk_support::{AcceptingOutput, UiRig, real, staff_pin_hash, ui_rig};
use crate::support::ui_support::init_with_renderer;

/// Up to this share of changed pixels is accepted (font hinting, rounding).
const MAX_CHANGED: f64 = 0.003;

fn golden_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/golden/ui")
}

fn decode(bytes: &[u8]) -> (u32, u32, Vec<u8>) {
    let mut dec = png::Decoder::new(std::io::Cursor::new(bytes));
    dec.set_transformations(png::Transformations::EXPAND);
    let mut r = dec.read_info().unwrap();
    let mut buf = vec![0; r.output_buffer_size().unwrap()];
    let info = r.next_frame(&mut buf).unwrap();
    buf.truncate(info.buffer_size());
    assert_eq!(info.color_type, png::ColorType::Rgba, "goldens are RGBA");
    (info.width, info.height, buf)
}

struct Shots {
    update: bool,
    failures: Vec<String>,
    seen: Vec<String>,
}

impl Shots {
    fn check(&mut self, r: &UiRig, name: &str) {
        let snap = r.ui.window.window().take_snapshot().expect("software renderer snapshot");
        let png = madoguchi::ui::images::png_of(&snap).unwrap();
        let path = golden_dir().join(format!("{name}.png"));
        self.seen.push(format!("{name}.png"));
        if self.update {
            std::fs::create_dir_all(golden_dir()).unwrap();
            std::fs::write(&path, &png).unwrap();
            return;
        }
        let Ok(golden) = std::fs::read(&path) else {
            self.failures.push(format!("{name}: no golden {} (run with MADOGUCHI_UPDATE_GOLDEN=1)", path.display()));
            return;
        };
        let (gw, gh, g) = decode(&golden);
        let (w, h, a) = decode(&png);
        if (gw, gh) != (w, h) {
            self.failures.push(format!("{name}: size {w}×{h}, golden {gw}×{gh}"));
            return;
        }
        let share = crate::support::golden::changed_share(&a, &g);
        if share > MAX_CHANGED {
            let out = std::env::temp_dir().join(format!("madoguchi-actual-{name}.png"));
            let _ = std::fs::write(&out, &png);
            self.failures.push(format!("{name}: {:.2}% pixels differ (actual in {})", share * 100.0, out.display()));
        }
    }
}

fn pin(r: &UiRig) {
    let p = r.ui.window.global::<PinPage>();
    for d in [1, 2, 3, 4] {
        p.invoke_digit(d);
    }
    p.invoke_submit();
}

#[test]
fn every_screen_matches_its_golden() {
    init_with_renderer();
    let mut cfg = Config { demo: true, ..Config::default() };
    cfg.clerk.pin_hash = staff_pin_hash();
    let r = ui_rig(&cfg, Arc::new(AcceptingOutput::printing()));
    let w = &r.ui.window;
    w.window().set_size(slint::PhysicalSize::new(1920, 1080));
    w.show().unwrap();
    let mut s = Shots { update: std::env::var_os("MADOGUCHI_UPDATE_GOLDEN").is_some(), failures: vec![], seen: vec![] };
    let start = w.global::<StartPage>();
    let pp = w.global::<ProcedurePage>();
    let rp = w.global::<ReviewPage>();
    let kb = w.global::<KeyboardPage>();
    let sp = w.global::<SignaturePage>();
    let clerk = w.global::<ClerkPage>();

    s.check(&r, "01-start");
    start.invoke_begin();
    s.check(&r, "02-procedure");
    pp.invoke_show_guide();
    pp.invoke_answer(madoguchi::forms::GUIDE_EVENT.into(), 0);
    s.check(&r, "03-guide");
    pp.invoke_show_catalogue();
    pp.invoke_choose("juminhyo".into());
    s.check(&r, "04-card");
    w.global::<DemoPage>().invoke_place("typical".into());
    w.global::<PinPage>().invoke_digit(1);
    w.global::<PinPage>().invoke_digit(2);
    s.check(&r, "05-pin");
    w.global::<PinPage>().invoke_digit(3);
    w.global::<PinPage>().invoke_digit(4);
    w.global::<PinPage>().invoke_submit();
    rp.invoke_next(); // shows the inline validation messages
    s.check(&r, "06-review");
    for (id, v) in real::demo_answers(&["juminhyo"]).iter() {
        r.ui.send(Event::Answer(id.to_string(), v.clone()));
    }
    // Requested for someone of the same household: a case that is signed.
    r.ui.send(Event::Answer("requester".into(), madoguchi::vocab::AnswerValue::Choice("household".into())));
    rp.invoke_next();
    for (i, (x, y)) in
        [(80.0, 200.0), (200.0, 80.0), (320.0, 220.0), (470.0, 90.0), (640.0, 200.0), (800.0, 120.0)].iter().enumerate()
    {
        if i == 0 { sp.invoke_stroke_begin(*x, *y) } else { sp.invoke_stroke_move(*x, *y) }
    }
    s.check(&r, "07-signature");
    sp.invoke_next();
    // The form at a size a resident can read, then enlarged to the screen's width.
    s.check(&r, "08-confirm");
    w.global::<ConfirmPage>().set_zoomed(true);
    s.check(&r, "20-confirm-enlarged");
    w.global::<ConfirmPage>().set_zoomed(false);
    w.global::<ConfirmPage>().invoke_deliver(Delivery::Print);
    r.settle();
    s.check(&r, "09-done");
    clerk.invoke_show();
    s.check(&r, "10-clerk-locked");
    clerk.invoke_close();
    w.global::<DonePage>().invoke_finish();
    r.hand.remove();
    r.clock.advance(1);
    r.ui.tick();
    // 転入 to the review with a date picker and the kana keyboard.
    start.invoke_begin();
    pp.invoke_choose("tennyu".into());
    w.global::<DemoPage>().invoke_place("typical".into());
    pin(&r);
    rp.invoke_date_step("move_date".into(), DatePart::Day, -1);
    s.check(&r, "11-review-date-kana");
    rp.invoke_edit("kana".into());
    kb.invoke_key("ヤ".into());
    kb.invoke_key("マ".into());
    s.check(&r, "12-kana-keyboard");
    kb.invoke_done();
    rp.invoke_edit("phone".into());
    kb.invoke_key("0".into());
    kb.invoke_key("3".into());
    s.check(&r, "21-phone-keypad");
    kb.invoke_done();
    // 本籍 with a clerk present: place keys, 住所と同じ, and the hardware-keyboard field.
    r.unlock_clerk();
    rp.invoke_edit("honseki".into());
    kb.invoke_same_as_address();
    s.check(&r, "19-place-keyboard-clerk");
    kb.invoke_done();
    clerk.invoke_lock();
    r.clock.advance(50);
    r.ui.tick();
    s.check(&r, "13-idle-warning");
    r.hand.remove();
    r.clock.advance(20);
    r.ui.tick();
    // Timed out: back at start with the message, nothing personal left.
    s.check(&r, "14-timed-out");
    // High contrast + large text, and English.
    start.invoke_toggle_contrast();
    start.invoke_toggle_large_text();
    start.invoke_set_language("en".into());
    s.check(&r, "15-start-high-contrast-large-en");
    start.invoke_set_language("ja-easy".into());
    start.invoke_toggle_contrast();
    start.invoke_toggle_large_text();
    start.invoke_begin();
    s.check(&r, "16-procedure-yasashii");
    w.global::<Kiosk>().invoke_cancel();
    // Portrait layout.
    w.window().set_size(slint::PhysicalSize::new(1080, 1920));
    start.invoke_begin();
    s.check(&r, "17-procedure-portrait");
    pp.invoke_choose("juminhyo".into());
    w.global::<DemoPage>().invoke_place("typical".into());
    pin(&r);
    s.check(&r, "18-review-portrait");
    // The card status check, and 照合番号B entered by a clerk.
    w.global::<Kiosk>().invoke_cancel();
    r.hand.remove();
    r.clock.advance(1);
    r.ui.tick();
    w.window().set_size(slint::PhysicalSize::new(1920, 1080));
    start.invoke_check_card();
    // A certificate with fixed dates (the built-in personas' follow the calendar).
    let mut locked = madoguchi::card::sim::persona::builtin_by_id("locked").unwrap();
    let day = |y, m, d| chrono::NaiveDate::from_ymd_opt(y, m, d).unwrap();
    locked.auth_cert_validity = Some((day(2024, 1, 1), day(2029, 9, 15)));
    r.hand.insert(locked);
    r.ui.tick();
    s.check(&r, "22-card-status");
    w.global::<madoguchi::ui::CheckPage>().invoke_apply("card-pin-reset".into());
    r.unlock_clerk();
    clerk.invoke_use_pin_b();
    for d in [1, 9, 8, 5] {
        w.global::<PinPage>().invoke_digit(d);
    }
    s.check(&r, "23-pin-b");

    if !s.update {
        // Every committed golden is still produced (no stale files).
        let mut committed: Vec<String> = std::fs::read_dir(golden_dir())
            .map(|d| d.filter_map(|e| e.ok()).map(|e| e.file_name().to_string_lossy().into_owned()).collect())
            .unwrap_or_default();
        committed.sort();
        let mut seen = s.seen.clone();
        seen.sort();
        assert_eq!(committed, seen, "tests/golden/ui/ and the screens walked differ");
    }
    assert!(s.failures.is_empty(), "screens differ from their goldens:\n{}", s.failures.join("\n"));
}
