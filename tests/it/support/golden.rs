//! Screenshot goldens: PNGs as RGBA pixels, compared with a per-channel tolerance (font
//! hinting and anti-aliasing move a few pixels by a few levels).

/// A channel differing by more than this counts as a changed pixel.
pub const CHANNEL_TOLERANCE: u8 = 24;

/// An RGBA image of a PNG (Chromium's screenshots are RGB or RGBA).
pub fn rgba(png: &[u8]) -> (u32, u32, Vec<u8>) {
    let mut dec = png::Decoder::new(std::io::Cursor::new(png));
    dec.set_transformations(png::Transformations::EXPAND);
    let mut r = dec.read_info().expect("png");
    let mut buf = vec![0; r.output_buffer_size().expect("size")];
    let info = r.next_frame(&mut buf).expect("frame");
    buf.truncate(info.buffer_size());
    let px = match info.color_type {
        png::ColorType::Rgba => buf,
        png::ColorType::Rgb => buf.chunks_exact(3).flat_map(|c| [c[0], c[1], c[2], 255]).collect(),
        other => panic!("unexpected PNG colour type {other:?}"),
    };
    (info.width, info.height, px)
}

/// The share of pixels (of two RGBA images of the same size) in which some channel differs
/// by more than [`CHANNEL_TOLERANCE`].
pub fn changed_share(a: &[u8], b: &[u8]) -> f64 {
    let pixels = a.len() / 4;
    let changed = a
        .chunks_exact(4)
        .zip(b.chunks_exact(4))
        .filter(|(p, q)| p.iter().zip(q.iter()).any(|(x, y)| x.abs_diff(*y) > CHANNEL_TOLERANCE))
        .count();
    if pixels == 0 { 0.0 } else { changed as f64 / pixels as f64 }
}
