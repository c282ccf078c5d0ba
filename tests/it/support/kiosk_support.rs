//! Shared by the kiosk_* tests. The state-machine and screen tests use small stand-ins for the
//! forms and output layers so they test the session rules alone (the real layers are driven
//! end to end in kiosk_forms.rs and kiosk_output.rs).

use madoguchi::session::Answers;
use madoguchi::session::demo_forms::DemoForms;
use madoguchi::session::services::{
    FillRequest, FormError, FormService, OutputAction, OutputError, OutputService, OutputStatus, ProcedureInfo,
    Question, Receipt, RenderedForm, RenderedVisit, Visit,
};

/// Stand-in for the forms layer: the demo catalogue, and a "render" that writes the real
/// signature PNG the session hands over as the page preview, so the tests can see generated
/// files appear in the work dir and disappear at the wipe.
pub struct SignatureWritingForms;

impl FormService for SignatureWritingForms {
    fn procedures(&self) -> Vec<ProcedureInfo> {
        DemoForms.procedures()
    }
    fn guide_questions(&self, a: &Answers) -> Vec<Question> {
        DemoForms.guide_questions(a)
    }
    fn guide_result(&self, a: &Answers) -> Vec<String> {
        DemoForms.guide_result(a)
    }
    fn needs_my_number(&self, p: &[String]) -> bool {
        DemoForms.needs_my_number(p)
    }
    fn questions(&self, p: &[String]) -> Vec<Question> {
        DemoForms.questions(p)
    }
    fn render(&self, req: &FillRequest<'_>) -> Result<RenderedVisit, FormError> {
        let path = req.work_dir.join("signature.png");
        std::fs::write(&path, req.signature_png).map_err(|e| FormError::Fill(e.to_string()))?;
        let form = RenderedForm {
            form_id: "signature".into(),
            template_version: "1".into(),
            procedure_id: req.procedures.first().cloned().unwrap_or_default(),
            title_ja: "署名".into(),
            pdf: path.clone(),
            page_previews: vec![path.clone()],
            values: Vec::new(),
            declares: Default::default(),
        };
        Ok(RenderedVisit { forms: vec![form], print_pdf: Some(path), ..RenderedVisit::default() })
    }
}

/// Stand-in for the output layer: accepts every job, so the done step and its auto-return are
/// tested without a printer (the real output layer is driven in kiosk_output.rs).
pub struct AcceptingOutput;

impl OutputService for AcceptingOutput {
    fn can_print(&self) -> bool {
        true
    }
    fn can_send(&self) -> bool {
        false
    }
    fn new_receipt_id(&self) -> Result<String, OutputError> {
        Ok("T01-20261122-0001".into())
    }
    fn deliver(&self, visit: &Visit, _: OutputAction) -> Result<Receipt, OutputError> {
        assert!(visit.rendered.forms.iter().all(|f| f.pdf.exists()), "output must get existing files");
        Ok(Receipt::for_id(&visit.receipt_id))
    }
    fn status(&self) -> OutputStatus {
        OutputStatus::default()
    }
}

/// A clock the test moves by hand.
pub mod clock {
    use std::cell::Cell;
    use std::rc::Rc;
    use std::time::{Duration, Instant};

    #[derive(Clone)]
    pub struct HandClock(pub Rc<Cell<Instant>>);

    impl HandClock {
        pub fn new() -> HandClock {
            HandClock(Rc::new(Cell::new(Instant::now())))
        }
        pub fn advance(&self, secs: u64) {
            self.0.set(self.0.get() + Duration::from_secs(secs));
        }
        pub fn clock(&self) -> madoguchi::ui::Clock {
            let c = self.0.clone();
            Rc::new(move || c.get())
        }
    }
}

/// Build a kiosk window over a session with the simulated reader.
pub mod rig {
    use std::time::Instant;

    use madoguchi::card::sim::persona;
    use madoguchi::config::Config;
    use madoguchi::session::services::{FormService, OutputService};
    use madoguchi::session::{Session, SessionSettings, SimHandle, SimReader};
    use madoguchi::ui::{Demo, KioskUi};

    use super::clock::HandClock;

    pub struct UiRig {
        pub ui: KioskUi,
        pub hand: SimHandle,
        pub clock: HandClock,
        /// Holds the session's work root for the rig's lifetime.
        pub _dir: tempfile::TempDir,
    }

    pub fn build(cfg: &Config, forms: Box<dyn FormService>, output: Box<dyn OutputService>) -> UiRig {
        let dir = tempfile::tempdir().unwrap();
        let settings = SessionSettings { work_root: dir.path().join("work"), ..SessionSettings::default() };
        let (reader, hand) = SimReader::new();
        let clock = HandClock::new();
        let session = Session::new(settings, Box::new(reader), forms, output, Instant::now());
        let demo = Demo { hand: hand.clone(), personas: persona::builtin() };
        let ui = KioskUi::new(cfg, session, Some(demo), clock.clock()).unwrap();
        UiRig { ui, hand, clock, _dir: dir }
    }

    impl UiRig {
        /// A clerk unlocks with staff PIN 2580 (the tests' `clerk.pin_hash`) and closes the panel.
        pub fn unlock_clerk(&self) {
            let w = &self.ui.window;
            w.invoke_clerk_show();
            for d in [2, 5, 8, 0] {
                w.invoke_clerk_digit(d);
            }
            w.invoke_clerk_submit();
            w.invoke_clerk_close();
        }

        /// Let a print/send on the session's worker thread finish, then repaint.
        pub fn settle(&self) {
            for _ in 0..2000 {
                if self.ui.session().delivering().is_none() {
                    self.ui.refresh();
                    return;
                }
                std::thread::sleep(std::time::Duration::from_millis(5));
                self.ui.tick();
            }
            panic!("the output thread did not finish");
        }
    }
}

/// The real forms layer for end-to-end tests: embedded templates, IPAex fonts, pdftotext.
pub mod real {
    use std::path::Path;
    use std::process::Command;

    use madoguchi::forms::{Catalog, Fonts, FontsConfig};
    use madoguchi::session::CatalogForms;

    pub fn catalog_forms() -> CatalogForms {
        let catalog = Catalog::embedded().unwrap_or_else(|e| panic!("embedded templates: {e:?}"));
        let fonts = Fonts::load(&FontsConfig::default()).expect("IPAex fonts installed (tests/stack.sh install)");
        CatalogForms::new(catalog, fonts, "見本市")
    }

    pub fn pdftotext(pdf: &Path) -> String {
        let out =
            Command::new("pdftotext").args(["-layout"]).arg(pdf).arg("-").output().expect("poppler-utils installed");
        assert!(out.status.success());
        String::from_utf8_lossy(&out.stdout).into_owned()
    }
}
