//! Time to fill + render each shipped template from the typical persona, and the PDF size.
//! Run: cargo bench --bench forms_render  (targets: ≤ 15 ms median, ≤ 80 KB per single-page form)

use criterion::{Criterion, criterion_group, criterion_main};
use madoguchi::card::sim::persona;
use madoguchi::forms::{self, Catalog, FillInput, Fonts, FontsConfig};

fn bench(c: &mut Criterion) {
    let fonts = match Fonts::load(&FontsConfig::default()) {
        Ok(f) => f,
        Err(e) => {
            eprintln!("{e}");
            return;
        }
    };
    let Ok(cat) = Catalog::embedded() else { return };
    let Some(p) = persona::builtin_by_id("typical") else { return };
    let attrs = p.attributes();
    let stamp = forms::sample::sample_stamp();
    let signature = forms::sample::sample_signature();
    let mut g = c.benchmark_group("forms_render");
    for t in &cat.templates {
        let answers = forms::sample::sample_answers(&[t]);
        let input = FillInput {
            card: forms::CardView::of(&attrs, Some(&p.my_number)),
            answers: &answers,
            signature: Some(&signature),
            stamp: &stamp,
        };
        let size = forms::fill(t, &input)
            .ok()
            .and_then(|f| forms::render_pdf(&[f], &fonts).ok())
            .map(|b| b.len())
            .unwrap_or(0);
        println!("pdf size {:<14} {:>7} bytes ({:.1} KB)", t.id, size, size as f64 / 1024.0);
        g.bench_function(&t.id, |b| {
            b.iter(|| forms::fill(t, &input).ok().and_then(|f| forms::render_pdf(&[f], &fonts).ok()).map(|v| v.len()))
        });
    }
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
