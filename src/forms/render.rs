//! PDF rendering with printpdf: static layout, values (shrink/wrap/cells), check marks,
//! QR code of the receipt id, the signature image; fonts subset-embedded.

use chrono::{DateTime, FixedOffset};

use printpdf::{
    Color, FontId, Greyscale, Line, LinePoint, Mm, Op, PaintMode, PdfDocument, PdfFontHandle, PdfPage, PdfSaveOptions,
    Point, Pt, RawImage, Rect, TextItem, XObjectTransform,
};
use thiserror::Error;

use super::fill::FilledForm;
use super::fonts::Fonts;
use super::format::{Printed, printed};
use super::layout::{PT_MM, fit};
use super::model::{FontFamily, Mark, Static, page_size_mm};

#[derive(Debug, Error)]
pub enum RenderError {
    #[error(transparent)]
    Font(#[from] super::fonts::FontError),
    /// The character is named on the screen only (see [`RenderError::message`]): it is
    /// part of a resident's name or address, so the log line does not carry it.
    #[error(
        "form {form}, field {field}: the font cannot draw one of its characters (外字); the clerk must type a substitute or choose another font / 項目「{field}」にこのフォントで印字できない文字(外字)があります。係員が対応してください"
    )]
    MissingGlyph { form: String, field: String, codepoint: u32 },
    #[error(
        "form {form}, field {field}: the text does not fit its box even at the minimum size / 項目「{field}」が枠に収まりません。テンプレートの枠か min_size を見直してください"
    )]
    Overflow { form: String, field: String },
    #[error("form {form}, field {field}: the image cannot be decoded / 署名画像を読み込めません")]
    Image { form: String, field: String },
    #[error("form {form}, field {field}: QR code cannot hold the value / QRコードを作れません")]
    Qr { form: String, field: String },
    #[error("official base PDF of form {form}: {message} / 下地PDFを重ねられません")]
    BasePdf { form: String, message: String },
    #[error("nothing to render / 印刷する様式がありません")]
    Empty,
}

impl RenderError {
    /// The field the error is about ("" when it is not about one field).
    pub fn field(&self) -> &str {
        match self {
            RenderError::MissingGlyph { field, .. }
            | RenderError::Overflow { field, .. }
            | RenderError::Image { field, .. }
            | RenderError::Qr { field, .. } => field,
            _ => "",
        }
    }

    /// For the log: what happened, in which form and field, never the character or value.
    pub fn log_line(&self) -> String {
        self.to_string()
    }

    /// What the clerk reads on the screen, with the field's label from template `t` (and,
    /// for a 外字, its code point so the clerk can look it up).
    pub fn message(&self, t: &super::model::Template) -> crate::i18n::Msg {
        use crate::i18n::{Arg, Msg};
        let label = t.fields.iter().find(|f| f.id == self.field()).map(|f| f.label.clone()).unwrap_or_default();
        match self {
            RenderError::MissingGlyph { codepoint, .. } => {
                super::validate::Problem::NoGlyph { code_point: *codepoint }.message(&label)
            }
            RenderError::Overflow { .. } => {
                Msg::new("「{}」が長すぎて用紙の枠に入りません。職員にお声がけください。").arg(Arg::Text(label))
            }
            _ => Msg::new("書類を作成できませんでした。職員にお声がけください。"),
        }
    }
}

/// Whether every value of a filled form can be printed: each character in the font, each
/// text in its box. The same checks rendering makes, without drawing anything, so the review
/// screen finds them before the resident signs.
pub fn check(form: &FilledForm<'_>, fonts: &Fonts) -> Result<(), RenderError> {
    let t = &form.template;
    for f in &t.fields {
        let Some(v) = form.values.get(&f.id) else { continue };
        for p in &f.print {
            let fam = p.font.unwrap_or(t.font);
            if let Printed::Text(s) = printed(f, v, p) {
                if let Some(c) = fonts.first_missing(fam, &s) {
                    return Err(RenderError::MissingGlyph {
                        form: t.id.clone(),
                        field: f.id.clone(),
                        codepoint: c as u32,
                    });
                }
                fit(fonts, fam, &s, p)
                    .map_err(|_| RenderError::Overflow { form: t.id.clone(), field: f.id.clone() })?;
            }
        }
    }
    Ok(())
}

