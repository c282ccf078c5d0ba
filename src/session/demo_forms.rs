//! `DemoForms`: the procedure catalogue and questions the demo offers until the forms layer
//! (issue 3) is merged. It does NOT fill or render forms: [`FormService::render`] answers
//! [`FormError::NotWired`], so the demo stops at the confirm step and says so.

use super::answers::{AnswerValue, Answers};
use super::services::{
    Choice, FillRequest, FormError, FormService, ProcedureInfo, Question, QuestionKind, RenderedVisit,
};

pub const JUMINHYO: &str = "juminhyo";
pub const INKAN: &str = "inkan-shomei";
pub const TENNYU: &str = "tennyu";
pub const TENKYO: &str = "tenkyo";
pub const JIDO_TEATE: &str = "jido-teate";
pub const KOKUHO: &str = "kokuho-kanyu";

#[derive(Debug, Default, Clone, Copy)]
pub struct DemoForms;

fn p(id: &str, title: &str, cat: &str, icon: &str) -> ProcedureInfo {
    ProcedureInfo {
        id: id.into(),
        title_ja: title.into(),
        title_en: String::new(),
        category_ja: cat.into(),
        icon: icon.into(),
    }
}

fn choice(items: &[(&str, &str)]) -> QuestionKind {
    QuestionKind::Choice(
        items
            .iter()
            .map(|(id, l)| Choice { id: (*id).into(), label_ja: (*l).into(), label_en: String::new() })
            .collect(),
    )
}

fn q(id: &str, label: &str, kind: QuestionKind, required: bool) -> Question {
    Question {
        id: id.into(),
        label_ja: label.into(),
        label_en: String::new(),
        help_ja: String::new(),
        help_en: String::new(),
        kind,
        required,
    }
}

impl FormService for DemoForms {
    fn procedures(&self) -> Vec<ProcedureInfo> {
        vec![
            p(JUMINHYO, "住民票の写し", "証明書", "certificate"),
            p(INKAN, "印鑑登録証明書", "証明書", "seal"),
            p(TENNYU, "転入届(市外から)", "引っ越し", "moving"),
            p(TENKYO, "転居届(市内で)", "引っ越し", "moving"),
            p(JIDO_TEATE, "児童手当", "子育て", "family"),
            p(KOKUHO, "国民健康保険の加入", "保険・年金", "health"),
        ]
    }

    fn guide_questions(&self, _answers: &Answers) -> Vec<Question> {
        vec![
            q(
                "g-move",
                "引っ越しをしましたか?",
                choice(&[("outside", "市外から来た"), ("inside", "市内で引っ越した"), ("none", "していない")]),
                true,
            ),
            q("g-children", "中学生までのお子さんはいますか?", QuestionKind::YesNo, true),
            q("g-kokuho", "会社の健康保険に入っていませんか?(国民健康保険に入る)", QuestionKind::YesNo, true),
        ]
    }

    fn guide_result(&self, a: &Answers) -> Vec<String> {
        let mut out = Vec::new();
        match a.get("g-move") {
            Some(AnswerValue::Choice(c)) if c == "outside" => out.push(TENNYU.to_string()),
            Some(AnswerValue::Choice(c)) if c == "inside" => out.push(TENKYO.to_string()),
            _ => {}
        }
        let moved = !out.is_empty();
        if moved && a.get("g-children") == Some(&AnswerValue::YesNo(true)) {
            out.push(JIDO_TEATE.to_string());
        }
        if a.get("g-kokuho") == Some(&AnswerValue::YesNo(true)) {
            out.push(KOKUHO.to_string());
        }
        if out.is_empty() {
            out.push(JUMINHYO.to_string());
        }
        out
    }

    fn needs_my_number(&self, procedures: &[String]) -> bool {
        // 児童手当 and 国民健康保険 applications carry the 個人番号 by law; certificates do not.
        procedures.iter().any(|p| p == JIDO_TEATE || p == KOKUHO)
    }

    fn questions(&self, procedures: &[String]) -> Vec<Question> {
        let mut out = Vec::new();
        for pr in procedures {
            match pr.as_str() {
                JUMINHYO => {
                    out.push(q("copies", "必要な通数", QuestionKind::Count { min: 1, max: 10 }, true));
                    out.push(q(
                        "scope",
                        "記載する人",
                        choice(&[("household", "世帯全員"), ("self", "本人のみ")]),
                        true,
                    ));
                    out.push(q("honseki", "本籍・筆頭者を記載する", QuestionKind::YesNo, false));
                    out.push(q(
                        "purpose",
                        "使いみち",
                        choice(&[
                            ("procedure", "役所の手続き"),
                            ("bank", "銀行・保険"),
                            ("job", "就職"),
                            ("other", "その他"),
                        ]),
                        true,
                    ));
                }
                INKAN => {
                    out.push(q("inkan-copies", "印鑑登録証明書の通数", QuestionKind::Count { min: 1, max: 10 }, true))
                }
                TENNYU | TENKYO => {
                    out.push(q("moved-on", "引っ越した日", QuestionKind::Date, true));
                    out.push(q("furigana", "お名前のフリガナ", QuestionKind::Kana { max_chars: 30 }, true));
                    out.push(q("prev-honseki", "本籍", QuestionKind::Text { max_chars: 80 }, false));
                }
                JIDO_TEATE => out.push(q("children", "お子さんの人数", QuestionKind::Count { min: 1, max: 10 }, true)),
                KOKUHO => out.push(q("kokuho-from", "加入する日", QuestionKind::Date, true)),
                _ => {}
            }
        }
        out
    }

    fn render(&self, _req: &FillRequest<'_>) -> Result<RenderedVisit, FormError> {
        Err(FormError::NotWired)
    }
}
