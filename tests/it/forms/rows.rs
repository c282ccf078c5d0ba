//! Repeated rows: the household table of 住民異動届, the children of 児童手当認定請求書
//! and the per-kind copy counts of 戸籍証明書等交付請求書, checked in the rendered PDF with
//! pdftotext word boxes (poppler) and real IPAex fonts.

use crate::support::forms_support;

use chrono::NaiveDate;
use forms_support::*;
use madoguchi::forms;
use madoguchi::vocab::person::SecretString;
use madoguchi::vocab::{AnswerValue, Answers};

fn text(s: &str) -> AnswerValue {
    AnswerValue::Text(SecretString::new(s))
}
fn choice(v: &str) -> AnswerValue {
    AnswerValue::Choice(v.into())
}
fn date(y: i32, m: u32, d: u32) -> AnswerValue {
    AnswerValue::Date(NaiveDate::from_ymd_opt(y, m, d).unwrap())
}
fn ans(pairs: &[(&str, AnswerValue)]) -> Answers {
    pairs.iter().map(|(k, v)| (k.to_string(), v.clone())).collect()
}

const MM: f32 = 72.0 / 25.4;

/// Centre (mm) of the first word on page 1 that equals `w`.
fn centre(words: &[(f32, f32, f32, f32, String)], w: &str) -> Option<(f32, f32)> {
    words.iter().find(|x| x.4 == w).map(|x| ((x.0 + x.2) / 2.0 / MM, (x.1 + x.3) / 2.0 / MM))
}

/// Table row (1-based) and column (0-based) of a point, for a table whose data rows start at
/// `top` mm and are `row_h` high, with column edges `edges` (mm).
fn cell(p: (f32, f32), top: f32, row_h: f32, edges: &[f32]) -> (i32, usize) {
    let row = ((p.1 - top) / row_h).floor() as i32 + 1;
    let col = edges.windows(2).position(|e| p.0 >= e[0] && p.0 < e[1]).unwrap_or(usize::MAX);
    (row, col)
}

/// Fill with exactly these answers (no samples merged in), to test what is missing.
fn fill_exact(t: &forms::Template, answers: Answers) -> Result<forms::FilledForm<'static>, Vec<forms::FieldError>> {
    let p = madoguchi::card::sim::persona::builtin_by_id("typical").unwrap();
    fill_exact_for(t, &p, &answers, true)
}

fn render_words(t: &forms::Template, extra: Answers, name: &str) -> Vec<(f32, f32, f32, f32, String)> {
    let filled = fill_for(t, "typical", extra).unwrap_or_else(|e| panic!("{}: {e:?}", t.id));
    let dir = tempfile::tempdir().unwrap();
    let path = write_tmp(dir.path(), name, &forms::render_pdf(&[filled], &fonts()).unwrap());
    assert!(tool("qpdf", &["--check", &path]).status.success());
    words(&path)
}

