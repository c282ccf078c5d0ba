//! Pixels: the receipt QR code as a Slint image, page previews decoded here (not through
//! Slint's path-keyed image cache, which would keep a resident's forms in memory after the
//! visit), and PNG encoding of screenshots.

use slint::{Image, Rgba8Pixel, SharedPixelBuffer};

/// A QR code with a 4-module quiet zone, 8 pixels per module.
pub fn qr_image(payload: &str) -> Option<Image> {
    let code = qrcode::QrCode::new(payload.as_bytes()).ok()?;
    let n = code.width();
    let colors = code.to_colors();
    const SCALE: usize = 8;
    const QUIET: usize = 4;
    let side = (n + 2 * QUIET) * SCALE;
    let mut buf = SharedPixelBuffer::<Rgba8Pixel>::new(side as u32, side as u32);
    let px = buf.make_mut_slice();
    for (i, p) in px.iter_mut().enumerate() {
        let (x, y) = (i % side / SCALE, i / side / SCALE);
        let dark = x >= QUIET
            && y >= QUIET
            && x < n + QUIET
            && y < n + QUIET
            && colors[(y - QUIET) * n + (x - QUIET)] == qrcode::Color::Dark;
        let v = if dark { 0 } else { 255 };
        *p = Rgba8Pixel { r: v, g: v, b: v, a: 255 };
    }
    Some(Image::from_rgba8(buf))
}

/// Decode a preview PNG into an image that lives only as long as the screen holds it.
pub fn load_png(path: &std::path::Path) -> Option<Image> {
    let file = std::fs::File::open(path).ok()?;
    let mut dec = png::Decoder::new(std::io::BufReader::new(file));
    dec.set_transformations(png::Transformations::EXPAND | png::Transformations::STRIP_16);
    let mut reader = dec.read_info().ok()?;
    let mut buf = zeroize::Zeroizing::new(vec![0u8; reader.output_buffer_size()?]);
    let info = reader.next_frame(&mut buf).ok()?;
    let (w, h) = (info.width, info.height);
    let mut px = SharedPixelBuffer::<Rgba8Pixel>::new(w, h);
    let out = px.make_mut_slice();
    let data = &buf[..info.buffer_size()];
    match info.color_type {
        png::ColorType::Rgba => {
            for (o, c) in out.iter_mut().zip(data.chunks_exact(4)) {
                *o = Rgba8Pixel { r: c[0], g: c[1], b: c[2], a: c[3] };
            }
        }
        png::ColorType::Rgb => {
            for (o, c) in out.iter_mut().zip(data.chunks_exact(3)) {
                *o = Rgba8Pixel { r: c[0], g: c[1], b: c[2], a: 255 };
            }
        }
        png::ColorType::Grayscale => {
            for (o, g) in out.iter_mut().zip(data) {
                *o = Rgba8Pixel { r: *g, g: *g, b: *g, a: 255 };
            }
        }
        png::ColorType::GrayscaleAlpha => {
            for (o, c) in out.iter_mut().zip(data.chunks_exact(2)) {
                *o = Rgba8Pixel { r: c[0], g: c[0], b: c[0], a: c[1] };
            }
        }
        png::ColorType::Indexed => return None, // EXPAND turns palettes into RGB(A)
    }
    Some(Image::from_rgba8(px))
}

/// Encode RGBA pixels as PNG.
pub fn png_rgba(width: u32, height: u32, rgba: &[u8]) -> Result<Vec<u8>, png::EncodingError> {
    let mut out = Vec::new();
    {
        let mut enc = png::Encoder::new(&mut out, width, height);
        enc.set_color(png::ColorType::Rgba);
        enc.set_depth(png::BitDepth::Eight);
        let mut w = enc.write_header()?;
        w.write_image_data(rgba)?;
    }
    Ok(out)
}

/// Encode a Slint pixel buffer as PNG.
pub fn png_of(buf: &SharedPixelBuffer<Rgba8Pixel>) -> Result<Vec<u8>, png::EncodingError> {
    png_rgba(buf.width(), buf.height(), buf.as_bytes())
}
