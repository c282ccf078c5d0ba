//! Long names and addresses stay inside their boxes (shrink first, then wrap), measured with
//! the real IPAex metrics and checked again on the rendered PDF with `pdftotext -bbox`.

use crate::support::forms_support;

use forms_support::*;
use madoguchi::card::sim::persona;
use madoguchi::forms;
use madoguchi::forms::layout::{Measure, PT_MM, fit};
use madoguchi::forms::model::{FontFamily, Placement};
use madoguchi::vocab::Answers;

fn placement(rect: [f32; 4], size: f32, min: f32, wrap: bool) -> Placement {
    toml::from_str::<Placement>(&format!(
        "box = [{}, {}, {}, {}]\nsize = {size}\nmin_size = {min}\nwrap = {wrap}",
        rect[0], rect[1], rect[2], rect[3]
    ))
    .unwrap()
}

#[test]
fn shrink_before_wrap_and_stay_inside() {
    let fonts = fonts();
    let p = placement([20.0, 30.0, 100.0, 14.0], 10.5, 7.0, true);
    // Fits at full size: one run at 10.5 pt.
    let runs = fit(&fonts, FontFamily::Mincho, "東京都千代田区霞が関1-2-3", &p).unwrap();
    assert_eq!((runs.len(), runs[0].size), (1, 10.5));
    // A bit longer: shrinks, still one line.
    let mid = "東京都千代田区霞が関一丁目二番三号 霞が関合同庁舎第一号館";
    let runs = fit(&fonts, FontFamily::Mincho, mid, &p).unwrap();
    assert_eq!(runs.len(), 1);
    assert!(runs[0].size < 10.5 && runs[0].size >= 7.0);
    // The long-address persona: wraps at the largest size that fits.
    let long = persona::builtin_by_id("long-address").unwrap();
    let runs = fit(&fonts, FontFamily::Mincho, long.address.expose(), &p).unwrap();
    assert!(runs.len() >= 2);
    let joined: String = runs.iter().map(|r| r.text.as_str()).collect::<String>();
    assert_eq!(joined.replace(' ', ""), long.address.expose().replace(' ', ""));
    for r in &runs {
        let w: f32 = r.text.chars().map(|c| fonts.advance(FontFamily::Mincho, c)).sum::<f32>() * r.size * PT_MM;
        assert!(r.x >= 20.0 && r.x + w <= 120.0 + 0.01, "{r:?} width {w}");
        assert!(r.y - r.size * PT_MM * 0.88 >= 30.0 - 0.01 && r.y + r.size * PT_MM * 0.12 <= 44.0 + 0.01, "{r:?}");
        assert!(r.size >= 7.0);
    }
    // Without wrapping it cannot fit: an error, never text spilling out of the box.
    let nowrap = placement([20.0, 30.0, 100.0, 14.0], 10.5, 7.0, false);
    assert!(fit(&fonts, FontFamily::Mincho, long.address.expose(), &nowrap).is_err());
}

#[test]
fn long_address_stays_inside_its_box_on_every_form() {
    let fonts = fonts();
    let cat = catalog();
    let p = persona::builtin_by_id("long-address").unwrap();
    let dir = tempfile::tempdir().unwrap();
    let mm = 72.0 / 25.4;
    for t in &cat.templates {
        let filled = fill_for(t, "long-address", Answers::default()).unwrap();
        let path = write_tmp(dir.path(), &format!("{}.pdf", t.id), &forms::render_pdf(&[filled], &fonts).unwrap());
        let addr_field = t.fields.iter().find(|f| f.source == forms::model::Source::CardAddress).unwrap();
        let rect = addr_field.print[0].rect;
        let (x0, y0, x1, y1) = (rect[0] * mm, rect[1] * mm, (rect[0] + rect[2]) * mm, (rect[1] + rect[3]) * mm);
        // The run of consecutive words that spells the address (pdftotext splits at the spaces
        // and line ends) must lie entirely in the box.
        let ws = words(&path);
        let target: String = p.address.expose().chars().filter(|c| !c.is_whitespace()).collect();
        let run = (0..ws.len()).find_map(|i| {
            let mut acc = String::new();
            for (j, w) in ws.iter().enumerate().skip(i) {
                acc.push_str(&w.4);
                if !target.starts_with(&acc) {
                    return None;
                }
                if acc == target {
                    return Some(&ws[i..=j]);
                }
            }
            None
        });
        let run = run.unwrap_or_else(|| panic!("{}: address not printed in one piece", t.id));
        assert!(run.len() >= 3, "{}: expected wrapping", t.id);
        for w in run {
            let inside = w.0 >= x0 - 0.5 && w.2 <= x1 + 0.5 && w.1 >= y0 - 0.5 && w.3 <= y1 + 0.5;
            assert!(inside, "{}: address outside box {:?}: {:?}", t.id, (x0, y0, x1, y1), (w.0, w.1, w.2, w.3));
        }
    }
}
