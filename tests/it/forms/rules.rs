//! 和暦 boundaries, address split, digits, and the legal rules encoded in the templates.

use crate::support::forms_support;

use chrono::NaiveDate;
use forms_support::*;
use madoguchi::forms::jp::{full_width_digits, half_width_digits, split_address};
use madoguchi::vocab::calendar::{age, to_wareki};
use madoguchi::vocab::person::SecretString;
use madoguchi::vocab::{AnswerValue, Answers};

fn d(y: i32, m: u32, day: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(y, m, day).unwrap()
}

#[test]
fn wareki_changeover_days() {
    let cases = [
        (d(1868, 10, 22), None),
        (d(1868, 10, 23), Some("明治元年10月23日")),
        (d(1912, 7, 29), Some("明治45年7月29日")),
        (d(1912, 7, 30), Some("大正元年7月30日")),
        (d(1926, 12, 24), Some("大正15年12月24日")),
        (d(1926, 12, 25), Some("昭和元年12月25日")),
        (d(1927, 1, 1), Some("昭和2年1月1日")),
        (d(1989, 1, 7), Some("昭和64年1月7日")),
        (d(1989, 1, 8), Some("平成元年1月8日")),
        (d(1990, 1, 1), Some("平成2年1月1日")),
        (d(2019, 4, 30), Some("平成31年4月30日")),
        (d(2019, 5, 1), Some("令和元年5月1日")),
        (d(2020, 1, 1), Some("令和2年1月1日")),
        (d(2025, 5, 1), Some("令和7年5月1日")),
    ];
    for (date, want) in cases {
        assert_eq!(to_wareki(date).map(|w| w.to_string()).as_deref(), want, "{date}");
    }
}

#[test]
fn ages_count_full_years() {
    assert_eq!(age(d(1989, 1, 8), d(2025, 1, 7)), 35);
    assert_eq!(age(d(1989, 1, 8), d(2025, 1, 8)), 36);
    assert_eq!(age(d(2000, 2, 29), d(2025, 2, 28)), 24);
    assert_eq!(age(d(2000, 2, 29), d(2025, 3, 1)), 25);
}

#[test]
fn address_split_into_prefecture_city_town() {
    let cases = [
        ("東京都千代田区霞が関1-2-3", ("東京都", "千代田区", "霞が関1-2-3")),
        ("北海道札幌市中央区北一条西二丁目1", ("北海道", "札幌市中央区", "北一条西二丁目1")),
        ("三重県四日市市諏訪町1番5号", ("三重県", "四日市市", "諏訪町1番5号")),
        ("千葉県市川市八幡1-1-1", ("千葉県", "市川市", "八幡1-1-1")),
        ("長野県北佐久郡軽井沢町長倉2381", ("長野県", "北佐久郡軽井沢町", "長倉2381")),
        ("神奈川県横浜市中区本町6-50-10", ("神奈川県", "横浜市中区", "本町6-50-10")),
        ("大阪府大阪市北区中之島1-3-20", ("大阪府", "大阪市北区", "中之島1-3-20")),
    ];
    for (a, (p, c, t)) in cases {
        let s = split_address(a);
        assert_eq!((s.prefecture.as_str(), s.city.as_str(), s.town.as_str()), (p, c, t), "{a}");
    }
}

#[test]
fn digit_widths() {
    assert_eq!(full_width_digits("令和7年12月"), "令和７年１２月");
    assert_eq!(half_width_digits("０３－１２３４"), "03－1234");
}

fn ans(pairs: &[(&str, AnswerValue)]) -> Answers {
    pairs.iter().map(|(k, v)| (k.to_string(), v.clone())).collect()
}
fn choice(v: &str) -> AnswerValue {
    AnswerValue::Choice(v.into())
}

