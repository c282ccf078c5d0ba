//! Two visits answered in the browser the way a resident does (clicks and typed keys), to the
//! QR code; the screenshot is read by zbarimg, its digits are decoded by the spec in this file
//! (independently of both encoders), and then typed into the real kiosk binary the way the
//! counter's scanner types them (digits and Enter), whose filled PDFs must carry the answers.

use chrono::{Days, Local};
use serde_json::{Value, json};

use crate::support::kiosk_support::real::pdftotext;

use super::{choose, count, open, set_date, type_text, zbar};
use crate::support::webdriver::Session;

/// The body of a format-1 code, decoded by the format as the README states it, independently
/// of the page's encoder: digit groups → bytes → "MD", 1, JSON, CRC-32.
fn decode_spec(digits: &str) -> Value {
    const D: [usize; 8] = [0, 3, 5, 8, 10, 13, 15, 17];
    assert!(digits.bytes().all(|b| b.is_ascii_digit()), "digits only: {digits}");
    let mut bytes = Vec::new();
    let mut rest = digits;
    while !rest.is_empty() {
        let n = rest.len().min(17);
        let k = D.iter().position(|d| *d == n).unwrap_or_else(|| panic!("a group of {n} digits is corrupted"));
        let v: u64 = rest[..n].parse().unwrap();
        assert!(k == 8 || v < 1u64 << (8 * k), "group value too large");
        bytes.extend_from_slice(&v.to_be_bytes()[8 - k..]);
        rest = &rest[n..];
    }
    assert_eq!(&bytes[..3], b"MD\x01", "magic and format 1");
    let (payload, crc) = bytes.split_at(bytes.len() - 4);
    assert_eq!(crc32(payload).to_be_bytes(), crc, "CRC-32");
    serde_json::from_slice(&payload[3..]).expect("JSON body")
}

fn crc32(bytes: &[u8]) -> u32 {
    let mut c = 0xFFFF_FFFFu32;
    for b in bytes {
        c ^= u32::from(*b);
        for _ in 0..8 {
            c = if c & 1 != 0 { 0xEDB8_8320 ^ (c >> 1) } else { c >> 1 };
        }
    }
    !c
}

fn expiry() -> String {
    (Local::now().date_naive() + Days::new(30)).format("%Y-%m-%d").to_string()
}

/// The QR code on the code screen: screenshot → zbarimg; checked against what the page says
/// it encoded. Returns (digits, QR version, level).
fn scan(s: &Session, name: &str) -> (String, u32, String) {
    s.find("main[data-screen=code] #qr");
    s.exec("document.getElementById('qr').scrollIntoView({block: 'center'});", json!([]));
    let png = s.screenshot();
    let digits = zbar(&png, name);
    assert_eq!(Some(digits.clone()), s.attribute("#qr", "data-code"), "zbarimg reads what the page encoded");
    let version: u32 = s.attribute("#qr", "data-version").unwrap().parse().unwrap();
    let level = s.attribute("#qr", "data-level").unwrap();
    println!(
        "{name}: {} digits, QR version {version}-{level}, {} modules",
        digits.len(),
        s.attribute("#qr", "data-modules").unwrap()
    );
    (digits, version, level)
}

/// The scanned digits into `madoguchi kiosk --demo --headless --preinput-stdin` (the scanner's
/// keystrokes and its Enter): the visit runs to the receipt with the demo's card, and the text
/// of every filled form comes back (whitespace removed).
fn kiosk_forms(digits: &str) -> String {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("demo");
    let run = crate::support::kiosk_support::headless_demo(&out, &[], &[], Some(digits));
    let log = format!("{}{}", run.stdout, run.stderr);
    assert!(run.ok, "the kiosk did not finish the visit from the page's code:\n{log}");
    assert!(!log.contains(&digits[..24]), "the code appears in the kiosk's output");
    let mut pdfs: Vec<_> = std::fs::read_dir(&out)
        .unwrap()
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|x| x == "pdf"))
        .collect();
    pdfs.sort();
    assert!(!pdfs.is_empty(), "no filled form:\n{log}");
    pdfs.iter().map(|p| pdftotext(p)).collect::<String>().chars().filter(|c| !c.is_whitespace()).collect()
}

