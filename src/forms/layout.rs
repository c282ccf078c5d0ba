//! Fitting text into a box: shrink to the minimum size first, then wrap; one character per
//! cell for numbers. Sans-IO: widths come from a [`Measure`] implementation.

use super::model::{Align, FontFamily, Placement};

/// Points to millimetres.
pub const PT_MM: f32 = 25.4 / 72.0;

/// Advance widths in em units (1.0 = font size).
pub trait Measure {
    fn advance(&self, family: FontFamily, c: char) -> f32;
}

/// One line of text at a position (mm from the page's top-left; `y` is the baseline).
#[derive(Clone, PartialEq)]
pub struct Run {
    pub x: f32,
    pub y: f32,
    pub size: f32,
    pub text: String,
}

impl std::fmt::Debug for Run {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Run(x={:.1}, y={:.1}, size={:.2}, <text>)", self.x, self.y, self.size)
    }
}

/// The text does not fit even at the minimum size with wrapping.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Overflow;

const STEP: f32 = 0.25;
const ASCENT: f32 = 0.88;
const LEADING: f32 = 1.15;

fn width(m: &dyn Measure, fam: FontFamily, s: &str, size: f32) -> f32 {
    s.chars().map(|c| m.advance(fam, c)).sum::<f32>() * size * PT_MM
}

fn sizes(p: &Placement) -> impl Iterator<Item = f32> {
    let min = p.min_size.unwrap_or(p.size).min(p.size);
    let n = ((p.size - min) / STEP).floor() as u32;
    (0..=n).map(move |i| p.size - i as f32 * STEP)
}

/// Greedy character wrap (Japanese has no spaces to break at); `None` if a line would be empty.
fn wrap(m: &dyn Measure, fam: FontFamily, s: &str, size: f32, max_w: f32) -> Option<Vec<String>> {
    let mut lines = vec![String::new()];
    let mut w = 0.0;
    for c in s.chars() {
        let cw = m.advance(fam, c) * size * PT_MM;
        if w + cw > max_w {
            if lines.last().is_some_and(String::is_empty) {
                return None;
            }
            if c == ' ' || c == '　' {
                lines.push(String::new());
                w = 0.0;
                continue;
            }
            lines.push(String::new());
            w = 0.0;
        }
        if let Some(l) = lines.last_mut() {
            l.push(c);
        }
        w += cw;
    }
    Some(lines)
}

/// Lay out `text` in placement `p` with font `fam`.
pub fn fit(m: &dyn Measure, fam: FontFamily, text: &str, p: &Placement) -> Result<Vec<Run>, Overflow> {
    let [x, y, w, h] = p.rect;
    if let Some(cells) = p.cells {
        return cells_layout(m, fam, text, p, cells);
    }
    let pad = (w * 0.04).min(1.0);
    let avail = w - 2.0 * pad;
    let place = |line: &str, size: f32, baseline: f32| {
        let lw = width(m, fam, line, size);
        let lx = match p.align {
            Align::Left => x + pad,
            Align::Center => x + (w - lw) / 2.0,
            Align::Right => x + w - pad - lw,
        };
        Run { x: lx, y: baseline, size, text: line.to_string() }
    };
    for size in sizes(p) {
        let smm = size * PT_MM;
        if width(m, fam, text, size) <= avail && smm <= h {
            // Centre the em box vertically.
            return Ok(vec![place(text, size, y + (h - smm) / 2.0 + smm * ASCENT)]);
        }
    }
    if p.wrap {
        for size in sizes(p) {
            let smm = size * PT_MM;
            let lh = smm * LEADING;
            let Some(lines) = wrap(m, fam, text, size, avail) else { continue };
            let block = lh * (lines.len() as f32 - 1.0) + smm;
            if block <= h {
                let top = y + (h - block) / 2.0;
                return Ok(lines
                    .iter()
                    .enumerate()
                    .map(|(i, l)| place(l, size, top + i as f32 * lh + smm * ASCENT))
                    .collect());
            }
        }
    }
    Err(Overflow)
}

fn cells_layout(m: &dyn Measure, fam: FontFamily, text: &str, p: &Placement, cells: u32) -> Result<Vec<Run>, Overflow> {
    let [x, y, w, h] = p.rect;
    let chars: Vec<char> = text.chars().collect();
    if cells == 0 || chars.len() > cells as usize {
        return Err(Overflow);
    }
    let cw = w / cells as f32;
    let size = p.size.min(h / PT_MM).min(cw / PT_MM);
    let smm = size * PT_MM;
    // Right-aligned like numbers on paper forms when the value is shorter than the cells.
    let first = match p.align {
        Align::Right => cells as usize - chars.len(),
        _ => 0,
    };
    Ok(chars
        .iter()
        .enumerate()
        .map(|(i, c)| {
            let cx = x + cw * (first + i) as f32;
            let gw = m.advance(fam, *c) * size * PT_MM;
            Run { x: cx + (cw - gw) / 2.0, y: y + (h - smm) / 2.0 + smm * ASCENT, size, text: c.to_string() }
        })
        .collect())
}
