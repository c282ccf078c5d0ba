use super::*;
use crate::forms::Catalog;

fn catalog() -> Catalog {
    Catalog::embedded().expect("the embedded catalog loads")
}

fn data() -> Value {
    page_data(&catalog())
}

fn page_template<'a>(d: &'a Value, id: &str) -> &'a Value {
    d["templates"].as_array().unwrap().iter().find(|t| t["id"] == id).unwrap_or_else(|| panic!("template {id}"))
}

fn ids(list: &Value) -> Vec<String> {
    list.as_array().unwrap().iter().map(|f| f["id"].as_str().unwrap().to_string()).collect()
}

#[test]
fn every_template_carries_exactly_its_questions_without_the_card_fields() {
    let c = catalog();
    let d = page_data(&c);
    assert_eq!(d["templates"].as_array().unwrap().len(), c.templates.len());
    for t in &c.templates {
        let page = page_template(&d, &t.id);
        assert_eq!(page["version"], t.version, "{}", t.id);
        let want: Vec<String> = t
            .fields
            .iter()
            .filter(|f| f.source == Source::Answer && f.kind != FieldKind::Signature)
            .map(|f| f.id.clone())
            .collect();
        assert_eq!(ids(&page["fields"]), want, "{}: the questions the kiosk asks, in its order", t.id);
        for f in t.fields.iter().filter(|f| f.source.is_card()) {
            assert!(!ids(&page["fields"]).contains(&f.id), "{}: card field {} is never asked at home", t.id, f.id);
        }
    }
}

#[test]
fn the_page_asks_what_the_kiosk_asks_for_each_procedure() {
    let c = catalog();
    let d = page_data(&c);
    for p in &c.procedures {
        // The kiosk's own list of questions for this procedure, against the page's data.
        let kiosk: Vec<String> = c.questions(&[p.id.as_str()]).into_iter().map(|q| q.id).collect();
        let mut page: Vec<String> = Vec::new();
        let proc = d["procedures"].as_array().unwrap().iter().find(|x| x["id"] == p.id.as_str()).unwrap();
        for form in proc["forms"].as_array().unwrap() {
            for id in ids(&page_template(&d, form.as_str().unwrap())["fields"]) {
                if !page.contains(&id) {
                    page.push(id);
                }
            }
        }
        assert_eq!(page, kiosk, "{}", p.id);
    }
}

#[test]
fn no_card_value_appears_anywhere_in_the_page_data() {
    let c = catalog();
    let text = page_data(&c).to_string();
    for t in &c.templates {
        for f in t.fields.iter().filter(|f| f.source.is_card()) {
            // A card field id may be shared only by another card field (the catalog forbids a
            // mix), so it must not appear as a question id at all.
            assert!(!text.contains(&format!("\"id\":\"{}\"", f.id)), "{} of {} is in the page", f.id, t.id);
        }
    }
}

#[test]
fn choices_validation_limits_and_help_come_from_the_template() {
    let d = data();
    let idou = page_template(&d, "idou");
    let members = idou["fields"].as_array().unwrap().iter().find(|f| f["id"] == "members").unwrap();
    assert_eq!(
        (members["kind"].as_str(), members["min"].as_u64(), members["max"].as_u64()),
        (Some("count"), Some(1), Some(6))
    );
    assert_eq!(members["help"]["ja"], "一緒に異動するご家族の人数です。2人目からの方は続けてお聞きします。");
    let row = idou["fields"].as_array().unwrap().iter().find(|f| f["id"] == "member3_kana").unwrap();
    assert_eq!(row["when"]["field"], "members");
    assert_eq!(row["when"]["atLeast"], 3);
    assert_eq!(row["maxLen"], 40);
    let jidou = page_template(&d, "jidou-teate");
    let account = jidou["fields"].as_array().unwrap().iter().find(|f| f["id"] == "account_no").unwrap();
    assert_eq!(account["chars"], json!(["digit"]));
    let juminhyo = page_template(&d, "juminhyo");
    let requester = juminhyo["fields"].as_array().unwrap().iter().find(|f| f["id"] == "requester").unwrap();
    assert_eq!(
        requester["choices"][0],
        json!({ "id": "self", "label": { "ja": "本人", "ja-easy": "本人", "en": "Self" } })
    );
    assert!(!juminhyo["rules"].as_array().unwrap().is_empty(), "the legal rules are checked at home too");
}

