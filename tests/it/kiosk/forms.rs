//! The kiosk flow through the real forms layer: session state machine + virtual card +
//! embedded templates + IPAex fonts → PDFs whose text is checked with pdftotext (poppler).

use madoguchi::card::sim::persona;
use madoguchi::forms::GUIDE_EVENT;
use madoguchi::session::stage::Stage;
use madoguchi::session::{Event, ProcedureMode};
use madoguchi::vocab::AnswerValue;
use madoguchi::vocab::person::SecretString;

use crate::support::kiosk_support::Rig;
use crate::support::kiosk_support::real::pdftotext;

#[test]
fn juminhyo_flow_produces_a_filled_pdf_and_the_wipe_deletes_it() {
    let mut r = Rig::accepting();
    r.walk_to_confirm();
    assert_eq!(r.s.message(), None);
    let forms = &r.s.stage().rendered().unwrap().forms;
    assert_eq!(forms.len(), 1);
    assert!(forms[0].title.ja.contains("住民票"), "{}", forms[0].title.ja);
    let path = forms[0].pdf_path.clone();
    let text = pdftotext(&path);
    let p = persona::builtin_by_id("typical").unwrap();
    assert!(text.contains(p.name.expose()), "name missing from the PDF:\n{text}");
    assert!(text.contains("見本市"), "municipality missing");
    assert!(!text.contains(p.my_number.expose()), "住民票 request must not carry the 個人番号");
    assert!(r.s.stage().card().unwrap().my_number.is_none(), "the 個人番号 is not even read for this form");
    assert!(!forms[0].page_previews.is_empty(), "confirm screen gets page images");
    // The PDF in memory is the one on disk (what is printed and sent is what was shown).
    assert_eq!(std::fs::read(&path).unwrap(), forms[0].pdf.as_slice());
    // File names carry no personal data.
    assert!(!path.to_string_lossy().contains(p.name.expose()));
    r.ev(Event::Cancel);
    assert!(!path.exists(), "the session deletes its PDFs at the end");
    assert!(r.s.stage().card().is_none());
}

#[test]
fn moving_in_guide_with_children_reads_my_number_and_fills_two_forms() {
    let mut r = Rig::accepting();
    r.ev(Event::Begin);
    r.ev(Event::ShowGuide);
    let asked = |r: &Rig| -> Vec<String> {
        let Stage::Choosing(c) = r.s.stage() else { panic!("not on the procedure screen") };
        assert_eq!(c.mode, ProcedureMode::Guide);
        r.s.forms().guide_questions(&c.guide).into_iter().map(|q| q.id).collect()
    };
    let guide_answer = |r: &Rig, id: &str| {
        let Stage::Choosing(c) = r.s.stage() else { panic!() };
        c.guide.get(id).cloned()
    };
    assert_eq!(asked(&r), [GUIDE_EVENT], "first only the life event; its questions follow");
    r.ev(Event::Answer(GUIDE_EVENT.into(), AnswerValue::Choice("moving-in".into())));
    assert!(asked(&r).iter().any(|q| q == "children_under_15"), "{:?}", asked(&r));
    r.ev(Event::Answer("children_under_15".into(), AnswerValue::YesNo(true)));
    // Another event does not ask about children: its answer goes, and comes back only if asked.
    r.ev(Event::Answer(GUIDE_EVENT.into(), AnswerValue::Choice("moving-out".into())));
    assert!(!asked(&r).iter().any(|q| q == "children_under_15"));
    assert_eq!(guide_answer(&r, "children_under_15"), None);
    r.ev(Event::Answer(GUIDE_EVENT.into(), AnswerValue::Choice("moving-in".into())));
    r.ev(Event::Answer("children_under_15".into(), AnswerValue::YesNo(true)));
    r.ev(Event::GuideDone);
    let chosen: Vec<String> = r.s.stage().plan().unwrap().procedures.clone();
    assert!(chosen.iter().any(|p| p == "tennyu") && chosen.iter().any(|p| p == "jidou-teate"), "{chosen:?}");
    assert_eq!(r.stage_name(), "card");
    r.card_and_pin("long-address");
    assert!(r.s.stage().card().unwrap().my_number.is_some(), "児童手当 needs the 個人番号, so it is read");
    let ids: Vec<&str> = chosen.iter().map(String::as_str).collect();
    r.answer_all(&ids);
    r.sign_and_confirm();
    let rendered = r.s.stage().rendered().unwrap();
    assert_eq!(rendered.forms.len(), 2, "{:?}", rendered.forms);
    assert!(rendered.guide.is_some(), "the guide chose the procedures: a 手続き案内 is made");
    let p = persona::builtin_by_id("long-address").unwrap();
    let all: String = rendered.forms.iter().map(|f| pdftotext(&f.pdf_path)).collect();
    // Printed one digit per cell: compare without the spaces between cells.
    let compact: String = all.chars().filter(|c| !c.is_whitespace()).collect();
    assert!(compact.contains(p.my_number.expose()), "個人番号 on 児童手当:\n{all}");
    assert!(all.contains("佐藤"), "the name is on the forms");
}

#[test]
fn a_clerks_correction_of_the_card_name_is_what_the_form_prints() {
    // E.g. a 外字 the card's text cannot carry: the clerk types the registered form.
    let mut r = Rig::accepting();
    r.walk_to_review("juminhyo", "typical");
    let address = r.s.stage().card().unwrap().attributes.address.clone();
    let corrected = SecretString::new("窓口 修正子");
    r.ev(Event::ClerkCorrect { name: corrected.clone(), address: address.clone() });
    assert!(r.s.stage().card().unwrap().corrections.name.is_none(), "only an unlocked clerk may correct");
    r.unlock_clerk();
    r.ev(Event::ClerkCorrect { name: corrected, address });
    let c = r.s.stage().card().unwrap();
    assert!(c.corrections.address.is_none(), "an unchanged address is not marked as corrected");
    r.answer_all(&["juminhyo"]);
    r.sign_and_confirm();
    let text = pdftotext(&r.s.stage().rendered().unwrap().forms[0].pdf_path);
    assert!(text.contains("窓口 修正子"), "the corrected name is printed:\n{text}");
    let original = persona::builtin_by_id("typical").unwrap().name.expose().to_string();
    assert!(!text.contains(&original), "the card's spelling is replaced, not added");
}
