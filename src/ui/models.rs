//! The window's list models, made once and updated in place: a repaint four times a second
//! changes only the rows that changed, so nothing on screen is rebuilt (or flickers) for no
//! reason.

use std::cell::RefCell;
use std::collections::HashMap;
use std::path::PathBuf;
use std::rc::Rc;

use slint::{Image, Model, ModelRc, SharedString, VecModel};

use super::{Delivery, FieldRow, LangItem, PageItem, PersonaItem, ProcItem, QuestionRow};

/// Make `model` hold `rows`, touching only rows that differ.
pub fn sync<T: Clone + PartialEq + 'static>(model: &VecModel<T>, rows: Vec<T>) {
    for (i, row) in rows.iter().enumerate() {
        match model.row_data(i) {
            Some(old) if &old == row => {}
            Some(_) => model.set_row_data(i, row.clone()),
            None => model.push(row.clone()),
        }
    }
    while model.row_count() > rows.len() {
        model.remove(model.row_count() - 1);
    }
}

pub fn rc<T: Clone + 'static>(m: &Rc<VecModel<T>>) -> ModelRc<T> {
    ModelRc::from(m.clone())
}

#[derive(Default)]
pub struct Models {
    pub languages: Rc<VecModel<LangItem>>,
    pub personas: Rc<VecModel<PersonaItem>>,
    pub procedures: Rc<VecModel<ProcItem>>,
    pub guide: Rc<VecModel<QuestionRow>>,
    pub questions: Rc<VecModel<QuestionRow>>,
    pub fields: Rc<VecModel<FieldRow>>,
    pub titles: Rc<VecModel<SharedString>>,
    pub pages: Rc<VecModel<PageItem>>,
    pub buttons: Rc<VecModel<Delivery>>,
    pub check_rows: Rc<VecModel<FieldRow>>,
    pub advice: Rc<VecModel<SharedString>>,
    pub advised: Rc<VecModel<ProcItem>>,
    /// The choices of each question, by question id: the same model every repaint, so an
    /// unchanged question compares equal and is left alone.
    choices: RefCell<HashMap<String, Rc<VecModel<SharedString>>>>,
    /// Decoded previews of the current visit, by file (dropped with the visit).
    previews: RefCell<Vec<(PathBuf, Image)>>,
    qr: RefCell<Option<(String, Image)>>,
}

impl Models {
    /// The choices model of question `id`, updated to `labels`.
    pub fn choices(&self, id: &str, labels: Vec<SharedString>) -> ModelRc<SharedString> {
        let mut all = self.choices.borrow_mut();
        let m = all.entry(id.to_string()).or_default().clone();
        sync(&m, labels);
        ModelRc::from(m)
    }

    /// Forget the choice models of questions that are gone.
    pub fn keep_choices(&self, ids: &[&str]) {
        self.choices.borrow_mut().retain(|k, _| ids.contains(&k.as_str()));
    }

    /// The decoded preview of `path` (decoded once per visit).
    pub fn preview(&self, path: &std::path::Path) -> Option<Image> {
        let mut cache = self.previews.borrow_mut();
        if let Some((_, img)) = cache.iter().find(|(p, _)| p == path) {
            return Some(img.clone());
        }
        let img = super::images::load_png(path)?;
        cache.push((path.to_path_buf(), img.clone()));
        Some(img)
    }

    /// Drop previews of files no longer shown (the visit ended).
    pub fn keep_previews(&self, paths: &[&std::path::Path]) {
        self.previews.borrow_mut().retain(|(p, _)| paths.contains(&p.as_path()));
    }

    pub fn qr(&self, payload: &str) -> Image {
        let mut cache = self.qr.borrow_mut();
        if let Some((p, img)) = cache.as_ref()
            && p == payload
        {
            return img.clone();
        }
        let img = super::images::qr_image(payload).unwrap_or_default();
        *cache = Some((payload.to_string(), img.clone()));
        img
    }
}
