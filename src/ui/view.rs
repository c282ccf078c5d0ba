//! Session state → window properties. Read-only: no rules here, only presentation.

use std::rc::Rc;
use std::time::Instant;

use chrono::NaiveDate;
use slint::{Image, ModelRc, SharedString, VecModel};

use crate::card::Sex;
use crate::i18n::{Arg, Msg, tr};
use crate::session::answers::{self, AnswerValue};
use crate::session::services::{Question, QuestionKind};
use crate::session::{OutputAction, PinState, ProcedureMode, Session, Step};

use super::{AppWindow, FieldRow, ProcItem, QuestionRow};

fn model<T: Clone + 'static>(v: Vec<T>) -> ModelRc<T> {
    ModelRc::from(Rc::new(VecModel::from(v)))
}

pub fn screen_name(step: Step) -> &'static str {
    match step {
        Step::Start => "start",
        Step::Procedure => "procedure",
        Step::Card => "card",
        Step::Pin => "pin",
        Step::Review => "review",
        Step::Signature => "signature",
        Step::Confirm => "confirm",
        Step::Output => "output",
        Step::Done => "done",
    }
}

fn pin_state_name(s: PinState) -> &'static str {
    match s {
        PinState::Ready { .. } => "ready",
        PinState::Wrong { .. } => "wrong",
        PinState::CallClerk => "call-clerk",
        PinState::LastTryAllowed => "last-try-allowed",
        PinState::Locked => "locked",
    }
}

/// The date a date question shows: its answer, else today.
pub fn date_of(s: &Session, id: &str, today: NaiveDate) -> NaiveDate {
    match s.answers().get(id) {
        Some(AnswerValue::Date(d)) => *d,
        _ => today,
    }
}

pub use crate::i18n::in_language;

/// The western date in the screen's language, e.g. `1985年4月12日` or `12 April 1985`.
fn seireki(d: NaiveDate, lang: &str) -> String {
    if lang == "en" { d.format("%-d %B %Y").to_string() } else { d.format("%Y年%-m月%-d日").to_string() }
}

pub fn question_row(q: &Question, a: Option<&AnswerValue>, problem: &str, today: NaiveDate, lang: &str) -> QuestionRow {
    let mut row = QuestionRow {
        id: q.id.as_str().into(),
        label: in_language(&q.label_ja, &q.label_en, lang).into(),
        help: in_language(&q.help_ja, &q.help_en, lang).into(),
        kind: SharedString::default(),
        choices: model(Vec::new()),
        selected: -1,
        count: 0,
        min: 0,
        max: 0,
        date_wareki: SharedString::default(),
        date_seireki: SharedString::default(),
        text: SharedString::default(),
        problem: problem.into(),
    };
    match &q.kind {
        QuestionKind::Choice(cs) => {
            row.kind = "choice".into();
            row.choices =
                model(cs.iter().map(|c| SharedString::from(in_language(&c.label_ja, &c.label_en, lang))).collect());
            if let Some(AnswerValue::Choice(id)) = a {
                row.selected = cs.iter().position(|c| &c.id == id).map_or(-1, |i| i as i32);
            }
        }
        QuestionKind::YesNo => {
            row.kind = "yesno".into();
            row.selected = match a {
                Some(AnswerValue::YesNo(true)) => 0,
                Some(AnswerValue::YesNo(false)) => 1,
                _ => -1,
            };
        }
        QuestionKind::Count { min, max } => {
            row.kind = "count".into();
            row.min = *min as i32;
            row.max = *max as i32;
            row.count = match a {
                Some(AnswerValue::Count(n)) => *n as i32,
                _ => *min as i32,
            };
        }
        QuestionKind::Date => {
            row.kind = "date".into();
            match a {
                Some(AnswerValue::Date(d)) => {
                    row.date_wareki = answers::wareki(*d).into();
                    row.date_seireki = seireki(*d, lang).into();
                }
                // Not chosen yet: say so; the buttons start from today.
                _ => {
                    row.date_wareki = tr(lang, "まだ選んでいません").into();
                    row.date_seireki = if lang == "en" {
                        format!("Today is {}", seireki(today, lang))
                    } else {
                        Msg::new("今日は{}").arg(Arg::Plain(answers::wareki(today))).render(lang)
                    }
                    .into();
                }
            }
        }
        QuestionKind::Kana { .. } | QuestionKind::Text { .. } => {
            row.kind = "kana".into();
            if let Some(AnswerValue::Text(t)) = a {
                row.text = t.expose().into();
            }
        }
    }
    row
}

fn card_fields(s: &Session, lang: &str) -> Vec<FieldRow> {
    let Some(a) = s.attributes() else { return Vec::new() };
    // The card's values are shown as read (a name is never translated); only the labels are.
    let edited = |k: &str, orig: &str| match s.clerk_edits().get(k) {
        Some(AnswerValue::Text(t)) => format!("{}{}", t.expose(), tr(lang, "(職員が修正)")),
        _ => orig.to_string(),
    };
    let d = a.birth_date.date();
    let mut rows = vec![
        FieldRow { label: tr(lang, "氏名").into(), value: edited("name", a.name.expose()).into() },
        FieldRow { label: tr(lang, "住所").into(), value: edited("address", a.address.expose()).into() },
        FieldRow {
            label: tr(lang, "生年月日").into(),
            value: if lang == "en" {
                format!("{} ({})", seireki(d, lang), answers::wareki(d))
            } else {
                format!("{}({})", answers::wareki(d), seireki(d, lang))
            }
            .into(),
        },
        FieldRow {
            label: tr(lang, "性別").into(),
            value: match a.sex {
                Sex::NotKnown => "—".into(),
                other => tr(lang, other.label_ja()).into(),
            },
        },
    ];
    if s.has_my_number() {
        rows.push(FieldRow {
            label: tr(lang, "個人番号").into(),
            value: tr(lang, "読み取り済み(画面には表示しません)").into(),
        });
    }
    rows
}

