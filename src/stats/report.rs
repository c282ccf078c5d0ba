//! The HTML report: one self-contained file (inline CSS, inline SVG charts, no script, no
//! external request), readable on screen and printable on A4. Every figure sits in an
//! element with a `data-k` key, so tests (and anyone scripting) can read the numbers back.

use std::collections::BTreeMap;
use std::fmt::Write as _;

use chrono::NaiveDate;

use super::aggregate::{Dist, Figures, PaperBaseline, minutes, seconds};
use crate::vocab::visit::{End, ErrorKind, PinOutcome, Step};

/// What the report is about, besides the figures.
#[derive(Debug, Clone, Default)]
pub struct ReportMeta {
    pub from: Option<NaiveDate>,
    pub to: Option<NaiveDate>,
    /// Japanese titles of procedure ids (from the templates); the id is shown otherwise.
    pub titles: BTreeMap<String, String>,
    pub baseline: PaperBaseline,
    /// Names of the databases merged (file names only).
    pub sources: Vec<String>,
}

const WEEKDAYS: [&str; 7] = ["月", "火", "水", "木", "金", "土", "日"];

fn esc(s: &str) -> String {
    let mut o = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => o.push_str("&amp;"),
            '<' => o.push_str("&lt;"),
            '>' => o.push_str("&gt;"),
            '"' => o.push_str("&quot;"),
            c => o.push(c),
        }
    }
    o
}

/// Percentage with one decimal ("–" when there is nothing to divide by).
pub fn pct(n: u64, of: u64) -> String {
    if of == 0 { "–".into() } else { format!("{:.1}", n as f64 * 100.0 / of as f64) }
}

fn language_name(code: &str) -> String {
    crate::i18n::language(code).map_or_else(|| code.to_string(), |l| l.name.clone())
}

