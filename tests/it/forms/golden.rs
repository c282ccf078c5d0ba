//! Low-dpi PNG of each shipped form (typical persona) compared with tests/golden/forms/*.png.
//! Regenerate after an intended layout change with:
//!   MADOGUCHI_UPDATE_GOLDEN=1 cargo test --test it forms::golden
//! and look at the new images before committing them.

use crate::support::forms_support;

use forms_support::*;
use madoguchi::forms;
use madoguchi::vocab::Answers;

fn decode(bytes: &[u8]) -> (u32, u32, Vec<u8>) {
    let dec = png::Decoder::new(std::io::Cursor::new(bytes));
    let mut r = dec.read_info().expect("png header");
    let mut buf = vec![0; r.output_buffer_size().expect("png size")];
    let info = r.next_frame(&mut buf).expect("png frame");
    let ch = info.color_type.samples();
    // Use the first channel (the images are greyscale).
    let g: Vec<u8> = buf[..info.buffer_size()].chunks(ch).map(|p| p[0]).collect();
    (info.width, info.height, g)
}

#[test]
fn forms_match_golden_images() {
    let fonts = fonts();
    let cat = catalog();
    let dir = tempfile::tempdir().unwrap();
    let update = std::env::var_os("MADOGUCHI_UPDATE_GOLDEN").is_some();
    for t in &cat.templates {
        let filled = fill_for(t, "typical", Answers::default()).unwrap();
        let pdf = write_tmp(dir.path(), &format!("{}.pdf", t.id), &forms::render_pdf(&[filled], &fonts).unwrap());
        let stem = dir.path().join(&t.id);
        let out = tool(
            "pdftoppm",
            &["-png", "-gray", "-r", "30", "-f", "1", "-l", "1", "-singlefile", &pdf, &stem.to_string_lossy()],
        );
        assert!(out.status.success(), "pdftoppm: {}", String::from_utf8_lossy(&out.stderr));
        let got = std::fs::read(stem.with_extension("png")).unwrap();
        let golden = root().join(format!("tests/golden/forms/{}.png", t.id));
        if update {
            std::fs::write(&golden, &got).unwrap();
            continue;
        }
        let want = std::fs::read(&golden)
            .unwrap_or_else(|_| panic!("{} missing: run with MADOGUCHI_UPDATE_GOLDEN=1", golden.display()));
        let (w1, h1, a) = decode(&got);
        let (w2, h2, b) = decode(&want);
        assert_eq!((w1, h1), (w2, h2), "{}: size changed", t.id);
        let differing = a.iter().zip(&b).filter(|(x, y)| x.abs_diff(**y) > 64).count();
        let frac = differing as f64 / a.len() as f64;
        assert!(frac < 0.005, "{}: {:.2}% of pixels differ from the golden image", t.id, frac * 100.0);
        // The comparison is not vacuous: the page is not blank.
        assert!(a.iter().filter(|p| **p < 128).count() > 500, "{}: page looks blank", t.id);
    }
}