#[test]
fn third_party_never_gets_my_number_or_juminhyo_code() {
    let cat = catalog();
    let t = cat.template("juminhyo").unwrap();
    let extra = ans(&[
        ("requester", choice("third_party")),
        ("include_my_number", AnswerValue::YesNo(true)),
        ("include_juminhyo_code", AnswerValue::YesNo(true)),
    ]);
    let errs = fill_for(t, "typical", extra).unwrap_err();
    let fields: Vec<&str> = errs.iter().map(|e| e.field.as_str()).collect();
    assert!(fields.contains(&"include_my_number") && fields.contains(&"include_juminhyo_code"), "{fields:?}");
    assert!(errs.iter().any(|e| e.message().ja().contains("第三者")));
    // Without those items the third party's request is valid.
    let ok = ans(&[
        ("requester", choice("third_party")),
        ("include_my_number", AnswerValue::YesNo(false)),
        ("include_juminhyo_code", AnswerValue::YesNo(false)),
    ]);
    assert!(fill_for(t, "typical", ok).is_ok());
}

#[test]
fn proxy_needs_letter_of_attorney_and_mail_consent_for_my_number() {
    let cat = catalog();
    for id in ["juminhyo", "koseki", "inkan-toroku", "shotoku-kazei"] {
        let t = cat.template(id).unwrap();
        let no_letter = ans(&[("requester", choice("proxy")), ("power_of_attorney", AnswerValue::YesNo(false))]);
        let errs = fill_for(t, "typical", no_letter).unwrap_err();
        assert!(
            errs.iter().any(|e| e.field == "power_of_attorney" && e.message().ja().contains("委任状")),
            "{id}: {errs:?}"
        );
        let letter = ans(&[("requester", choice("proxy")), ("power_of_attorney", AnswerValue::YesNo(true))]);
        assert!(fill_for(t, "typical", letter).is_ok(), "{id}");
    }
    let t = cat.template("juminhyo").unwrap();
    let no_consent = ans(&[
        ("requester", choice("proxy")),
        ("power_of_attorney", AnswerValue::YesNo(true)),
        ("include_my_number", AnswerValue::YesNo(true)),
        ("mynumber_by_mail", AnswerValue::YesNo(false)),
    ]);
    let errs = fill_for(t, "typical", no_consent).unwrap_err();
    assert_eq!(errs[0].field, "mynumber_by_mail");
}

#[test]
fn a_household_member_asks_for_juminhyo_and_koseki_with_one_requester_answer() {
    let cat = catalog();
    let household = ans(&[("requester", choice("household"))]);
    // 住民票: "same household" is a category of its own.
    assert!(fill_for(cat.template("juminhyo").unwrap(), "typical", household.clone()).is_ok());
    // 戸籍 asks one more question, only then: spouse or lineal relative, or not.
    let both = ["juminhyo", "koseki"];
    let asked = |a: &Answers| cat.active_questions(&both, a).iter().any(|q| q.id == "household_relation");
    assert!(asked(&household));
    assert!(!asked(&ans(&[("requester", choice("self"))])));
    let t = cat.template("koseki").unwrap();
    let mut spouse = household.clone();
    for (k, v) in ans(&[("household_relation", choice("family"))]).iter() {
        spouse.set(k, v.clone());
    }
    assert!(fill_for(t, "typical", spouse).is_ok(), "a spouse in the household gets the 戸籍");
    let mut other = household;
    for (k, v) in ans(&[("household_relation", choice("other"))]).iter() {
        other.set(k, v.clone());
    }
    let errs = fill_for(t, "typical", other).unwrap_err();
    assert!(errs.iter().any(|e| e.field == "household_relation" && e.message().ja().contains("代理人")), "{errs:?}");
}

#[test]
fn honseki_and_hittousha_are_answers_and_move_uses_card_address_as_old() {
    let cat = catalog();
    for t in &cat.templates {
        for f in t.fields.iter().filter(|f| f.id.contains("honseki") || f.id.contains("hittousha")) {
            assert_eq!(f.source, madoguchi::forms::model::Source::Answer, "{}.{}", t.id, f.id);
        }
    }
    let t = cat.template("idou").unwrap();
    let old = t.fields.iter().find(|f| f.id == "old_address").unwrap();
    let new = t.fields.iter().find(|f| f.id == "new_address").unwrap();
    assert_eq!(old.source, madoguchi::forms::model::Source::CardAddress);
    assert_eq!(new.source, madoguchi::forms::model::Source::Answer);
    assert!(new.required);
    let new_addr =
        ans(&[("new_address", AnswerValue::Text(SecretString::new("神奈川県横浜市中区本町6-50-10 見本ビル3階")))]);
    let f = fill_for(t, "typical", new_addr).unwrap();
    let dir = tempfile::tempdir().unwrap();
    let path = write_tmp(dir.path(), "idou.pdf", &madoguchi::forms::render_pdf(&[f], &fonts()).unwrap());
    let text = page_text(&path, 1);
    for part in ["神奈川県", "横浜市中区", "本町6-50-10見本ビル3階"] {
        assert!(text.contains(part), "{part} missing");
    }
}