const CSS: &str = r#"
*{box-sizing:border-box}
body{font-family:"IPAexGothic","Noto Sans CJK JP",sans-serif;color:#1a1a1a;margin:0;padding:16px 24px;background:#fff;font-size:13px;line-height:1.5}
h1{font-size:22px;margin:0 0 4px}
h2{font-size:16px;border-bottom:2px solid #1f5fa8;padding-bottom:2px;margin:18px 0 8px}
p.note{color:#555;margin:4px 0;font-size:12px}
.cards{display:flex;flex-wrap:wrap;gap:8px}
.card{border:1px solid #c9d3e0;border-radius:6px;padding:6px 12px;min-width:150px}
.card .v{font-size:22px;font-weight:bold;color:#1f5fa8}
.card .l{font-size:12px;color:#444}
table{border-collapse:collapse;margin:4px 0 8px}
th,td{border:1px solid #c9d3e0;padding:2px 8px;text-align:right}
th{background:#eef3f9;font-weight:normal}
td.t,th.t{text-align:left}
section{break-inside:avoid;page-break-inside:avoid}
.two{display:flex;flex-wrap:wrap;gap:24px}
svg text{font-family:inherit}
@page{size:A4;margin:12mm}
@media print{body{padding:0;font-size:11px}h2{margin-top:10px}.card .v{font-size:18px}}
"#;

/// Horizontal bars: (label, value, shown text, data key).
fn bars(items: &[(String, f64, String, String)], color: &str) -> String {
    let max = items.iter().map(|i| i.1).fold(0.0_f64, f64::max);
    let row = 22.0;
    // Wide enough for the longest label (12 px per character, CJK full width).
    let longest = items
        .iter()
        .map(|i| i.0.chars().map(|c| if c.is_ascii() { 0.6 } else { 1.0 }).sum::<f64>())
        .fold(0.0, f64::max);
    let (label_w, bar_w) = ((longest * 12.0 + 12.0).clamp(120.0, 340.0), 300.0);
    let h = row * items.len() as f64 + 4.0;
    let mut s = format!(
        r#"<svg xmlns="http://www.w3.org/2000/svg" width="{w}" height="{h}" viewBox="0 0 {w} {h}" role="img">"#,
        w = label_w + bar_w + 130.0
    );
    for (i, (label, v, text, key)) in items.iter().enumerate() {
        let y = row * i as f64 + 2.0;
        let w = if max > 0.0 { v / max * bar_w } else { 0.0 };
        let _ = write!(
            s,
            r#"<text x="{lx}" y="{ty}" text-anchor="end" font-size="12">{label}</text><rect x="{x}" y="{y}" width="{w:.1}" height="{bh}" fill="{color}"/><text x="{tx:.1}" y="{ty}" font-size="12" data-k="{key}">{text}</text>"#,
            lx = label_w - 6.0,
            ty = y + 14.0,
            label = esc(label),
            x = label_w,
            bh = row - 6.0,
            tx = label_w + w + 4.0,
            text = esc(text),
            key = esc(key),
        );
    }
    s.push_str("</svg>");
    s
}

/// The weekday × hour grid: darker = busier.
fn heatmap(f: &Figures) -> String {
    let used: Vec<usize> = (0..24).filter(|&h| f.weekday_hour.iter().any(|d| d[h] > 0)).collect();
    let (lo, hi) = match (used.first(), used.last()) {
        (Some(&lo), Some(&hi)) => (lo.min(8), hi.max(18)),
        _ => (8, 18),
    };
    let max = f.weekday_hour.iter().flatten().copied().max().unwrap_or(0).max(1);
    let (cw, ch, left, top) = (40.0, 24.0, 28.0, 18.0);
    let cols = hi - lo + 1;
    let (w, h) = (left + cw * cols as f64 + 2.0, top + ch * 7.0 + 2.0);
    let mut s = format!(
        r#"<svg xmlns="http://www.w3.org/2000/svg" width="{w}" height="{h}" viewBox="0 0 {w} {h}" role="img">"#
    );
    for (c, hour) in (lo..=hi).enumerate() {
        let _ = write!(
            s,
            r#"<text x="{x:.1}" y="13" text-anchor="middle" font-size="11">{hour}時</text>"#,
            x = left + cw * c as f64 + cw / 2.0
        );
    }
    for (d, name) in WEEKDAYS.iter().enumerate() {
        let y = top + ch * d as f64;
        let _ = write!(s, r#"<text x="4" y="{:.1}" font-size="12">{name}</text>"#, y + 16.0);
        for (c, hour) in (lo..=hi).enumerate() {
            let n = f.weekday_hour[d][hour];
            let t = n as f64 / max as f64;
            // From a pale blue to the report's blue.
            let (r, g, b) = ((238.0 - 207.0 * t) as u8, (243.0 - 148.0 * t) as u8, (249.0 - 81.0 * t) as u8);
            let x = left + cw * c as f64;
            let fg = if t > 0.55 { "#fff" } else { "#1a1a1a" };
            let _ = write!(
                s,
                r##"<rect x="{x:.1}" y="{y:.1}" width="{cw}" height="{ch}" fill="rgb({r},{g},{b})" stroke="#fff"/><text x="{tx:.1}" y="{ty:.1}" text-anchor="middle" font-size="11" fill="{fg}" data-k="wh.{d}.{hour}">{n}</text>"##,
                tx = x + cw / 2.0,
                ty = y + 16.0,
            );
        }
    }
    s.push_str("</svg>");
    s
}

fn dist_cells(key: &str, d: &Dist) -> String {
    format!(
        r#"<td data-k="{key}.n">{}</td><td data-k="{key}.median">{}</td><td data-k="{key}.p90">{}</td>"#,
        d.n,
        minutes(d.median_ms),
        minutes(d.p90_ms)
    )
}

/// The whole report.
pub fn render(f: &Figures, meta: &ReportMeta) -> String {
    let mut h = String::with_capacity(64 * 1024);
    let period = match (meta.from, meta.to, f.first, f.last) {
        (Some(a), Some(b), _, _) => format!("{a} 〜 {b}"),
        (a, b, first, last) => format!(
            "{} 〜 {}",
            a.map(|d| d.to_string()).or(first.map(|d| d.date().to_string())).unwrap_or_else(|| "–".into()),
            b.map(|d| d.to_string()).or(last.map(|d| d.date().to_string())).unwrap_or_else(|| "–".into())
        ),
    };
    let _ = write!(
        h,
        r#"<!DOCTYPE html><html lang="ja"><head><meta charset="utf-8"><title>窓口利用統計 {p}</title><style>{CSS}</style></head><body>
<h1>窓口利用統計(書かない窓口)</h1>
<p class="note">期間: <span data-k="period">{p}</span> / 端末: {k}台 / 個人を特定する情報は記録していません。</p>"#,
        p = esc(&period),
        k = f.by_kiosk.len(),
    );
    // Summary cards.
    let card = |v: String, l: &str, k: &str| {
        format!(r#"<div class="card"><div class="v" data-k="{k}">{}</div><div class="l">{l}</div></div>"#, esc(&v))
    };
    h.push_str(r#"<section><h2>概要</h2><div class="cards">"#);
    h.push_str(&card(f.visits.to_string(), "利用件数", "visits"));
    h.push_str(&card(f.delivered.to_string(), "申請完了(印刷・送信)", "delivered"));
    h.push_str(&card(format!("{}%", pct(f.delivered, f.visits)), "完了率", "delivered_pct"));
    h.push_str(&card(format!("{}%", pct(f.assisted, f.visits)), "職員対応の割合", "assisted_pct"));
    h.push_str(&card(f.preinput.to_string(), "事前入力コードの利用", "preinput"));
    h.push_str(&card(format!("{:.0}分", f.saved_minutes()), "削減できた職員時間(推計)", "saved_minutes"));
    h.push_str("</div></section>");

    // Weekday × hour.
    h.push_str(r#"<section><h2>曜日・時間帯別の利用件数</h2><p class="note">色が濃いほど混んでいます。窓口を増やす時間帯の目安になります。</p>"#);
    h.push_str(&heatmap(f));
    h.push_str("</section>");

    // Per procedure.
    h.push_str(r#"<section><h2>手続き別の所要時間(申請完了した利用)</h2><div class="two"><table><tr><th class="t">手続き</th><th>件数</th><th>中央値(分)</th><th>90%(分)</th></tr>"#);
    let mut proc_bars = Vec::new();
    for (id, d) in &f.per_procedure {
        let title = meta.titles.get(id.as_str()).cloned().unwrap_or_else(|| id.to_string());
        let _ = write!(h, r#"<tr><td class="t">{}</td>{}</tr>"#, esc(&title), dist_cells(&format!("proc.{id}"), d));
        proc_bars.push((
            title,
            f64::from(d.median_ms),
            format!("{} 分", minutes(d.median_ms)),
            format!("procbar.{id}"),
        ));
    }
    h.push_str("</table>");
    h.push_str(&bars(&proc_bars, "#1f5fa8"));
    h.push_str(
        r#"</div><p class="note">複数の手続きをまとめて申請した利用は、それぞれの手続きに数えています。</p></section>"#,
    );

    // Per step.
    h.push_str(r#"<section><h2>画面別の所要時間</h2><div class="two"><table><tr><th class="t">画面</th><th>件数</th><th>中央値(分)</th><th>90%(分)</th></tr>"#);
    let mut step_bars = Vec::new();
    for (s, d) in &f.per_step {
        if d.n == 0 {
            continue;
        }
        let _ = write!(h, r#"<tr><td class="t">{}</td>{}</tr>"#, s.ja(), dist_cells(&format!("step.{}", s.code()), d));
        step_bars.push((
            s.ja().to_string(),
            f64::from(d.p90_ms),
            format!("{} 分", minutes(d.p90_ms)),
            format!("stepbar.{}", s.code()),
        ));
    }
    h.push_str("</table>");
    h.push_str(&bars(&step_bars, "#5b8fd0"));
    h.push_str(r#"</div><p class="note">棒は90%の利用者がかかった時間です。長い画面は説明や入力の見直し候補です。</p></section>"#);

    // Funnel.
    let start = f.funnel.first().map_or(0, |x| x.1);
    h.push_str(r#"<section><h2>どこで中断したか(申請の流れ)</h2><div class="two">"#);
    let funnel_bars: Vec<_> = f
        .funnel
        .iter()
        .map(|(s, n)| {
            (s.ja().to_string(), *n as f64, format!("{n}件 ({}%)", pct(*n, start)), format!("funnel.{}", s.code()))
        })
        .collect();
    h.push_str(&bars(&funnel_bars, "#2e8b57"));
    h.push_str(r#"<table><tr><th class="t">中断した画面</th><th>件数</th></tr>"#);
    for s in Step::ALL {
        let n = f.gave_up[s.index()];
        if n > 0 {
            let _ = write!(h, r#"<tr><td class="t">{}</td><td data-k="gaveup.{}">{n}</td></tr>"#, s.ja(), s.code());
        }
    }
    h.push_str("</table></div></section>");

    // PIN, errors, ends.
    h.push_str(r#"<section><h2>暗証番号</h2>"#);
    let pin_bars: Vec<_> = PinOutcome::ALL
        .iter()
        .map(|p| {
            let n = f.pin[p.index()];
            (p.ja().to_string(), n as f64, format!("{n}件"), format!("pin.{}", p.code()))
        })
        .collect();
    h.push_str(&bars(&pin_bars, "#c77c0e"));
    let _ = write!(
        h,
        r#"<p class="note">カードの読み取り時間: 中央値 <span data-k="card_read.median_s">{}</span> 秒、90% <span data-k="card_read.p90_s">{}</span> 秒({} 件)</p></section>"#,
        seconds(f.card_read.median_ms),
        seconds(f.card_read.p90_ms),
        f.card_read.n
    );
    h.push_str(r#"<section><div class="two"><div><h2>エラーの種類</h2><table><tr><th class="t">種類</th><th>回数</th><th>発生した利用</th></tr>"#);
    for e in ErrorKind::ALL {
        let _ = write!(
            h,
            r#"<tr><td class="t">{}</td><td data-k="err.{c}">{}</td><td data-k="errvisits.{c}">{}</td></tr>"#,
            e.ja(),
            f.errors[e.index()],
            f.visits_with_error[e.index()],
            c = e.code()
        );
    }
    h.push_str(
        r#"</table></div><div><h2>終了の仕方</h2><table><tr><th class="t">終了</th><th>件数</th><th>割合(%)</th></tr>"#,
    );
    for e in End::ALL {
        let n = f.ends[e.index()];
        let _ = write!(
            h,
            r#"<tr><td class="t">{}</td><td data-k="end.{c}">{n}</td><td>{}</td></tr>"#,
            e.ja(),
            pct(n, f.visits),
            c = e.code()
        );
    }
    let _ = write!(
        h,
        r#"</table><p class="note">印刷・送信にかかった時間: 中央値 <span data-k="delivery.median_s">{}</span> 秒</p></div></div></section>"#,
        seconds(f.delivery.median_ms)
    );

    // Self vs clerk, languages, kiosks.
    h.push_str(r#"<section><div class="two"><div><h2>操作した人</h2>"#);
    let selfs = f.visits - f.assisted;
    h.push_str(&bars(
        &[
            ("住民のみ".into(), selfs as f64, format!("{selfs}件 ({}%)", pct(selfs, f.visits)), "mode.self".into()),
            (
                "職員が対応".into(),
                f.assisted as f64,
                format!("{}件 ({}%)", f.assisted, pct(f.assisted, f.visits)),
                "mode.clerk".into(),
            ),
        ],
        "#7a5ea8",
    ));
    h.push_str(r#"</div><div><h2>言語</h2>"#);
    let lang_bars: Vec<_> = f
        .languages
        .iter()
        .map(|(c, n)| {
            (language_name(c.as_str()), *n as f64, format!("{n}件 ({}%)", pct(*n, f.visits)), format!("lang.{c}"))
        })
        .collect();
    h.push_str(&bars(&lang_bars, "#7a5ea8"));
    h.push_str(r#"</div></div><h2>端末別</h2><table><tr><th class="t">端末ID</th><th>件数</th></tr>"#);
    for (k, n) in &f.by_kiosk {
        let _ = write!(h, r#"<tr><td class="t">{}</td><td data-k="kiosk.{k}">{n}</td></tr>"#, esc(k.as_str()));
    }
    h.push_str("</table></section>");

    // Staff time.
    let _ = write!(
        h,
        r#"<section><h2>職員の作業時間の削減(推計)</h2><table>
<tr><td class="t">申請完了した書類</td><td data-k="forms">{}</td><td class="t">件</td></tr>
<tr><td class="t">紙の申請書なら必要な職員時間(1件 {} 分で計算)</td><td data-k="paper_minutes">{:.0}</td><td class="t">分</td></tr>
<tr><td class="t">キオスクで職員が対応した時間</td><td data-k="clerk_minutes">{:.0}</td><td class="t">分</td></tr>
<tr><th class="t">削減できた職員時間</th><th data-k="saved_minutes_table">{:.0}</th><th class="t">分</th></tr></table>
<p class="note">紙の基準時間は設定 [stats] paper_minutes_per_form(手続きごとの値は [stats.paper_minutes])で変えられます。</p></section>"#,
        f.forms,
        meta.baseline.minutes_per_form,
        f.paper_minutes,
        f.clerk_minutes,
        f.saved_minutes()
    );
    if !meta.sources.is_empty() {
        let _ = write!(h, r#"<p class="note">集計したデータ: {}</p>"#, esc(&meta.sources.join(", ")));
    }
    h.push_str("</body></html>\n");
    h
}
