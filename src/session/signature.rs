//! The finger signature: strokes in pad coordinates, an SVG path for the screen and a PNG for
//! the forms. A signature is personal data: the PNG buffer zeroizes on drop.

use zeroize::Zeroizing;

/// Strokes drawn on a pad of `width` × `height` logical pixels.
#[derive(Clone, Default, PartialEq)]
pub struct Signature {
    strokes: Vec<Vec<(f32, f32)>>,
    /// Strokes removed by "clear" or "undo", for "redo".
    undone: Vec<Vec<(f32, f32)>>,
}

impl std::fmt::Debug for Signature {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Signature({} strokes)", self.strokes.len())
    }
}

impl Signature {
    pub fn begin_stroke(&mut self, x: f32, y: f32) {
        self.undone.clear();
        self.strokes.push(vec![(x, y)]);
    }
    pub fn extend_stroke(&mut self, x: f32, y: f32) {
        match self.strokes.last_mut() {
            Some(s) => s.push((x, y)),
            None => self.begin_stroke(x, y),
        }
    }
    /// Remove the last stroke (it can be redone).
    pub fn undo(&mut self) {
        if let Some(s) = self.strokes.pop() {
            self.undone.push(s);
        }
    }
    pub fn redo(&mut self) {
        if let Some(s) = self.undone.pop() {
            self.strokes.push(s);
        }
    }
    /// Clear the pad (undo brings strokes back one by one).
    pub fn clear(&mut self) {
        while let Some(s) = self.strokes.pop() {
            self.undone.push(s);
        }
    }
    /// Forget everything (session end).
    pub fn wipe(&mut self) {
        self.strokes.clear();
        self.undone.clear();
    }
    pub fn is_empty(&self) -> bool {
        self.strokes.iter().all(|s| s.is_empty())
    }
    pub fn stroke_count(&self) -> usize {
        self.strokes.len()
    }

    /// SVG path commands (`M x y L x y …`) for a Slint `Path`.
    pub fn svg_path(&self) -> String {
        let mut out = String::new();
        for s in &self.strokes {
            for (i, (x, y)) in s.iter().enumerate() {
                let c = if i == 0 { 'M' } else { 'L' };
                out.push_str(&format!("{c} {x:.1} {y:.1} "));
            }
            // A single tap is a dot: give it a tiny length so the stroke is visible.
            if let [(x, y)] = s.as_slice() {
                out.push_str(&format!("L {:.1} {:.1} ", x + 0.5, y + 0.5));
            }
        }
        out.trim_end().to_string()
    }

    /// Rasterise to an RGBA PNG (black ink, transparent paper), pad size `w` × `h`, ink width
    /// `pen` pixels.
    pub fn to_png(&self, w: u32, h: u32, pen: f32) -> Result<Zeroizing<Vec<u8>>, png::EncodingError> {
        let mut px = Zeroizing::new(vec![0u8; (w as usize) * (h as usize) * 4]);
        let r = pen / 2.0;
        let mut dab = |cx: f32, cy: f32| {
            let (x0, x1) = ((cx - r).floor().max(0.0) as i64, (cx + r).ceil().min(w as f32 - 1.0) as i64);
            let (y0, y1) = ((cy - r).floor().max(0.0) as i64, (cy + r).ceil().min(h as f32 - 1.0) as i64);
            for y in y0..=y1 {
                for x in x0..=x1 {
                    let (dx, dy) = (x as f32 + 0.5 - cx, y as f32 + 0.5 - cy);
                    if dx * dx + dy * dy <= r * r {
                        let i = (y as usize * w as usize + x as usize) * 4;
                        px[i..i + 4].copy_from_slice(&[0, 0, 0, 255]);
                    }
                }
            }
        };
        for s in &self.strokes {
            let mut prev: Option<(f32, f32)> = None;
            for &(x, y) in s {
                match prev {
                    None => dab(x, y),
                    Some((px0, py0)) => {
                        // Dabs every half pen width along the segment: a solid line.
                        let len = ((x - px0).powi(2) + (y - py0).powi(2)).sqrt();
                        let n = (len / (r.max(0.5))).ceil().max(1.0) as usize;
                        for k in 1..=n {
                            let t = k as f32 / n as f32;
                            dab(px0 + (x - px0) * t, py0 + (y - py0) * t);
                        }
                    }
                }
                prev = Some((x, y));
            }
        }
        let mut out = Zeroizing::new(Vec::new());
        {
            let mut enc = png::Encoder::new(&mut *out, w, h);
            enc.set_color(png::ColorType::Rgba);
            enc.set_depth(png::BitDepth::Eight);
            let mut wr = enc.write_header()?;
            wr.write_image_data(&px)?;
        }
        Ok(out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn decode(png_bytes: &[u8]) -> (u32, u32, Vec<u8>) {
        let dec = png::Decoder::new(std::io::Cursor::new(png_bytes));
        let mut r = dec.read_info().unwrap();
        let mut buf = vec![0; r.output_buffer_size().unwrap()];
        let info = r.next_frame(&mut buf).unwrap();
        (info.width, info.height, buf)
    }

    #[test]
    fn png_has_ink_along_the_stroke_and_nowhere_else() {
        let mut s = Signature::default();
        s.begin_stroke(10.0, 50.0);
        s.extend_stroke(190.0, 50.0);
        let png = s.to_png(200, 100, 6.0).unwrap();
        let (w, h, px) = decode(&png);
        assert_eq!((w, h), (200, 100));
        let alpha = |x: usize, y: usize| px[(y * 200 + x) * 4 + 3];
        for x in (12..188).step_by(8) {
            assert_eq!(alpha(x, 50), 255, "gap in the line at x={x}");
        }
        assert_eq!(alpha(100, 10), 0);
        assert_eq!(alpha(100, 90), 0);
    }

    #[test]
    fn clear_undo_redo() {
        let mut s = Signature::default();
        s.begin_stroke(1.0, 1.0);
        s.extend_stroke(5.0, 5.0);
        s.begin_stroke(9.0, 9.0);
        assert_eq!(s.stroke_count(), 2);
        s.undo();
        assert_eq!(s.stroke_count(), 1);
        s.redo();
        assert_eq!(s.stroke_count(), 2);
        s.clear();
        assert!(s.is_empty());
        s.redo();
        assert_eq!(s.stroke_count(), 1);
        assert!(s.svg_path().starts_with("M "));
        s.wipe();
        s.redo();
        assert!(s.is_empty());
    }
}