#[test]
fn household_members_are_printed_in_their_rows_and_unused_rows_stay_empty() {
    let cat = catalog();
    let t = cat.template("idou").unwrap();
    let extra = ans(&[
        ("members", AnswerValue::Count(4)),
        ("relationship", choice("head")),
        ("member2_name", text("山田花子")),
        ("member2_kana", text("ヤマダハナコ")),
        ("member2_birth", date(1988, 2, 3)),
        ("member2_sex", choice("female")),
        ("member2_relationship", choice("wife")),
        ("member3_name", text("山田一郎")),
        ("member3_birth", date(2015, 6, 7)),
        ("member3_sex", choice("male")),
        ("member3_relationship", choice("child")),
        ("member4_name", text("山田桜子")),
        ("member4_birth", date(2019, 5, 1)),
        ("member4_sex", choice("female")),
        ("member4_relationship", choice("child")),
        // A stale answer for row 5 (the resident first said 5 persons): never printed.
        ("member5_name", text("山田五郎")),
        ("member5_birth", date(2020, 1, 1)),
    ]);
    let ws = render_words(t, extra, "idou.pdf");
    // Table: data rows from y = 129 mm, 12 mm each; columns No. | 氏名 | 生年月日 | 性別 | 続柄.
    let edges = [15.0, 23.0, 85.0, 133.0, 149.0, 195.0];
    // The card name also appears above the table (届出人): look only inside the table.
    let at = |w: &str| {
        let p = ws
            .iter()
            .filter(|x| x.4 == w)
            .map(|x| ((x.0 + x.2) / 2.0 / MM, (x.1 + x.3) / 2.0 / MM))
            .find(|p| p.1 >= 129.0)
            .unwrap_or_else(|| panic!("{w} not printed in the table"));
        cell(p, 129.0, 12.0, &edges)
    };
    assert_eq!(at("山田"), (1, 1), "the person notifying (card name 山田 太郎) is row 1");
    assert_eq!(at("山田花子"), (2, 1));
    assert_eq!(at("ヤマダハナコ"), (2, 1));
    assert_eq!(at("昭和63年2月3日"), (2, 2));
    assert_eq!(at("妻"), (2, 4));
    assert_eq!(at("山田一郎"), (3, 1));
    assert_eq!(at("平成27年6月7日"), (3, 2));
    assert_eq!(at("山田桜子"), (4, 1));
    assert_eq!(at("令和元年5月1日"), (4, 2));
    let heads: Vec<(i32, usize)> = ws
        .iter()
        .filter(|w| w.4 == "世帯主")
        .map(|w| cell(((w.0 + w.2) / 2.0 / MM, (w.1 + w.3) / 2.0 / MM), 129.0, 12.0, &edges))
        .collect();
    assert!(heads.contains(&(1, 4)), "relationship of the person notifying in row 1: {heads:?}");
    assert_eq!(at("昭和60年4月12日"), (1, 2), "card birth date in row 1");
    let in_rows: Vec<i32> = ws
        .iter()
        .filter(|w| w.4 == "男" || w.4 == "女")
        .map(|w| cell(((w.0 + w.2) / 2.0 / MM, (w.1 + w.3) / 2.0 / MM), 129.0, 12.0, &edges))
        .filter(|c| c.1 == 3)
        .map(|c| c.0)
        .collect();
    assert_eq!(in_rows, [1, 2, 3, 4], "one sex per used row, in the 性別 column");
    assert!(centre(&ws, "山田五郎").is_none(), "row 5 is not used (4 persons) and must stay empty");
    assert!(ws.iter().any(|w| w.4 == "４"), "the number of persons is printed");
}

#[test]
fn a_used_row_needs_its_answers_and_the_count_is_bounded_by_the_rows() {
    let cat = catalog();
    let t = cat.template("idou").unwrap();
    let mut a = forms::sample::sample_answers(&[t]);
    a.set("members", AnswerValue::Count(5));
    a.remove("member5_name");
    let errs = fill_exact(t, a).unwrap_err();
    assert!(errs.iter().any(|e| e.field == "member5_name" && e.message().ja().contains("入力")), "{errs:?}");
    assert!(errs.iter().all(|e| e.label.ja.contains('5') || e.field == "member5_name"), "{errs:?}");
    let errs = fill_for(t, "typical", ans(&[("members", AnswerValue::Count(7))])).unwrap_err();
    assert!(errs.iter().any(|e| e.field == "members" && e.message().ja().contains("までの数")), "{errs:?}");
}

#[test]
fn children_table_holds_four_children_and_the_count_of_others() {
    let cat = catalog();
    let t = cat.template("jidou-teate").unwrap();
    let extra = ans(&[
        ("children", AnswerValue::Count(3)),
        ("child1_name", text("山田一郎")),
        ("child1_birth", date(2012, 4, 1)),
        ("child1_living", choice("together")),
        ("child2_name", text("山田二郎")),
        ("child2_birth", date(2015, 6, 7)),
        ("child2_living", choice("apart")),
        ("child3_name", text("山田三郎")),
        ("child3_birth", date(2019, 5, 1)),
        ("child3_living", choice("together")),
        ("child4_name", text("山田四郎")),
        ("other_children", AnswerValue::Count(2)),
    ]);
    let ws = render_words(t, extra, "jt.pdf");
    // Table: data rows from y = 143 mm, 10 mm each; columns No. | 氏名 | 生年月日 | 続柄 | 同別居.
    let edges = [15.0, 23.0, 85.0, 137.0, 159.0, 195.0];
    let at = |w: &str| cell(centre(&ws, w).unwrap_or_else(|| panic!("{w} not printed")), 143.0, 10.0, &edges);
    assert_eq!(at("山田一郎"), (1, 1));
    assert_eq!(at("平成24年4月1日"), (1, 2));
    assert_eq!(at("山田二郎"), (2, 1));
    assert_eq!(at("別居"), (2, 4));
    assert_eq!(at("山田三郎"), (3, 1));
    assert_eq!(at("令和元年5月1日"), (3, 2));
    assert!(centre(&ws, "山田四郎").is_none(), "3 children: row 4 stays empty");
    // Counts below the table: ３ children in the table, ２ others.
    let (x3, y3) = centre(&ws, "３").expect("children count");
    let (x2, y2) = centre(&ws, "２").expect("other children count");
    assert!((183.0..191.0).contains(&y3) && (183.0..191.0).contains(&y2), "{y3} {y2}");
    assert!(x3 < 89.0 && x2 > 124.0, "{x3} {x2}");
    let a = ans(&[("children", AnswerValue::Count(4))]);
    let mut all = forms::sample::sample_answers(&[t]);
    for (k, v) in a.iter() {
        all.set(k, v.clone());
    }
    all.remove("child4_birth");
    let errs = fill_exact(t, all).unwrap_err();
    assert_eq!(errs.iter().map(|e| e.field.as_str()).collect::<Vec<_>>(), ["child4_birth"]);
}

