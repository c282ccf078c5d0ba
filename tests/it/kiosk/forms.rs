//! The kiosk flow through the real forms layer: session state machine + virtual card +
//! embedded templates + IPAex fonts → PDFs whose text is checked with pdftotext (poppler).

use crate::support::kiosk_support;

use std::time::{Duration, Instant};

use kiosk_support::real::{catalog_forms, pdftotext};
use madoguchi::card::sim::persona;
use madoguchi::session::catalog_forms::GUIDE_EVENT;
use madoguchi::session::{
    AnswerValue, Event, NotWiredOutput, ProcedureMode, Session, SessionSettings, SimHandle, SimReader, Step,
};

struct Rig {
    s: Session,
    hand: SimHandle,
    t: Instant,
    _dir: tempfile::TempDir,
}

impl Rig {
    fn new() -> Rig {
        let dir = tempfile::tempdir().unwrap();
        let settings = SessionSettings { work_root: dir.path().join("work"), ..SessionSettings::default() };
        let (reader, hand) = SimReader::new();
        let t = Instant::now();
        let s = Session::new(settings, Box::new(reader), Box::new(catalog_forms()), Box::new(NotWiredOutput), t);
        Rig { s, hand, t, _dir: dir }
    }
    fn ev(&mut self, e: Event) {
        self.t += Duration::from_secs(1);
        self.s.handle(e, self.t);
    }
    fn card_and_pin(&mut self, persona_id: &str) {
        let p = persona::builtin_by_id(persona_id).unwrap();
        self.hand.insert(p.clone());
        self.t += Duration::from_secs(1);
        self.s.tick(self.t);
        assert_eq!(self.s.step(), Step::Pin, "{:?}", self.s.message());
        for b in p.pin.expose().bytes() {
            self.ev(Event::PinDigit(b - b'0'));
        }
        self.ev(Event::PinSubmit);
        assert_eq!(self.s.step(), Step::Review, "{:?}", self.s.message());
    }
    fn answer_all_and_sign(&mut self, procedures: &[&str]) {
        for (id, v) in catalog_forms().demo_answers(procedures) {
            self.ev(Event::Answer(id, v));
        }
        self.ev(Event::ReviewDone);
        assert_eq!(self.s.step(), Step::Signature, "problems: {:?}", self.s.problems());
        self.ev(Event::StrokeBegin(100.0, 150.0));
        self.ev(Event::StrokeMove(300.0, 120.0));
        self.ev(Event::SignatureDone);
        assert_eq!(self.s.step(), Step::Confirm);
    }
}

#[test]
fn juminhyo_flow_produces_a_filled_pdf_and_the_wipe_deletes_it() {
    let mut r = Rig::new();
    r.ev(Event::Begin);
    r.ev(Event::ChooseProcedure("juminhyo".into()));
    assert_eq!(r.s.step(), Step::Card);
    r.card_and_pin("typical");
    r.answer_all_and_sign(&["juminhyo"]);
    assert_eq!(r.s.message(), None);
    let forms = r.s.rendered().to_vec();
    assert_eq!(forms.len(), 1);
    assert!(forms[0].title_ja.contains("住民票"), "{}", forms[0].title_ja);
    let text = pdftotext(&forms[0].pdf);
    let p = persona::builtin_by_id("typical").unwrap();
    assert!(text.contains(p.name.expose()), "name missing from the PDF:\n{text}");
    assert!(text.contains("見本市"), "municipality missing");
    assert!(!text.contains(p.my_number.expose()), "住民票 request must not carry the 個人番号");
    assert!(!r.s.has_my_number(), "the 個人番号 is not even read for this form");
    assert!(!forms[0].page_previews.is_empty(), "confirm screen gets page images");
    // File names carry no personal data.
    assert!(!forms[0].pdf.to_string_lossy().contains(p.name.expose()));
    r.ev(Event::Cancel);
    assert!(!forms[0].pdf.exists(), "the session deletes its PDFs at the end");
    assert!(r.s.attributes().is_none());
}