#[test]
fn moving_in_with_children_through_the_guide_scans_back_to_the_answers() {
    let s = open("ja");
    s.click("#start-guide");
    choose(&s, "guide-event", "moving-in");
    choose(&s, "children_under_15", "yes");
    s.click("#next");
    let result = s.text("main[data-screen=result]");
    for want in
        ["転入の届出", "児童手当を申請したい", "世帯全員のマイナンバーカード", "こども家庭課", "お子さんの医療費助成"]
    {
        assert!(result.contains(want), "the 手続き案内 shows {want}: {result}");
    }
    s.click("#next");
    s.find("main[data-screen=questions]");
    for card in
        ["name", "birth", "sex", "old_address", "applicant_name", "applicant_address", "applicant_birth", "my_number"]
    {
        assert!(s.try_find(&format!("#q-{card}")).is_none(), "the card's {card} is never asked");
    }
    choose(&s, "move_type", "tennyu");
    set_date(&s, "move_date", "2026-11-20");
    type_text(&s, "new_address", "東京都千代田区千代田1-1");
    type_text(&s, "household_head", "山本一郎");
    type_text(&s, "kana", "山本");
    choose(&s, "relationship", "head");
    assert!(s.try_find("#q-member2_name").is_none(), "person 2 is asked only for 2 persons");
    count(&s, "members", 2);
    type_text(&s, "member2_name", "山本花子");
    type_text(&s, "member2_kana", "やまもと はなこ");
    set_date(&s, "member2_birth", "2018-04-02");
    choose(&s, "member2_sex", "female");
    choose(&s, "member2_relationship", "child");
    choose(&s, "special_tennyu", "yes");
    type_text(&s, "phone", "090-1234-5678");
    type_text(&s, "applicant_kana", "ヤマモト イチロウ");
    choose(&s, "pension", "kosei");
    choose(&s, "spouse", "no");
    count(&s, "children", 1);
    type_text(&s, "child1_name", "山本花子");
    set_date(&s, "child1_birth", "2018-04-02");
    choose(&s, "child1_relationship", "child");
    choose(&s, "child1_living", "together");
    type_text(&s, "bank_name", "みどり銀行");
    type_text(&s, "branch_name", "本店");
    choose(&s, "account_type", "futsu");
    type_text(&s, "account_no", "12345a");
    type_text(&s, "account_holder_kana", "ヤマモト イチロウ");

    // The kiosk's validator refuses the kanji reading and the letter in the account number.
    s.click("#make-code");
    assert!(s.try_find("main[data-screen=questions]").is_some(), "no code while answers are wrong");
    let kana = s.text("#q-kana-error");
    assert!(kana.contains("カタカナで入力してください") && kana.contains("U+5C71"), "{kana}");
    assert!(s.text("#q-account_no-error").contains("使えない文字"), "digits only");
    type_text(&s, "kana", "ヤマモト イチロウ");
    type_text(&s, "account_no", "1234567");
    s.click("#make-code");

    let (digits, version, level) = scan(&s, "moving-in");
    assert_eq!(level, "M");
    assert!((1..=25).contains(&version));
    let body = decode_spec(&digits);
    assert_eq!(body["x"], expiry());
    assert_eq!(body["l"], "ja");
    assert_eq!(body["p"], json!(["tennyu", "jidou-teate"]));
    assert_eq!(body["t"], json!({ "idou": 2, "jidou-teate": 2 }));
    let want = json!({
        "children_under_15": true,
        "move_type": "tennyu", "move_date": "2026-11-20", "new_address": "東京都千代田区千代田1-1",
        "household_head": "山本一郎", "kana": "ヤマモト イチロウ", "relationship": "head", "members": 2,
        "member2_name": "山本花子", "member2_kana": "やまもと はなこ", "member2_birth": "2018-04-02",
        "member2_sex": "female", "member2_relationship": "child", "special_tennyu": true,
        "phone": "090-1234-5678",
        "applicant_kana": "ヤマモト イチロウ", "pension": "kosei", "spouse": "no", "children": 1,
        "child1_name": "山本花子", "child1_birth": "2018-04-02", "child1_relationship": "child",
        "child1_living": "together", "other_children": 0, "bank_name": "みどり銀行", "branch_name": "本店",
        "account_type": "futsu", "account_no": "1234567", "account_holder_kana": "ヤマモト イチロウ",
    });
    assert_eq!(body["a"], want);

    // At the counter: the same digits into the kiosk; its 異動届 and 児童手当 forms carry the
    // answers given at home.
    let forms = kiosk_forms(&digits);
    // (The new address is printed split: 都道府県, 市区町村, then 町域・番地 "千代田1-1";
    // the child's birth date 2018-04-02 in 和暦.)
    for answer in
        ["千代田1-1", "山本一郎", "山本花子", "平成30年4月2日", "みどり銀行", "本店", "1234567", "ヤマモトイチロウ"]
    {
        assert!(forms.contains(answer), "the page's answer {answer} on the kiosk's forms:\n{forms}");
    }
}

#[test]
fn a_resident_record_request_in_english_scans_back_to_the_answers() {
    let s = open("en");
    assert_eq!(s.exec("return document.documentElement.lang;", json!([])), "en");
    s.click("#start-pick");
    s.click("#p-juminhyo");
    s.click("#next");
    let questions = s.text("main[data-screen=questions]");
    assert!(questions.contains("Who is requesting") && questions.contains("Phone number"), "{questions}");
    super::answer_juminhyo(&s, "1234");
    assert!(s.try_find("#q-proxy_name").is_none(), "proxy questions only for a proxy");
    s.click("#make-code");
    let phone = s.text("#q-phone-error");
    assert!(phone.contains("Phone number"), "the kiosk's English message: {phone}");
    type_text(&s, "phone", "03-1234-5678");
    s.click("#make-code");

    let (digits, _, level) = scan(&s, "juminhyo");
    assert_eq!(level, "M");
    let body = decode_spec(&digits);
    assert_eq!(body["x"], expiry());
    assert_eq!(body["l"], "en");
    assert_eq!(body["p"], json!(["juminhyo"]));
    assert_eq!(body["t"], json!({ "juminhyo": 1 }));
    let want = json!({
        "requester": "self", "applicant_kana": "ジョン・スミス", "phone": "03-1234-5678",
        "juminhyo_certificate": "all", "juminhyo_copies": 2, "include_household_head": true,
        "include_honseki": false, "include_my_number": false, "include_juminhyo_code": false,
        "purpose": "employment", "submit_to": "ABC商事", "id_document": "mynumber_card",
    });
    assert_eq!(body["a"], want);
    // Saving: the link carries the same PNG the page shows.
    let href = s.attribute("#save", "href").unwrap();
    assert!(href.starts_with("data:image/png;base64,"), "{}", &href[..40.min(href.len())]);
    assert_eq!(Some(href), s.attribute("#qr", "src"));

    // At the counter: the kiosk's 住民票 request carries the answers given at home.
    let forms = kiosk_forms(&digits);
    for answer in ["ABC商事", "03-1234-5678", "ジョン・スミス"] {
        assert!(forms.contains(answer), "the page's answer {answer} on the kiosk's form:\n{forms}");
    }
}