/// Rendering switches.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct RenderOptions {
    /// Light 5 mm grid with 10 mm labels, for placing fields (`forms preview --grid`).
    pub grid: bool,
}

/// Render forms into one PDF (one form → its own PDF; a visit's forms → the combined PDF).
pub fn render_pdf(forms: &[FilledForm<'_>], fonts: &Fonts) -> Result<Vec<u8>, RenderError> {
    render_pdf_with(forms, fonts, RenderOptions::default())
}

/// One PDF per form, in order.
pub fn render_each(forms: &[FilledForm<'_>], fonts: &Fonts) -> Result<Vec<Vec<u8>>, RenderError> {
    forms.iter().map(|f| render_pdf(std::slice::from_ref(f), fonts)).collect()
}

pub fn render_pdf_with(forms: &[FilledForm<'_>], fonts: &Fonts, opts: RenderOptions) -> Result<Vec<u8>, RenderError> {
    let first = forms.first().ok_or(RenderError::Empty)?;
    if forms.iter().any(|f| f.template.base_pdf_data.is_some()) {
        return render_with_bases(forms, fonts, opts);
    }
    let mut doc = new_doc(first);
    let ids = FontIds { gothic: doc.add_font(&fonts.gothic.parsed), mincho: doc.add_font(&fonts.mincho.parsed) };
    let mut pages = Vec::new();
    for form in forms {
        pages.extend(form_pages(&mut doc, &ids, form, fonts, opts, true)?);
    }
    doc.with_pages(pages);
    Ok(save(&doc, &first.stamp.created))
}

/// Forms with an official base PDF: each rendered alone, stamped onto its base, then joined.
fn render_with_bases(forms: &[FilledForm<'_>], fonts: &Fonts, opts: RenderOptions) -> Result<Vec<u8>, RenderError> {
    let mut parts = Vec::new();
    for form in forms {
        let mut doc = new_doc(form);
        let ids = FontIds { gothic: doc.add_font(&fonts.gothic.parsed), mincho: doc.add_font(&fonts.mincho.parsed) };
        let base = form.template.base_pdf_data.as_deref();
        let pages = form_pages(&mut doc, &ids, form, fonts, opts, base.is_none())?;
        doc.with_pages(pages);
        let bytes = save(&doc, &form.stamp.created);
        let bad = |e: lopdf::Error| RenderError::BasePdf { form: form.template.id.clone(), message: e.to_string() };
        let date = pdf_date(&form.stamp.created);
        parts.push(match base {
            Some(b) => super::overlay::overlay_dated(b, &bytes, Some(&date)).map_err(bad)?,
            None => bytes,
        });
    }
    if parts.len() == 1 {
        return Ok(parts.remove(0));
    }
    let date = forms.first().map(|f| pdf_date(&f.stamp.created));
    super::overlay::merge_dated(&parts, date.as_deref())
        .map_err(|e| RenderError::BasePdf { form: "(combined)".into(), message: e.to_string() })
}

pub(crate) fn new_doc(first: &FilledForm<'_>) -> PdfDocument {
    let mut doc = PdfDocument::new(&first.template.title.ja);
    // printpdf writes 1970-01-01 unless told; use the visit's time so output is reproducible.
    // It writes the fields as given, always followed by "+00'00'": give it the local wall-clock
    // time and let `save` put the real offset after it.
    let local = first.stamp.created.naive_local();
    let ts = local.and_utc().timestamp();
    if let Ok(dt) = printpdf::OffsetDateTime::from_unix_timestamp(ts) {
        doc.metadata.info.creation_date = dt;
        doc.metadata.info.modification_date = dt;
        doc.metadata.info.metadata_date = dt;
    }
    doc.metadata.info.producer = "madoguchi".into();
    doc.metadata.info.creator = "madoguchi".into();
    doc
}

/// A PDF date string (ISO 32000-1 §7.9.4) with the real UTC offset: `D:20250501103000+09'00'`.
pub fn pdf_date(t: &DateTime<FixedOffset>) -> String {
    let off = t.offset().local_minus_utc();
    let sign = if off < 0 { '-' } else { '+' };
    let m = off.unsigned_abs() / 60;
    format!("D:{}{sign}{:02}'{:02}'", t.format("%Y%m%d%H%M%S"), m / 60, m % 60)
}

pub(crate) fn save(doc: &PdfDocument, created: &DateTime<FixedOffset>) -> Vec<u8> {
    let mut warnings = Vec::new();
    let mut bytes = doc.save(&PdfSaveOptions { subset_fonts: true, ..Default::default() }, &mut warnings);
    // printpdf writes the Info dates as "(D:<local time>+00'00')" in an uncompressed dictionary
    // (classic xref table, no object streams). The string with the real offset has the same
    // length, so patching the bytes keeps every xref offset valid and costs no re-parse.
    let utc_form = format!("(D:{}+00'00')", created.format("%Y%m%d%H%M%S"));
    let real = format!("({})", pdf_date(created));
    if utc_form != real {
        replace_all(&mut bytes, utc_form.as_bytes(), real.as_bytes());
    }
    bytes
}

/// Replace every occurrence of `from` by `to` (same length) in place.
fn replace_all(hay: &mut [u8], from: &[u8], to: &[u8]) {
    debug_assert_eq!(from.len(), to.len());
    let mut i = 0;
    while i + from.len() <= hay.len() {
        if &hay[i..i + from.len()] == from {
            hay[i..i + from.len()].copy_from_slice(to);
            i += from.len();
        } else {
            i += 1;
        }
    }
}

pub(crate) struct FontIds {
    pub(crate) gothic: FontId,
    pub(crate) mincho: FontId,
}

impl FontIds {
    fn get(&self, f: FontFamily) -> PdfFontHandle {
        PdfFontHandle::External(match f {
            FontFamily::Gothic => self.gothic.clone(),
            FontFamily::Mincho => self.mincho.clone(),
        })
    }
}

/// Page geometry helper: mm from top-left → PDF points from bottom-left.
#[derive(Clone, Copy)]
struct Geo {
    h: f32,
}

impl Geo {
    fn pt(&self, x: f32, y: f32) -> Point {
        Point::new(Mm(x), Mm(self.h - y))
    }
}

/// All pages of one form; `draw_static` is false when an official base PDF supplies them.
pub(crate) fn form_pages(
    doc: &mut PdfDocument,
    ids: &FontIds,
    form: &FilledForm<'_>,
    fonts: &Fonts,
    opts: RenderOptions,
    draw_static: bool,
) -> Result<Vec<PdfPage>, RenderError> {
    let t = &form.template;
    let (w, h) = page_size_mm(t.page.orientation);
    let g = Geo { h };
    let mut pages = Vec::new();
    for page in 1..=t.page.pages.max(1) {
        let mut ops = vec![Op::SetOutlineColor { col: black() }, Op::SetFillColor { col: black() }];
        if opts.grid {
            grid(&mut ops, ids, g, w, h);
        }
        if draw_static {
            for s in &t.layout {
                static_ops(&mut ops, ids, fonts, g, s, page, &t.id)?;
            }
        }
        for f in &t.fields {
            let Some(v) = form.values.get(&f.id) else { continue };
            for p in f.print.iter().filter(|p| p.page == page) {
                let fam = p.font.unwrap_or(t.font);
                let err_ctx = || (t.id.clone(), f.id.clone());
                match printed(f, v, p) {
                    Printed::Nothing => {}
                    Printed::Text(s) => {
                        if let Some(c) = fonts.first_missing(fam, &s) {
                            let (form, field) = err_ctx();
                            return Err(RenderError::MissingGlyph { form, field, codepoint: c as u32 });
                        }
                        let runs = fit(fonts, fam, &s, p).map_err(|_| {
                            let (form, field) = err_ctx();
                            RenderError::Overflow { form, field }
                        })?;
                        for r in runs {
                            text(&mut ops, ids.get(fam), g, r.x, r.y, r.size, r.text);
                        }
                    }
                    Printed::Mark => mark(&mut ops, g, p.rect, p.mark),
                    Printed::Qr(data) => qr(&mut ops, g, p.rect, &data).map_err(|_| {
                        let (form, field) = err_ctx();
                        RenderError::Qr { form, field }
                    })?,
                    Printed::Image(png) => image(doc, &mut ops, g, p.rect, png).map_err(|_| {
                        let (form, field) = err_ctx();
                        RenderError::Image { form, field }
                    })?,
                }
            }
        }
        pages.push(PdfPage::new(Mm(w), Mm(h), ops));
    }
    Ok(pages)
}

fn black() -> Color {
    Color::Greyscale(Greyscale::new(0.0, None))
}

fn text(ops: &mut Vec<Op>, font: PdfFontHandle, g: Geo, x: f32, y: f32, size: f32, s: String) {
    ops.push(Op::StartTextSection);
    ops.push(Op::SetFont { font, size: Pt(size) });
    ops.push(Op::SetTextCursor { pos: g.pt(x, y) });
    ops.push(Op::ShowText { items: vec![TextItem::Text(s)] });
    ops.push(Op::EndTextSection);
}

fn line(ops: &mut Vec<Op>, g: Geo, pts: &[(f32, f32)], closed: bool) {
    let points = pts.iter().map(|&(x, y)| LinePoint { p: g.pt(x, y), bezier: false }).collect();
    ops.push(Op::DrawLine { line: Line { points, is_closed: closed } });
}

fn rect(ops: &mut Vec<Op>, g: Geo, [x, y, w, h]: [f32; 4], mode: PaintMode) {
    let ll = g.pt(x, y + h);
    ops.push(Op::DrawRectangle {
        rectangle: Rect {
            x: ll.x,
            y: ll.y,
            width: Mm(w).into(),
            height: Mm(h).into(),
            mode: Some(mode),
            winding_order: None,
        },
    });
}

fn static_ops(
    ops: &mut Vec<Op>,
    ids: &FontIds,
    fonts: &Fonts,
    g: Geo,
    s: &Static,
    page: u32,
    form: &str,
) -> Result<(), RenderError> {
    let missing = |fam, s: &str| {
        fonts.first_missing(fam, s).map(|c| RenderError::MissingGlyph {
            form: form.to_string(),
            field: "layout".into(),
            codepoint: c as u32,
        })
    };
    match s {
        Static::Text { page: p, at, text: t, size, font } if *p == page => {
            let fam = font.unwrap_or(FontFamily::Gothic);
            if let Some(e) = missing(fam, t) {
                return Err(e);
            }
            text(ops, ids.get(fam), g, at[0], at[1] + size * PT_MM * 0.88, *size, t.clone());
        }
        Static::Line { page: p, from, to, width } if *p == page => {
            ops.push(Op::SetOutlineThickness { pt: Mm(*width).into() });
            line(ops, g, &[(from[0], from[1]), (to[0], to[1])], false);
        }
        Static::Box { page: p, rect: r, width } if *p == page => {
            ops.push(Op::SetOutlineThickness { pt: Mm(*width).into() });
            rect(ops, g, *r, PaintMode::Stroke);
        }
        Static::Table { page: p, at, cols, rows, labels, size, width } if *p == page => {
            ops.push(Op::SetOutlineThickness { pt: Mm(*width).into() });
            let (tw, th): (f32, f32) = (cols.iter().sum(), rows.iter().sum());
            let mut y = at[1];
            for r in std::iter::once(&0.0).chain(rows.iter()) {
                y += r;
                line(ops, g, &[(at[0], y), (at[0] + tw, y)], false);
            }
            let mut x = at[0];
            for c in std::iter::once(&0.0).chain(cols.iter()) {
                x += c;
                line(ops, g, &[(x, at[1]), (x, at[1] + th)], false);
            }
            for l in labels {
                let (Some(_), Some(rh)) = (cols.get(l.col as usize), rows.get(l.row as usize)) else { continue };
                if let Some(e) = missing(FontFamily::Gothic, &l.text) {
                    return Err(e);
                }
                let cx = at[0] + cols[..l.col as usize].iter().sum::<f32>() + 1.0;
                let cy = at[1] + rows[..l.row as usize].iter().sum::<f32>() + 1.0 + size * PT_MM * 0.88;
                let _ = rh;
                text(ops, ids.get(FontFamily::Gothic), g, cx, cy, *size, l.text.clone());
            }
        }
        _ => {}
    }
    Ok(())
}

/// ✓ or ○ in the box.
fn mark(ops: &mut Vec<Op>, g: Geo, [x, y, w, h]: [f32; 4], m: Mark) {
    ops.push(Op::SetOutlineThickness { pt: Pt(1.0) });
    match m {
        Mark::Check => line(
            ops,
            g,
            &[(x + w * 0.15, y + h * 0.55), (x + w * 0.4, y + h * 0.85), (x + w * 0.9, y + h * 0.1)],
            false,
        ),
        Mark::Circle => {
            let (cx, cy, rx, ry) = (x + w / 2.0, y + h / 2.0, w / 2.0, h / 2.0);
            let pts: Vec<(f32, f32)> = (0..32)
                .map(|i| {
                    let a = i as f32 / 32.0 * std::f32::consts::TAU;
                    (cx + rx * a.cos(), cy + ry * a.sin())
                })
                .collect();
            line(ops, g, &pts, true);
        }
    }
}

fn qr(ops: &mut Vec<Op>, g: Geo, [x, y, w, h]: [f32; 4], data: &str) -> Result<(), qrcode::types::QrError> {
    let code = qrcode::QrCode::new(data.as_bytes())?;
    let n = code.width();
    let colors = code.to_colors();
    let quiet = 2.0;
    let m = w.min(h) / (n as f32 + 2.0 * quiet);
    for (i, c) in colors.iter().enumerate() {
        if *c == qrcode::Color::Dark {
            let (cx, cy) = ((i % n) as f32, (i / n) as f32);
            rect(ops, g, [x + (cx + quiet) * m, y + (cy + quiet) * m, m, m], PaintMode::Fill);
        }
    }
    Ok(())
}

fn image(doc: &mut PdfDocument, ops: &mut Vec<Op>, g: Geo, [x, y, w, h]: [f32; 4], png: &[u8]) -> Result<(), String> {
    let mut warnings = Vec::new();
    let img = RawImage::decode_from_bytes(png, &mut warnings)?;
    if img.width == 0 || img.height == 0 {
        return Err("empty image".into());
    }
    // Fit inside the box keeping the aspect ratio: mm per pixel → dpi.
    let mm_px = (w / img.width as f32).min(h / img.height as f32);
    let (iw, ih) = (img.width as f32 * mm_px, img.height as f32 * mm_px);
    let id = doc.add_image(&img);
    let ll = g.pt(x + (w - iw) / 2.0, y + (h + ih) / 2.0);
    ops.push(Op::UseXobject {
        id,
        transform: XObjectTransform {
            translate_x: Some(ll.x),
            translate_y: Some(ll.y),
            dpi: Some(25.4 / mm_px),
            ..Default::default()
        },
    });
    Ok(())
}

fn grid(ops: &mut Vec<Op>, ids: &FontIds, g: Geo, w: f32, h: f32) {
    ops.push(Op::SetOutlineColor { col: Color::Greyscale(Greyscale::new(0.8, None)) });
    ops.push(Op::SetOutlineThickness { pt: Pt(0.2) });
    let mut v = 0.0;
    while v <= w {
        line(ops, g, &[(v, 0.0), (v, h)], false);
        v += 5.0;
    }
    let mut v = 0.0;
    while v <= h {
        line(ops, g, &[(0.0, v), (w, v)], false);
        v += 5.0;
    }
    ops.push(Op::SetFillColor { col: Color::Greyscale(Greyscale::new(0.5, None)) });
    let mut v = 10.0;
    while v < w.max(h) {
        if v < w {
            text(ops, ids.get(FontFamily::Gothic), g, v + 0.3, 3.0, 5.0, format!("{v}"));
        }
        if v < h {
            text(ops, ids.get(FontFamily::Gothic), g, 0.5, v - 0.3, 5.0, format!("{v}"));
        }
        v += 10.0;
    }
    ops.push(Op::SetOutlineColor { col: black() });
    ops.push(Op::SetFillColor { col: black() });
}