#[test]
fn field_validation_messages_are_plain_japanese_without_the_value() {
    let cat = catalog();
    let t = cat.template("juminhyo").unwrap();
    let bad = ans(&[
        ("phone", AnswerValue::Text(SecretString::new("12345"))),
        ("applicant_kana", AnswerValue::Text(SecretString::new("山田"))),
        ("juminhyo_copies", AnswerValue::Count(99)),
        ("purpose", choice("nonsense")),
    ]);
    let errs = fill_for(t, "typical", bad).unwrap_err();
    let by = |id: &str| errs.iter().find(|e| e.field == id).unwrap_or_else(|| panic!("{id}: {errs:?}"));
    assert!(by("phone").message().ja().contains("10桁か11桁"));
    assert!(by("applicant_kana").message().ja().contains("カタカナ"));
    assert!(by("juminhyo_copies").message().ja().contains("までの数"));
    assert!(by("purpose").message().ja().contains("選び直して"));
    for e in &errs {
        assert!(!e.to_string().contains("12345") && !e.to_string().contains("山田"));
    }
}

#[test]
fn life_events_select_procedures_and_print_a_guide() {
    let cat = catalog();
    let kids = ans(&[("children_under_15", AnswerValue::YesNo(true))]);
    let plan = cat.plan("moving-in", &kids).unwrap();
    assert_eq!(plan.procedures, ["tennyu", "jidou-teate"]);
    let ids: Vec<&str> = cat.forms_for(&["tennyu", "jidou-teate"]).iter().map(|t| t.id.as_str()).collect();
    assert_eq!(ids, ["idou", "jidou-teate"]);
    assert!(cat.needs_my_number(&["tennyu", "jidou-teate"]));
    let no_kids = cat.plan("moving-in", &Answers::default()).unwrap();
    assert_eq!(no_kids.procedures, ["tennyu"]);
    let out = cat.plan("moving-out", &Answers::default()).unwrap();
    assert_eq!(out.procedures, ["tenshutsu"]);
    assert!(out.notes.iter().any(|n| n.contains("国民健康保険")));
    assert!(cat.procedure("tenshutsu").unwrap().notes.iter().any(|n| n.contains("転入の届出")));
    // Shared questions are asked once: both forms have `phone`.
    let qs = cat.questions(&["tennyu", "jidou-teate"]);
    assert_eq!(qs.iter().filter(|q| q.id == "phone").count(), 1);
    let session = madoguchi::forms::sample::sample_stamp();
    let procs: Vec<&str> = plan.procedures.iter().map(String::as_str).collect();
    let fonts = fonts();
    let guide = cat.guide("転入", &procs, &plan.notes, &session, &fonts);
    let dir = tempfile::tempdir().unwrap();
    let path = write_tmp(dir.path(), "guide.pdf", &madoguchi::forms::render_pdf(&[guide], &fonts).unwrap());
    let text = page_text(&path, 1);
    for s in ["手続き案内", "転入の届出", "児童手当を申請したい", "住民異動届", "児童手当認定請求書", "R-20250501-0001"]
    {
        assert!(text.contains(s), "{s} missing from the guide");
    }
}

