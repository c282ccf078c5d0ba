//! Session state → the screens' globals. Read-only: no rules here, only presentation (which
//! text in which language, which enum value).

use chrono::NaiveDate;
use slint::{ComponentHandle, Image, SharedString};

use crate::i18n::{Arg, Msg, tr};
use crate::session::stage::{FailedPart, ProcedureMode, Stage};
use crate::session::visit::CardRead;
use crate::session::{OutputAction, PinState, Session};
use crate::vocab::calendar;
use crate::vocab::person::Sex;
use crate::vocab::{AnswerValue, Question, QuestionKind};

use super::models::{Models, rc, sync};
use super::{
    AppWindow, CardPage, ClerkPage, ConfirmPage, Delivery, DemoPage, DonePage, FieldRow, Keyboard, KeyboardPage, Kiosk,
    PageItem, PinMode, PinPage, ProcItem, ProcedurePage, QuestionRow, ReviewPage, Screen, SignaturePage, StartPage,
    Theme,
};

pub fn screen(s: &Stage) -> Screen {
    match s {
        Stage::Start(_) => Screen::Start,
        Stage::CardCheck(_) => Screen::Check,
        Stage::Choosing(_) => Screen::Procedure,
        Stage::Card(_) => Screen::Card,
        Stage::Pin(_) => Screen::Pin,
        Stage::Review(_) => Screen::Review,
        Stage::Signing(_) => Screen::Signature,
        Stage::Confirm(_) => Screen::Confirm,
        Stage::Output(_) => Screen::Output,
        Stage::Done(_) => Screen::Done,
    }
}

fn pin_mode(s: PinState) -> PinMode {
    match s {
        PinState::Ready { .. } => PinMode::Ready,
        PinState::Wrong { .. } => PinMode::Wrong,
        PinState::CallClerk => PinMode::CallClerk,
        PinState::LastTryAllowed => PinMode::LastTryAllowed,
        PinState::Locked => PinMode::Locked,
    }
}

pub fn delivery(a: OutputAction) -> Delivery {
    match a {
        OutputAction::Print => Delivery::Print,
        OutputAction::Send => Delivery::Send,
        OutputAction::PrintAndSend => Delivery::Both,
    }
}

pub fn icon(i: crate::vocab::Icon) -> super::IconName {
    use crate::vocab::Icon;
    match i {
        Icon::Certificate => super::IconName::Certificate,
        Icon::Moving => super::IconName::Moving,
        Icon::Family => super::IconName::Family,
        Icon::Seal => super::IconName::Seal,
        Icon::Tax => super::IconName::Tax,
        Icon::Other => super::IconName::Other,
    }
}

/// 和暦 of a date as the forms write it (the one 和暦 of the project, `forms::jp`).
fn wareki(d: NaiveDate) -> String {
    calendar::to_wareki(d).map_or_else(|| calendar::seireki(d), |w| w.to_string())
}

/// The western date in the screen's language: `1985年4月12日` in Japanese, `12 April 1985`
/// in English, `1985-04-12` in any other language (a new translation folder needs no code).
fn seireki(d: NaiveDate, lang: &str) -> String {
    match lang {
        _ if crate::i18n::is_japanese(lang) => calendar::seireki(d),
        "en" => d.format("%-d %B %Y").to_string(),
        _ => d.format("%Y-%m-%d").to_string(),
    }
}

fn msg(m: Option<&Msg>, lang: &str) -> SharedString {
    m.map(|m| m.render(lang)).unwrap_or_default().into()
}