#[test]
fn texts_are_in_every_language_of_the_kiosk() {
    let d = data();
    let codes: Vec<&str> = d["langs"].as_array().unwrap().iter().map(|l| l["code"].as_str().unwrap()).collect();
    for c in ["ja", "ja-easy", "en"] {
        assert!(codes.contains(&c), "{c} missing: {codes:?}");
    }
    // The page's own texts have an English and a やさしい日本語 translation in the catalogs.
    let mut missing = Vec::new();
    for (key, ja) in UI_TEXTS {
        for lang in ["en", "ja-easy"] {
            if crate::i18n::translation(lang, ja).is_none() {
                missing.push(format!("{lang}: {key} = {ja}"));
            }
        }
    }
    assert!(missing.is_empty(), "add to ui/translations/*/LC_MESSAGES/madoguchi.po:\n{}", missing.join("\n"));
    assert_eq!(d["ui"]["make_code"]["en"], "Make the QR code");
    let tennyu = d["procedures"].as_array().unwrap().iter().find(|p| p["id"] == "tennyu").unwrap();
    assert_eq!(tennyu["title"]["en"], "Moving in");
    assert_eq!(tennyu["title"]["ja"], "転入の届出");
    // The validator's messages are the kiosk's own templates.
    assert_eq!(d["problems"]["too_long"]["ja"], "「{}」は{}文字までです。");
    assert_ne!(d["problems"]["too_long"]["en"], d["problems"]["too_long"]["ja"]);
}

#[test]
fn the_guide_has_the_kiosk_life_events_and_rules() {
    let c = catalog();
    let d = page_data(&c);
    assert_eq!(d["guide"]["id"], GUIDE_EVENT);
    let events = d["events"].as_array().unwrap();
    assert_eq!(ids(&d["events"]), c.life_events.iter().map(|e| e.id.clone()).collect::<Vec<_>>());
    let moving_in = events.iter().find(|e| e["id"] == "moving-in").unwrap();
    assert_eq!(ids(&moving_in["questions"]), ["children_under_15"]);
    assert_eq!(moving_in["questions"][0]["required"], false, "the rules read no answer as no");
    assert_eq!(moving_in["rules"][1]["when"]["in"], json!(["true"]));
    assert_eq!(moving_in["rules"][1]["procedures"], json!(["jidou-teate"]));
}

#[test]
fn the_built_page_is_self_contained_with_a_strict_policy() {
    let files = build(&catalog());
    let names: Vec<&str> = files.iter().map(|f| f.name).collect();
    assert_eq!(names, ["index.html", "page.css", "qr.js", "payload.js", "validate.js", "page.js"]);
    let index = &files[0].text;
    assert!(
        index.contains(
            "content=\"default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data: blob:\""
        )
    );
    assert!(!index.contains("{{"), "every placeholder filled");
    for f in &files {
        for host in [
            "http://",
            "https://",
            "//cdn",
            "fetch(",
            "XMLHttpRequest",
            "sendBeacon",
            "WebSocket",
            "localStorage",
            "document.cookie",
        ] {
            assert!(!f.text.contains(host), "{} contains {host}", f.name);
        }
    }
    // The embedded JSON parses back and cannot end its script element early.
    let start = index.find("application/json\">").unwrap() + "application/json\">".len();
    let end = index[start..].find("</script>").unwrap() + start;
    let parsed: Value = serde_json::from_str(&index[start..end]).expect("embedded JSON");
    assert_eq!(parsed, data());
}

#[test]
fn write_puts_the_files_in_the_directory() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("site");
    let written = write(&catalog(), &out).unwrap();
    assert_eq!(written.len(), 6);
    assert!(std::fs::read_to_string(out.join("index.html")).unwrap().contains("madoguchi-data"));
    let blocked = dir.path().join("file");
    std::fs::write(&blocked, "").unwrap();
    let e = write(&catalog(), &blocked.join("x")).unwrap_err();
    assert!(e.to_string().contains("cannot write"), "{e}");
}