#[test]
fn moving_in_guide_with_children_reads_my_number_and_fills_two_forms() {
    let mut r = Rig::new();
    r.ev(Event::Begin);
    r.ev(Event::ShowGuide);
    assert_eq!(r.s.procedure_mode(), ProcedureMode::Guide);
    let asked = |r: &Rig| -> Vec<String> {
        r.s.forms().guide_questions(r.s.guide_answers()).into_iter().map(|q| q.id).collect()
    };
    assert_eq!(asked(&r), [GUIDE_EVENT], "first only the life event; its questions follow");
    r.ev(Event::GuideAnswer(GUIDE_EVENT.into(), AnswerValue::Choice("moving-in".into())));
    assert!(asked(&r).iter().any(|q| q == "children_under_15"), "{:?}", asked(&r));
    r.ev(Event::GuideAnswer("children_under_15".into(), AnswerValue::YesNo(true)));
    // Another event does not ask about children: its answer goes, and comes back only if asked.
    r.ev(Event::GuideAnswer(GUIDE_EVENT.into(), AnswerValue::Choice("moving-out".into())));
    assert!(!asked(&r).iter().any(|q| q == "children_under_15"));
    assert_eq!(r.s.guide_answers().get("children_under_15"), None);
    r.ev(Event::GuideAnswer(GUIDE_EVENT.into(), AnswerValue::Choice("moving-in".into())));
    r.ev(Event::GuideAnswer("children_under_15".into(), AnswerValue::YesNo(true)));
    r.ev(Event::GuideDone);
    let chosen: Vec<String> = r.s.selected().to_vec();
    assert!(chosen.iter().any(|p| p == "tennyu") && chosen.iter().any(|p| p == "jidou-teate"), "{chosen:?}");
    assert_eq!(r.s.step(), Step::Card);
    r.card_and_pin("long-address");
    assert!(r.s.has_my_number(), "児童手当 needs the 個人番号, so it is read");
    let ids: Vec<&str> = chosen.iter().map(String::as_str).collect();
    r.answer_all_and_sign(&ids);
    let forms = r.s.rendered().to_vec();
    assert_eq!(forms.len(), 2, "{:?}", forms.iter().map(|f| &f.title_ja).collect::<Vec<_>>());
    let p = persona::builtin_by_id("long-address").unwrap();
    let all: String = forms.iter().map(|f| pdftotext(&f.pdf)).collect();
    // Printed one digit per cell: compare without the spaces between cells.
    let compact: String = all.chars().filter(|c| !c.is_whitespace()).collect();
    assert!(compact.contains(p.my_number.expose()), "個人番号 on 児童手当:\n{all}");
    assert!(all.contains("佐藤"), "the name is on the forms");
}

#[test]
fn a_clerks_correction_of_the_card_name_is_what_the_form_prints() {
    // E.g. a 外字 the card's text cannot carry: the clerk types the registered form.
    let mut r = Rig::new();
    r.ev(Event::Begin);
    r.ev(Event::ChooseProcedure("juminhyo".into()));
    r.card_and_pin("typical");
    r.ev(Event::ClerkEdit("name".into(), madoguchi::card::SecretString::new("窓口 修正子")));
    assert!(r.s.clerk_edits().is_empty(), "only an unlocked clerk may edit");
    r.ev(Event::ClerkUnlocked);
    r.ev(Event::ClerkEdit("name".into(), madoguchi::card::SecretString::new("窓口 修正子")));
    r.answer_all_and_sign(&["juminhyo"]);
    let text = pdftotext(&r.s.rendered()[0].pdf);
    assert!(text.contains("窓口 修正子"), "the corrected name is printed:\n{text}");
    let original = persona::builtin_by_id("typical").unwrap().name.expose().to_string();
    assert!(!text.contains(&original), "the card's spelling is replaced, not added");
}