pub fn question_row(
    models: &Models,
    q: &Question,
    a: Option<&AnswerValue>,
    problem: &str,
    today: NaiveDate,
    lang: &str,
) -> QuestionRow {
    let mut row = QuestionRow {
        id: q.id.as_str().into(),
        label: q.label.render(lang).into(),
        help: q.help.render(lang).into(),
        problem: problem.into(),
        selected: -1,
        ..QuestionRow::default()
    };
    match &q.kind {
        QuestionKind::Choice(cs) => {
            row.kind = super::QuestionKind::Choice;
            row.choices = models.choices(&q.id, cs.iter().map(|c| SharedString::from(c.label.render(lang))).collect());
            if let Some(AnswerValue::Choice(id)) = a {
                row.selected = cs.iter().position(|c| &c.id == id).map_or(-1, |i| i as i32);
            }
        }
        QuestionKind::YesNo => {
            row.kind = super::QuestionKind::Yesno;
            row.selected = match a {
                Some(AnswerValue::YesNo(true)) => 0,
                Some(AnswerValue::YesNo(false)) => 1,
                _ => -1,
            };
        }
        QuestionKind::Count { min, max } => {
            row.kind = super::QuestionKind::Count;
            row.min = *min as i32;
            row.max = *max as i32;
            row.count = match a {
                Some(AnswerValue::Count(n)) => *n as i32,
                _ => *min as i32,
            };
        }
        QuestionKind::Date => {
            row.kind = super::QuestionKind::Date;
            match a {
                Some(AnswerValue::Date(d)) => {
                    row.date_wareki = wareki(*d).into();
                    row.date_seireki = seireki(*d, lang).into();
                }
                // Not chosen yet: say so; the buttons start from today.
                _ => {
                    row.date_wareki = tr(lang, "まだ選んでいません").into();
                    // Japanese readers get the 和暦 they are asked in, others the western date.
                    let day = if crate::i18n::is_japanese(lang) { wareki(today) } else { seireki(today, lang) };
                    row.date_seireki = Msg::new("今日は{}").arg(Arg::Plain(day)).render(lang).into();
                }
            }
        }
        QuestionKind::Kana { .. } | QuestionKind::Text { .. } | QuestionKind::Phone => {
            row.kind = match q.kind {
                QuestionKind::Kana { .. } => super::QuestionKind::Kana,
                QuestionKind::Phone => super::QuestionKind::Phone,
                _ => super::QuestionKind::Text,
            };
            if let Some(AnswerValue::Text(t)) = a {
                row.text = t.expose().into();
            }
        }
    }
    row
}