#[test]
fn koseki_copies_are_counted_per_kind_and_at_least_one_is_required() {
    let cat = catalog();
    let t = cat.template("koseki").unwrap();
    let kinds = [
        "copies_zenbu",
        "copies_kojin",
        "copies_joseki_zenbu",
        "copies_joseki_kojin",
        "copies_kaisei_zenbu",
        "copies_kaisei_kojin",
        "copies_fuhyo",
    ];
    let mut counts: Answers = kinds.iter().map(|k| (k.to_string(), AnswerValue::Count(0))).collect();
    counts.set("copies_zenbu", AnswerValue::Count(2));
    counts.set("copies_fuhyo", AnswerValue::Count(3));
    let ws = render_words(t, counts.clone(), "koseki.pdf");
    // Columns of the kind table: 7 × 146/7 mm from x = 49; counts in its second row (147–161 mm).
    let col_of = |w: &str| {
        let (x, y) = centre(&ws, w).unwrap_or_else(|| panic!("{w} not printed"));
        assert!((147.0..161.0).contains(&y), "{w} at y {y}");
        ((x - 49.0) / (146.0 / 7.0)).floor() as i32
    };
    assert_eq!(col_of("２"), 0, "謄本");
    assert_eq!(col_of("３"), 6, "附票");
    assert_eq!(ws.iter().filter(|w| w.4 == "通").count(), 7, "one 通 per kind");
    assert!(!ws.iter().any(|w| w.4 == "０"), "a count of 0 stays blank");
    // Nothing requested: one clear message, on the first kind.
    let none: Answers = kinds.iter().map(|k| (k.to_string(), AnswerValue::Count(0))).collect();
    let errs = fill_for(t, "typical", none).unwrap_err();
    assert_eq!(errs.len(), 1, "{errs:?}");
    assert_eq!(errs[0].field, "copies_zenbu");
    assert!(
        errs[0].message().ja().contains("少なくとも1種類") && errs[0].message().render("en").contains("at least one")
    );
    // Unanswered counts count as none too.
    let mut unanswered = forms::sample::sample_answers(&[t]);
    for k in kinds {
        unanswered.remove(k);
    }
    assert!(fill_exact(t, unanswered).is_err());
}

#[test]
fn requester_choices_are_one_set_and_each_form_refuses_what_its_paper_lacks() {
    let cat = catalog();
    let sets: Vec<(&str, Vec<&str>)> = cat
        .templates
        .iter()
        .filter_map(|t| {
            let f = t.fields.iter().find(|f| f.id == "requester")?;
            Some((t.id.as_str(), f.choices.iter().map(|c| c.id.as_str()).collect()))
        })
        .collect();
    assert_eq!(sets.len(), 5);
    for (id, s) in &sets {
        assert_eq!(s, &["self", "household", "family", "proxy", "third_party"], "{id}");
    }
    for (form, refused) in [
        ("juminhyo", "family"),
        ("shotoku-kazei", "third_party"),
        ("inkan-toroku", "household"),
        ("inkan-shomei", "family"),
    ] {
        let t = cat.template(form).unwrap();
        let errs = fill_for(t, "typical", ans(&[("requester", choice(refused))])).unwrap_err();
        assert!(
            errs.iter().any(|e| e.field == "requester"
                && (e.message().ja().contains("選んでください") || e.message().ja().contains("だけ"))),
            "{form}/{refused}: {errs:?}"
        );
    }
    assert!(fill_for(cat.template("koseki").unwrap(), "typical", ans(&[("requester", choice("family"))])).is_ok());
    assert!(fill_for(cat.template("juminhyo").unwrap(), "typical", ans(&[("requester", choice("household"))])).is_ok());
}