#[test]
fn guide_lines_are_broken_by_measured_width_with_kinsoku_and_continue_on_more_pages() {
    use madoguchi::forms::layout::{Measure, PT_MM};
    use madoguchi::forms::model::{FontFamily, Static};
    let cat = catalog();
    let fonts = fonts();
    let session = madoguchi::forms::sample::sample_stamp();
    // Notes an administrator might write: long, with punctuation where a 40-character cut
    // used to start lines with 、 or 。, and with half-width text that is narrower.
    let mut notes: Vec<String> = vec![
        "転入届は、引っ越してから14日以内に届け出てください。マイナンバーカードをお持ちの方は、カードの継続利用の手続き（暗証番号の入力）も必要です。".into(),
        "国民健康保険・国民年金・児童手当・こども医療費助成・小中学校の転入学など、世帯の状況によって必要な手続きが異なります。「手続き案内」の窓口へお越しください。".into(),
        "Please bring your residence card (在留カード) and passport if you are a foreign resident; the counter staff will help you in English.".into(),
    ];
    let plan_notes = notes.clone();
    let guide = cat.guide("転入", &["tennyu", "jidou-teate"], &plan_notes, &session, &fonts);
    let mut lines = Vec::new();
    for s in &guide.template.layout {
        let Static::Text { at, text, size, page, .. } = s else { continue };
        let w: f32 = text.chars().map(|c| fonts.advance(FontFamily::Gothic, c)).sum::<f32>() * size * PT_MM;
        assert!(at[0] + w <= 195.0 + 0.01, "line wider than the text area: {w} mm at x {}", at[0]);
        assert!(at[1] + size * PT_MM <= 297.0 - 10.0, "line below the bottom margin on page {page}");
        lines.push(text.clone());
    }
    // The long notes did wrap, and no line starts with a character kinsoku forbids there.
    assert!(lines.len() > 12, "{}", lines.len());
    for l in &lines {
        let first = l.chars().next().unwrap_or(' ');
        // ・ is not in the list: it opens the bullet paragraphs on purpose.
        assert!(!"、。，．）」』ーっゃゅょ".contains(first), "line starts with {first}: {l}");
        let last = l.chars().last().unwrap_or(' ');
        assert!(!"（「『".contains(last), "line ends with {last}: {l}");
    }
    // The text survives the breaking: pdftotext finds every note (whitespace aside).
    let dir = tempfile::tempdir().unwrap();
    let path = write_tmp(dir.path(), "g.pdf", &madoguchi::forms::render_pdf(&[guide], &fonts).unwrap());
    let text = page_text(&path, 1);
    for n in &plan_notes {
        let want: String = n.chars().filter(|c| !c.is_whitespace()).collect();
        assert!(text.contains(&want), "note not intact: {want}");
    }
    // A long guide continues on a second page instead of being cut off.
    for i in 0..80 {
        notes.push(format!("注意事項{i}: 窓口の受付時間は平日の午前8時30分から午後5時15分までです。"));
    }
    let long = cat.guide("転入", &["tennyu"], &notes, &session, &fonts);
    assert!(long.template.page.pages >= 2);
    let path = write_tmp(dir.path(), "g2.pdf", &madoguchi::forms::render_pdf(&[long], &fonts).unwrap());
    assert_eq!(page_count(&path), 2);
    assert!(page_text(&path, 2).contains("注意事項79"));
}

#[test]
fn computed_fields_and_landscape_pages() {
    let text = r#"id = "computed"
version = 1
title = { ja = "計算項目", en = "Computed" }
page = { orientation = "landscape" }

[[fields]]
id = "age"
label = { ja = "年齢" }
kind = "count"
source = "age"
[[fields.print]]
box = [10, 10, 40, 10]
suffix = "歳"

[[fields]]
id = "today"
label = { ja = "日付" }
kind = "date"
source = "today"
[[fields.print]]
box = [10, 30, 60, 10]
date = "seireki"
digits = "full"

[[fields]]
id = "birth_year"
label = { ja = "生年" }
kind = "date"
source = "card_birth_date"
[[fields.print]]
box = [250, 180, 40, 10]
part = "year"
"#;
    let t = madoguchi::forms::parse_template(text, std::path::Path::new("computed.toml")).unwrap();
    // typical persona: born 1985-04-12; session date 2025-05-01 → 40.
    let f = fill_for(&t, "typical", Answers::default()).unwrap();
    let dir = tempfile::tempdir().unwrap();
    let path = write_tmp(dir.path(), "c.pdf", &madoguchi::forms::render_pdf(&[f], &fonts()).unwrap());
    let text = page_text(&path, 1);
    assert!(text.contains("40歳") && text.contains("２０２５年５月１日") && text.contains("1985"), "{text}");
    let info = String::from_utf8_lossy(&tool("pdfinfo", &[&path]).stdout).into_owned();
    assert!(info.contains("841.89 x 595.276"), "not A4 landscape: {info}");
}