/// The card's values as the forms will print them (a name is never translated; only the
/// labels are), with a clerk's corrections marked.
fn card_fields(c: &CardRead, lang: &str) -> Vec<FieldRow> {
    let a = &c.attributes;
    let marked = |value: &str, corrected: bool| {
        if corrected { format!("{value}{}", tr(lang, "(職員が修正)")) } else { value.to_string() }
    };
    let d = a.birth_date.date();
    let mut rows = vec![
        FieldRow {
            label: tr(lang, "氏名").into(),
            value: marked(c.name().expose(), c.corrections.name.is_some()).into(),
        },
        FieldRow {
            label: tr(lang, "住所").into(),
            value: marked(c.address().expose(), c.corrections.address.is_some()).into(),
        },
        FieldRow {
            label: tr(lang, "生年月日").into(),
            // The resident's own date first: 和暦 for Japanese readers, western for others.
            value: if crate::i18n::is_japanese(lang) {
                format!("{}({})", wareki(d), seireki(d, lang))
            } else {
                format!("{} ({})", seireki(d, lang), wareki(d))
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
    if c.my_number.is_some() {
        rows.push(FieldRow {
            label: tr(lang, "個人番号").into(),
            value: tr(lang, "読み取り済み(画面には表示しません)").into(),
        });
    }
    rows
}

/// Everything the window shows, from the session.
pub fn apply(w: &AppWindow, models: &Models, s: &Session) {
    let lang = s.language().to_string();
    let lang = lang.as_str();
    let today = s.clock().today();
    let stage = s.stage();
    let theme = w.global::<Theme>();
    let display = s.display();
    theme.set_large_text(display.large_text);
    theme.set_high_contrast(display.high_contrast);

    let k = w.global::<Kiosk>();
    k.set_screen(screen(stage));
    k.set_idle_seconds_left(s.idle_warning().map_or(-1, |n| n as i32));
    k.set_can_go_back(s.can_go_back());

    let start = w.global::<StartPage>();
    start.set_language(lang.into());
    if let Stage::Start(st) = stage {
        start.set_notice(msg(st.notice.as_ref(), lang));
    }

    // Procedure screen (and the titles the later screens list).
    let procs = s.procedures();
    let selected = stage.plan().map(|p| p.procedures.as_slice()).unwrap_or_default();
    sync(
        &models.procedures,
        procs
            .iter()
            .map(|p| ProcItem {
                id: p.id.as_str().into(),
                title: p.title.render(lang).into(),
                category: p.category.render(lang).into(),
                icon: icon(p.icon),
                selected: selected.contains(&p.id),
            })
            .collect(),
    );
    sync(
        &models.titles,
        selected
            .iter()
            .filter_map(|id| procs.iter().find(|p| &p.id == id))
            .map(|p| SharedString::from(p.title.render(lang)))
            .collect(),
    );
    let pp = w.global::<ProcedurePage>();
    if let Stage::Choosing(c) = stage {
        pp.set_guide_mode(c.mode == ProcedureMode::Guide);
        pp.set_message(msg(c.message.as_ref(), lang));
        let gq = s.forms().guide_questions(&c.guide);
        sync(&models.guide, gq.iter().map(|q| question_row(models, q, c.guide.get(&q.id), "", today, lang)).collect());
    }

    let cp = w.global::<CardPage>();
    if let Stage::Card(c) = stage {
        cp.set_message(msg(c.message.as_ref(), lang));
    }

    card_check(w, models, s, lang);

    let pin = w.global::<PinPage>();
    if let Stage::Pin(p) = stage {
        pin.set_entered(p.entry.len() as i32);
        pin.set_digits(p.entry.secret().digits() as i32);
        pin.set_pin_b(p.entry.secret() == crate::session::pin_entry::Secret::PinB);
        pin.set_mode(pin_mode(p.state));
        pin.set_state_text(p.state.message_for(p.entry.secret()).render(lang).into());
        pin.set_message(msg(p.message.as_ref(), lang));
    }

    let rp = w.global::<ReviewPage>();
    let kb = w.global::<KeyboardPage>();
    match stage {
        Stage::Review(r) => {
            sync(&models.fields, card_fields(&r.visit.card, lang));
            let rows: Vec<QuestionRow> = r
                .questions
                .iter()
                .map(|q| {
                    let p = r.problems.iter().find(|p| p.question == q.id).filter(|_| r.show_problems);
                    let p = p.map(|p| p.message.render(lang)).unwrap_or_default();
                    question_row(models, q, r.visit.answers.get(&q.id), &p, today, lang)
                })
                .collect();
            models.keep_choices(&r.questions.iter().map(|q| q.id.as_str()).collect::<Vec<_>>());
            sync(&models.questions, rows);
            // A problem no question shows (e.g. a card value a form cannot print) goes on top.
            let loose = r
                .problems
                .iter()
                .filter(|_| r.show_problems)
                .find(|p| !r.questions.iter().any(|q| q.id == p.question))
                .map(|p| &p.message);
            rp.set_message(msg(r.message.as_ref().or(loose), lang));
            let editing = r.editing.as_ref().and_then(|id| r.questions.iter().find(|q| &q.id == id));
            kb.set_open(editing.is_some());
            if let Some(q) = editing {
                kb.set_label(q.label.render(lang).into());
                kb.set_kind(match q.kind {
                    QuestionKind::Text { .. } => Keyboard::Place,
                    QuestionKind::Phone => Keyboard::Phone,
                    _ => Keyboard::Kana,
                });
                kb.set_text(match r.visit.answers.get(&q.id) {
                    Some(AnswerValue::Text(t)) => t.expose().into(),
                    _ => SharedString::default(),
                });
            }
        }
        _ => {
            kb.set_open(false);
            kb.set_text(SharedString::default());
            sync(&models.fields, Vec::new());
            sync(&models.questions, Vec::new());
        }
    }
    kb.set_clerk(s.clerk_unlocked());

    let sp = w.global::<SignaturePage>();
    if let Stage::Signing(sg) = stage {
        sp.set_strokes(sg.pad.svg_path().into());
        sp.set_message(msg(sg.message.as_ref(), lang));
    }

    // The forms to confirm: page by page, with what each page is.
    let conf = w.global::<ConfirmPage>();
    let mut pages = Vec::new();
    let mut shown: Vec<&std::path::Path> = Vec::new();
    if let Stage::Confirm(c) = stage {
        conf.set_message(msg(c.message.as_ref(), lang));
        conf.set_previews_missing(c.rendered.as_ref().is_some_and(|r| r.previews_missing));
        for f in c.rendered.iter().flat_map(|r| &r.forms) {
            let n = f.page_previews.len();
            for (i, p) in f.page_previews.iter().enumerate() {
                shown.push(p);
                let label = if n > 1 {
                    format!("{} ({}/{})", f.title.render(lang), i + 1, n)
                } else {
                    f.title.render(lang).to_string()
                };
                pages.push(PageItem { image: models.preview(p).unwrap_or_default(), label: label.into() });
            }
        }
    } else {
        conf.set_current(0);
        conf.set_zoomed(false);
    }
    sync(&models.pages, pages);
    sync(&models.buttons, s.delivery_buttons().into_iter().map(delivery).collect());

    let op = w.global::<super::OutputPage>();
    if let Stage::Output(o) = stage {
        op.set_busy(o.delivery.is_some());
        op.set_message(msg(o.message.as_ref(), lang));
        op.set_failed(match s.output_failed() {
            Some(FailedPart::Send) => super::FailedPart::Send,
            _ => super::FailedPart::Print,
        });
    }
    if let Some(a) = s.output_action() {
        op.set_action(delivery(a));
    }

    let dp = w.global::<DonePage>();
    match stage {
        Stage::Done(d) => {
            dp.set_receipt(d.receipt.number.as_str().into());
            dp.set_receipt_id(d.receipt.id.as_str().into());
            dp.set_qr(models.qr(&d.receipt.qr_payload));
            dp.set_message(msg(d.message.as_ref(), lang));
            dp.set_seconds_left(s.done_countdown().map_or(0, |n| n as i32));
            let guide = d.visit.rendered.guide.as_ref().and_then(|g| g.page_previews.first());
            if let Some(p) = guide {
                shown.push(p);
            }
            dp.set_guide_page(guide.and_then(|p| models.preview(p)).unwrap_or_else(Image::default));
        }
        _ => {
            dp.set_receipt(SharedString::default());
            dp.set_receipt_id(SharedString::default());
            dp.set_guide_page(Image::default());
        }
    }
    models.keep_previews(&shown);

    clerk(w, s, lang);
}

/// What moves with time alone: the idle warning, the done screen's countdown, the printer and
/// outbox state on an open clerk panel.
pub fn apply_clock(w: &AppWindow, s: &Session) {
    w.global::<Kiosk>().set_idle_seconds_left(s.idle_warning().map_or(-1, |n| n as i32));
    w.global::<DonePage>().set_seconds_left(s.done_countdown().map_or(0, |n| n as i32));
    if s.clerk().panel_open() {
        let lang = s.language();
        let st = s.output().status();
        let cp = w.global::<ClerkPage>();
        cp.set_printer_status(st.printer.render(lang).into());
        cp.set_outbox_status(st.outbox.render(lang).into());
    }
}

/// カードの状態: a row per PIN (tries left) and one for the certificate (valid until), the
/// advice, and the applications it calls for.
fn card_check(w: &AppWindow, models: &Models, s: &Session, lang: &str) {
    let cp = w.global::<super::CheckPage>();
    let Stage::CardCheck(c) = s.stage() else {
        cp.set_waiting(true);
        sync(&models.check_rows, Vec::new());
        sync(&models.advice, Vec::new());
        return;
    };
    cp.set_message(msg(c.message.as_ref(), lang));
    cp.set_printing(c.printing.is_some());
    cp.set_printed(c.printed);
    cp.set_can_print(s.output().offers().print);
    let Some(st) = &c.status else {
        cp.set_waiting(true);
        return;
    };
    cp.set_waiting(false);
    let rows = st
        .rows
        .iter()
        .map(|(label, value)| FieldRow { label: label.render(lang).into(), value: value.render(lang).into() });
    sync(&models.check_rows, rows.collect());
    sync(&models.advice, s.card_advice().iter().map(|a| SharedString::from(a.message.render(lang))).collect());
    let advised = s.advised_procedures();
    sync(
        &models.advised,
        s.procedures()
            .iter()
            .filter(|p| advised.contains(&p.id))
            .map(|p| ProcItem {
                id: p.id.as_str().into(),
                title: p.title.render(lang).into(),
                category: p.category.render(lang).into(),
                icon: icon(p.icon),
                selected: false,
            })
            .collect(),
    );
}

fn clerk(w: &AppWindow, s: &Session, lang: &str) {
    let c = s.clerk();
    let cp = w.global::<ClerkPage>();
    cp.set_open(c.panel_open());
    cp.set_unlocked(c.unlocked());
    cp.set_entered(c.entered() as i32);
    cp.set_message(msg(c.message(), lang));
    let stage = s.stage();
    let can = s.clerk_actions();
    cp.set_can_allow_last_try(can.allow_last_try);
    cp.set_can_use_pin_b(can.use_pin_b);
    cp.set_can_correct(can.correct);
    cp.set_can_reprint(can.reprint);
    // Only while the panel is open: the card's values are not copied into the window for
    // nothing.
    match stage.card().filter(|_| c.panel_open() && c.unlocked()) {
        Some(card) => {
            if cp.get_edit_name().as_str() != card.name().expose() {
                cp.set_edit_name(card.name().expose().into());
            }
            if cp.get_edit_address().as_str() != card.address().expose() {
                cp.set_edit_address(card.address().expose().into());
            }
        }
        None => {
            cp.set_edit_name(SharedString::default());
            cp.set_edit_address(SharedString::default());
        }
    }
    if c.panel_open() {
        let st = s.output().status();
        cp.set_printer_status(st.printer.render(lang).into());
        cp.set_outbox_status(st.outbox.render(lang).into());
        cp.set_visits_today(s.visit_summary().map(|d| d.counts_ja()).unwrap_or_default().into());
    }
}

/// Bind the list models to the globals once.
pub fn bind_models(w: &AppWindow, models: &Models) {
    w.global::<StartPage>().set_languages(rc(&models.languages));
    w.global::<ProcedurePage>().set_procedures(rc(&models.procedures));
    w.global::<ProcedurePage>().set_guide_questions(rc(&models.guide));
    w.global::<CardPage>().set_titles(rc(&models.titles));
    w.global::<DemoPage>().set_personas(rc(&models.personas));
    w.global::<ReviewPage>().set_fields(rc(&models.fields));
    w.global::<ReviewPage>().set_questions(rc(&models.questions));
    w.global::<ConfirmPage>().set_titles(rc(&models.titles));
    w.global::<ConfirmPage>().set_pages(rc(&models.pages));
    w.global::<ConfirmPage>().set_buttons(rc(&models.buttons));
    w.global::<super::CheckPage>().set_rows(rc(&models.check_rows));
    w.global::<super::CheckPage>().set_advice(rc(&models.advice));
    w.global::<super::CheckPage>().set_procedures(rc(&models.advised));
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::i18n::Text;

    fn date_question() -> Question {
        Question {
            id: "moved-on".into(),
            label: Text::new("引っ越した日", "Date you moved"),
            help: Text::default(),
            kind: QuestionKind::Date,
            required: true,
        }
    }

    #[test]
    fn dates_show_wareki_with_the_western_date_in_the_screens_language() {
        let m = Models::default();
        let q = date_question();
        let today = NaiveDate::from_ymd_opt(2026, 11, 22).unwrap();
        let d = AnswerValue::Date(NaiveDate::from_ymd_opt(2019, 5, 1).unwrap());
        let ja = question_row(&m, &q, Some(&d), "", today, "ja");
        assert_eq!(
            (ja.label.as_str(), ja.date_wareki.as_str(), ja.date_seireki.as_str()),
            ("引っ越した日", "令和元年5月1日", "2019年5月1日")
        );
        let en = question_row(&m, &q, Some(&d), "", today, "en");
        assert_eq!((en.label.as_str(), en.date_seireki.as_str()), ("Date you moved", "1 May 2019"));
        let none = question_row(&m, &q, None, "", today, "en");
        assert_eq!(
            (none.date_wareki.as_str(), none.date_seireki.as_str()),
            ("Not chosen yet", "Today is 22 November 2026")
        );
        let easy = question_row(&m, &q, None, "", today, "ja-easy");
        assert_eq!((easy.label.as_str(), easy.date_wareki.as_str()), ("引っ越した日", "まだ えらんで いません"));
        assert_eq!(easy.date_seireki.as_str(), "きょうは 令和8年11月22日");
        // A language added as a translation folder only (no code): ISO dates, not Japanese.
        let other = question_row(&m, &q, Some(&d), "", today, "vi");
        assert_eq!(other.date_seireki.as_str(), "2019-05-01");
    }

    #[test]
    fn a_date_before_meiji_is_not_shown_as_meiji() {
        // 1868-05-01 is before the day the forms start writing 明治: the screen must not
        // call it 明治元年 while the paper refuses it.
        let d = NaiveDate::from_ymd_opt(1868, 5, 1).unwrap();
        assert!(!wareki(d).contains("明治"), "{}", wareki(d));
    }
}
