//! Screenshot tests of every screen (software renderer, embedded IPAexGothic), compared with
//! the committed PNGs under tests/golden/ui/ with a tolerance.
//!
//! Regenerate after an intended UI change:
//!     MADOGUCHI_UPDATE_GOLDEN=1 cargo test --test it kiosk::screens
//! then look at the PNGs before committing them.

use crate::support::kiosk_support;

use std::path::PathBuf;

use i_slint_backend_testing::{TestingBackend, TestingBackendOptions};
use madoguchi::config::Config;
use slint::ComponentHandle;

use kiosk_support::rig::{UiRig, build};
use kiosk_support::{AcceptingOutput, SignatureWritingForms};

/// A channel differing by more than this counts as a changed pixel …
const CHANNEL_TOLERANCE: u8 = 24;
/// … and up to this share of changed pixels is accepted (font hinting, rounding).
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
        let changed = a
            .chunks_exact(4)
            .zip(g.chunks_exact(4))
            .filter(|(p, q)| p.iter().zip(q.iter()).any(|(x, y)| x.abs_diff(*y) > CHANNEL_TOLERANCE))
            .count();
        let share = changed as f64 / (w * h) as f64;
        if share > MAX_CHANGED {
            let out = std::env::temp_dir().join(format!("madoguchi-actual-{name}.png"));
            let _ = std::fs::write(&out, &png);
            self.failures.push(format!("{name}: {:.2}% pixels differ (actual in {})", share * 100.0, out.display()));
        }
    }
}

#[test]
fn every_screen_matches_its_golden() {
    slint::platform::set_platform(Box::new(TestingBackend::new(TestingBackendOptions {
        mock_time: true,
        threading: false,
        renderer_name: Some("software".into()),
    })))
    .unwrap();
    let mut cfg = Config { demo: true, ..Config::default() };
    cfg.clerk.pin_hash = madoguchi::config::hash_clerk_pin("2580").unwrap();
    let r = build(&cfg, Box::new(SignatureWritingForms), Box::new(AcceptingOutput));
    r.ui.set_today(chrono::NaiveDate::from_ymd_opt(2026, 11, 22).unwrap());
    let w = &r.ui.window;
    w.window().set_size(slint::PhysicalSize::new(1920, 1080));
    w.show().unwrap();
    let mut s = Shots { update: std::env::var_os("MADOGUCHI_UPDATE_GOLDEN").is_some(), failures: vec![], seen: vec![] };

    s.check(&r, "01-start");
    w.invoke_begin();
    s.check(&r, "02-procedure");
    w.invoke_show_guide();
    w.invoke_guide_choose("g-move".into(), 0);
    s.check(&r, "03-guide");
    w.invoke_show_catalogue();
    w.invoke_choose_procedure("juminhyo".into());
    s.check(&r, "04-card");
    w.invoke_place_demo_card("typical".into());
    w.invoke_pin_digit(1);
    w.invoke_pin_digit(2);
    s.check(&r, "05-pin");
    w.invoke_pin_digit(3);
    w.invoke_pin_digit(4);
    w.invoke_pin_submit();
    w.invoke_review_next(); // shows the inline validation messages
    s.check(&r, "06-review");
    w.invoke_answer_choose("scope".into(), 0);
    w.invoke_answer_choose("purpose".into(), 1);
    w.invoke_review_next();
    for (i, (x, y)) in
        [(80.0, 200.0), (200.0, 80.0), (320.0, 220.0), (470.0, 90.0), (640.0, 200.0), (800.0, 120.0)].iter().enumerate()
    {
        if i == 0 { w.invoke_stroke_begin(*x, *y) } else { w.invoke_stroke_move(*x, *y) }
    }
    s.check(&r, "07-signature");
    w.invoke_sig_next();
    s.check(&r, "08-confirm");
    w.invoke_print();
    r.settle();
    s.check(&r, "09-done");
    w.invoke_clerk_show();
    s.check(&r, "10-clerk-locked");
    w.invoke_clerk_close();
    w.invoke_finish();
    // Guide flow to the review with a date picker and the kana keyboard.
    w.invoke_begin();
    w.invoke_show_guide();
    w.invoke_guide_choose("g-move".into(), 0);
    w.invoke_guide_choose("g-children".into(), 1);
    w.invoke_guide_choose("g-kokuho".into(), 1);
    w.invoke_guide_done();
    w.invoke_pin_digit(1);
    w.invoke_pin_digit(2);
    w.invoke_pin_digit(3);
    w.invoke_pin_digit(4);
    w.invoke_pin_submit();
    s.check(&r, "11-review-date-kana");
    w.invoke_kana_start("furigana".into());
    w.invoke_kana_key("ヤ".into());
    w.invoke_kana_key("マ".into());
    s.check(&r, "12-kana-keyboard");
    w.invoke_kana_done();
    // 本籍 with a clerk present: place keys, 住所と同じ, and the hardware-keyboard field.
    r.unlock_clerk();
    w.invoke_kana_start("prev-honseki".into());
    w.invoke_kana_same_as_address();
    s.check(&r, "19-place-keyboard-clerk");
    w.invoke_kana_done();
    w.invoke_clerk_lock();
    r.clock.advance(50);
    r.ui.tick();
    s.check(&r, "13-idle-warning");
    r.clock.advance(20);
    r.ui.tick();
    // Timed out: back at start with the message, nothing personal left.
    s.check(&r, "14-timed-out");
    // High contrast + large text, and English.
    w.invoke_toggle_contrast();
    w.invoke_toggle_large_text();
    w.invoke_set_language("en".into());
    s.check(&r, "15-start-high-contrast-large-en");
    w.invoke_set_language("ja-easy".into());
    w.invoke_toggle_contrast();
    w.invoke_toggle_large_text();
    w.invoke_begin();
    s.check(&r, "16-procedure-yasashii");
    w.invoke_cancel();
    w.invoke_set_language("ja".into());
    // Portrait layout.
    w.window().set_size(slint::PhysicalSize::new(1080, 1920));
    w.invoke_begin();
    s.check(&r, "17-procedure-portrait");
    w.invoke_choose_procedure("juminhyo".into());
    w.invoke_pin_digit(1);
    w.invoke_pin_digit(2);
    w.invoke_pin_digit(3);
    w.invoke_pin_digit(4);
    w.invoke_pin_submit();
    s.check(&r, "18-review-portrait");

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