/// Everything the window shows, from the session.
pub fn apply(w: &AppWindow, s: &Session, now: Instant, today: NaiveDate) {
    let step = s.step();
    let lang = w.get_language().to_string();
    w.set_screen(screen_name(step).into());
    w.set_message(s.message_msg().map(|m| m.render(&lang)).unwrap_or_default().into());
    w.set_idle_seconds_left(s.idle_warning(now).map_or(-1, |n| n as i32));
    w.set_clerk_unlocked(s.clerk_unlocked());

    let procs = s.forms().procedures();
    w.set_guide_mode(s.procedure_mode() == ProcedureMode::Guide);
    w.set_procedures(model(
        procs
            .iter()
            .map(|p| ProcItem {
                id: p.id.as_str().into(),
                title: in_language(&p.title_ja, &p.title_en, &lang).into(),
                category: tr(&lang, &p.category_ja).into(),
                icon: p.icon.as_str().into(),
                selected: s.selected().contains(&p.id),
            })
            .collect(),
    ));
    let gq = s.forms().guide_questions(s.guide_answers());
    w.set_guide_questions(model(
        gq.iter().map(|q| question_row(q, s.guide_answers().get(&q.id), "", today, &lang)).collect(),
    ));
    w.set_selected_titles(model(
        s.selected()
            .iter()
            .filter_map(|id| procs.iter().find(|p| &p.id == id))
            .map(|p| SharedString::from(in_language(&p.title_ja, &p.title_en, &lang)))
            .collect(),
    ));

    w.set_pin_entered(s.pin_len() as i32);
    w.set_pin_state(pin_state_name(s.pin_state()).into());
    w.set_pin_state_text(s.pin_state().message().render(&lang).into());

    w.set_fields(model(card_fields(s, &lang)));
    let problems = s.problems();
    w.set_questions(model(
        s.questions()
            .iter()
            .map(|q| {
                let p = problems.iter().find(|(id, _)| id == &q.id).map(|(_, m)| m.render(&lang));
                question_row(q, s.answers().get(&q.id), p.as_deref().unwrap_or(""), today, &lang)
            })
            .collect(),
    ));

    w.set_strokes(s.signature().svg_path().into());
    w.set_can_print(s.output().can_print());
    w.set_can_send(s.output().can_send());
    let mut pages = Vec::new();
    for f in s.rendered() {
        for p in &f.page_previews {
            match Image::load_from_path(p) {
                Ok(img) => pages.push(img),
                Err(_) => eprintln!("madoguchi: preview image {} unreadable / 見本画像を読めません", p.display()),
            }
        }
    }
    w.set_pages(model(pages));
    match s.receipt() {
        Some(r) => {
            w.set_receipt(r.number.as_str().into());
            w.set_receipt_id(r.id.as_str().into());
            w.set_qr(super::images::qr_image(&r.qr_payload).unwrap_or_default());
        }
        None => {
            w.set_receipt(SharedString::default());
            w.set_receipt_id(SharedString::default());
            w.set_qr(Image::default());
        }
    }
    let guide = s.rendered_visit().guide.as_ref().and_then(|g| g.page_previews.first());
    w.set_guide_page(guide.and_then(|p| Image::load_from_path(p).ok()).unwrap_or_default());
    w.set_output_busy(s.delivering().is_some());
    w.set_output_action(
        match s.delivering().or(s.last_action()) {
            Some(OutputAction::Send) => "send",
            Some(OutputAction::PrintAndSend) => "both",
            _ => "print",
        }
        .into(),
    );
    w.set_done_seconds_left(s.done_countdown(now).map_or(0, |n| n as i32));
    let st = s.output().status();
    w.set_printer_status(st.printer.render(&lang).into());
    w.set_outbox_status(st.outbox.render(&lang).into());
    if let Some(a) = s.attributes() {
        w.set_edit_name(a.name.expose().into());
        w.set_edit_address(a.address.expose().into());
    } else {
        w.set_edit_name(SharedString::default());
        w.set_edit_address(SharedString::default());
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn date_question() -> Question {
        Question {
            id: "moved-on".into(),
            label_ja: "引っ越した日".into(),
            label_en: "Date you moved".into(),
            help_ja: String::new(),
            help_en: String::new(),
            kind: QuestionKind::Date,
            required: true,
        }
    }

    #[test]
    fn dates_show_wareki_with_the_western_date_in_the_screens_language() {
        let q = date_question();
        let today = NaiveDate::from_ymd_opt(2026, 11, 22).unwrap();
        let d = AnswerValue::Date(NaiveDate::from_ymd_opt(2019, 5, 1).unwrap());
        let ja = question_row(&q, Some(&d), "", today, "ja");
        assert_eq!(
            (ja.label.as_str(), ja.date_wareki.as_str(), ja.date_seireki.as_str()),
            ("引っ越した日", "令和元年5月1日", "2019年5月1日")
        );
        let en = question_row(&q, Some(&d), "", today, "en");
        assert_eq!((en.label.as_str(), en.date_seireki.as_str()), ("Date you moved", "1 May 2019"));
        let none = question_row(&q, None, "", today, "en");
        assert_eq!(
            (none.date_wareki.as_str(), none.date_seireki.as_str()),
            ("Not chosen yet", "Today is 22 November 2026")
        );
        let easy = question_row(&q, None, "", today, "ja-easy");
        assert_eq!((easy.label.as_str(), easy.date_wareki.as_str()), ("引っ越した日", "まだ えらんで いません"));
        assert_eq!(easy.date_seireki.as_str(), "きょうは 令和8年11月22日");
    }
}
