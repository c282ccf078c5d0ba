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

/// Characters a line may not start with (行頭禁則): closing punctuation, small kana, 長音.
const NO_START: &str =
    "、。，．,.)）」』】〕〉》］｝!?！？:;：；・ー～ぁぃぅぇぉっゃゅょゎァィゥェォッャュョヮヵヶ々ゝゞヽヾ";
/// Characters a line may not end with (行末禁則): opening brackets.
const NO_END: &str = "(（「『【〔〈《［｛";

fn is_word(c: char) -> bool {
    c.is_ascii_alphanumeric() || c == '-' || c == '_' || c == '@'
}

/// Break `s` into lines at most `max_w` mm wide at `size` pt, by the measured advance widths.
/// Japanese breaks between any two characters, except that no line starts with closing
/// punctuation or small kana and none ends with an opening bracket (禁則, by pushing characters
/// to the next line, so lines never get wider); runs of ASCII letters and digits (receipt ids,
/// phone numbers) stay whole when they fit on a line; a space at a break is dropped. `None` when
/// a single character is wider than the line.
pub fn break_lines(m: &dyn Measure, fam: FontFamily, s: &str, size: f32, max_w: f32) -> Option<Vec<String>> {
    let adv = |c: char| m.advance(fam, c) * size * PT_MM;
    let mut lines: Vec<String> = Vec::new();
    let mut cur: Vec<char> = Vec::new();
    let mut w = 0.0;
    for c in s.chars() {
        let cw = adv(c);
        if cw > max_w {
            return None;
        }
        if w + cw > max_w && !cur.is_empty() {
            if c == ' ' || c == '\u{3000}' {
                lines.push(cur.drain(..).collect());
                w = 0.0;
                continue;
            }
            let b = break_at(&cur, c);
            let carried: Vec<char> = cur.drain(b..).collect();
            lines.push(cur.drain(..).collect::<String>().trim_end().to_string());
            cur = carried;
            w = cur.iter().map(|&c| adv(c)).sum();
            if w + cw > max_w {
                // Only when a carried word fills a line by itself: break before `c` after all.
                lines.push(cur.drain(..).collect());
                w = 0.0;
            }
        }
        cur.push(c);
        w += cw;
    }
    if !cur.is_empty() || lines.is_empty() {
        lines.push(cur.into_iter().collect());
    }
    Some(lines)
}

/// Where the next line starts when `next` does not fit after `cur` (an index into `cur`;
/// `cur.len()` means "before `next`").
fn break_at(cur: &[char], next: char) -> usize {
    let at = |i: usize| if i == cur.len() { next } else { cur[i] };
    let mut b = cur.len();
    // 禁則: move the break back while the new line would start or the old one end badly.
    while b > 0 && (NO_START.contains(at(b)) || NO_END.contains(cur[b - 1])) {
        b -= 1;
    }
    if b == 0 {
        b = cur.len();
    }
    // Keep an ASCII word whole unless it is longer than the line.
    if b == cur.len() && is_word(next) {
        let mut s = b;
        while s > 0 && is_word(cur[s - 1]) {
            s -= 1;
        }
        if s > 0 {
            b = s;
        }
    }
    b
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
            let Some(lines) = break_lines(m, fam, text, size, avail) else { continue };
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

#[cfg(test)]
mod tests {
    use super::*;

    /// Every character one em wide, so a 1/PT_MM pt font puts exactly one character per mm.
    struct Mono;
    impl Measure for Mono {
        fn advance(&self, _: FontFamily, _: char) -> f32 {
            1.0
        }
    }

    fn lines(s: &str, per_line: f32) -> Vec<String> {
        break_lines(&Mono, FontFamily::Gothic, s, 1.0 / PT_MM, per_line).unwrap_or_default()
    }

    #[test]
    fn plain_japanese_breaks_anywhere_at_the_width() {
        assert_eq!(lines("あいうえおかきくけこさ", 5.0), ["あいうえお", "かきくけこ", "さ"]);
        assert_eq!(lines("", 5.0), [""]);
    }

    #[test]
    fn no_line_starts_with_closing_punctuation_or_small_kana() {
        // "。" would start line 2: "お" moves down with it.
        assert_eq!(lines("あいうえお。かきく", 5.0), ["あいうえ", "お。かきく"]);
        // Two forbidden in a row: both move with the last allowed character.
        assert_eq!(lines("あいうえ「お」。かき", 6.0), ["あいうえ", "「お」。かき"]);
        assert_eq!(lines("かいしゃいんです", 3.0), ["かい", "しゃい", "んです"]);
    }

    #[test]
    fn no_line_ends_with_an_opening_bracket() {
        assert_eq!(lines("あいうえ「かき」", 5.0), ["あいうえ", "「かき」"]);
    }

    #[test]
    fn ascii_words_stay_whole_when_they_fit_and_spaces_are_dropped_at_breaks() {
        assert_eq!(lines("受付 R-2025", 8.0), ["受付", "R-2025"]);
        assert_eq!(lines("番号はR-2025", 8.0), ["番号は", "R-2025"]);
        // A word longer than the line is cut where it must.
        assert_eq!(lines("ABCDEFGHIJ", 4.0), ["ABCD", "EFGH", "IJ"]);
    }

    #[test]
    fn lines_never_exceed_the_width_and_keep_every_character() {
        let s = "住民票の写し（本人・同一世帯）、戸籍謄本。「印鑑登録証」をお持ちください！R-20250501-0001 まで";
        for w in 2..12 {
            let ls = lines(s, w as f32);
            assert!(ls.iter().all(|l| l.chars().count() <= w), "{w}: {ls:?}");
            assert_eq!(ls.concat().replace(' ', ""), s.replace(' ', ""), "{w}");
        }
        assert!(break_lines(&Mono, FontFamily::Gothic, "あ", 1.0 / PT_MM, 0.5).is_none());
    }
}
