//! Unit tests of [`Catalog::active_questions`] on the shipped catalog and on small templates.

use std::path::Path;

use super::*;
use crate::vocab::person::SecretString;

fn shipped() -> Catalog {
    Catalog::embedded().unwrap_or_else(|e| panic!("{e:?}"))
}

fn ids(qs: &[Question]) -> Vec<&str> {
    qs.iter().map(|q| q.id.as_str()).collect()
}

fn answers(pairs: &[(&str, AnswerValue)]) -> Answers {
    pairs.iter().map(|(k, v)| (k.to_string(), v.clone())).collect()
}

#[test]
fn household_rows_appear_as_the_count_grows() {
    let c = shipped();
    let none = c.active_questions(&["tennyu"], &Answers::default());
    let all = c.questions(&["tennyu"]);
    assert!(ids(&none).contains(&"members"));
    assert!(!ids(&none).iter().any(|id| id.starts_with("member") && *id != "members"), "{:?}", ids(&none));
    // questions() is unchanged: every row of every group.
    assert!(ids(&all).contains(&"member6_relationship"));
    let three = c.active_questions(&["tennyu"], &answers(&[("members", AnswerValue::Count(3))]));
    let got = ids(&three);
    let rows: Vec<&str> = got.iter().copied().filter(|id| id.starts_with("member") && *id != "members").collect();
    assert_eq!(
        rows,
        [
            "member2_name",
            "member2_kana",
            "member2_birth",
            "member2_sex",
            "member2_relationship",
            "member3_name",
            "member3_kana",
            "member3_birth",
            "member3_sex",
            "member3_relationship"
        ]
    );
    // Stable order: the rows follow the count, and the order matches questions().
    let pos = |id: &str| got.iter().position(|x| *x == id).unwrap_or(usize::MAX);
    assert_eq!(pos("member2_name"), pos("members") + 1);
    let order_in_all: Vec<&str> = ids(&all).into_iter().filter(|id| got.contains(id)).collect();
    assert_eq!(order_in_all, got);
}

#[test]
fn conditions_follow_choices_and_shared_questions_come_once() {
    let c = shipped();
    let procs = ["juminhyo", "koseki"];
    let selfish = c.active_questions(&procs, &answers(&[("requester", AnswerValue::Choice("self".into()))]));
    assert!(!ids(&selfish).contains(&"proxy_name"));
    assert_eq!(ids(&selfish).iter().filter(|id| **id == "requester").count(), 1);
    assert_eq!(ids(&selfish).iter().filter(|id| **id == "phone").count(), 1);
    let proxy = c.active_questions(&procs, &answers(&[("requester", AnswerValue::Choice("proxy".into()))]));
    for id in ["proxy_name", "proxy_address", "power_of_attorney"] {
        assert_eq!(ids(&proxy).iter().filter(|x| **x == id).count(), 1, "{id}");
    }
    // 特例転入 only for a move-in.
    let tenkyo = answers(&[("move_type", AnswerValue::Choice("tenkyo".into()))]);
    assert!(!ids(&c.active_questions(&["tenkyo"], &tenkyo)).contains(&"special_tennyu"));
    let tennyu = answers(&[("move_type", AnswerValue::Choice("tennyu".into()))]);
    assert!(ids(&c.active_questions(&["tennyu"], &tennyu)).contains(&"special_tennyu"));
    // Unknown procedures give nothing, not a panic.
    assert!(c.active_questions(&["nope"], &Answers::default()).is_empty());
}

const CHAIN: &str = r#"id = "chain"
version = 1
title = { ja = "連鎖" }

[[fields]]
id = "has_agent"
label = { ja = "代理人がいる" }
kind = "checkbox"

[[fields]]
id = "agent_kind"
label = { ja = "代理人の種類" }
kind = "choice"
when = { field = "has_agent", in = ["true"] }
choices = [{ value = "lawyer", label = { ja = "弁護士" } }, { value = "family", label = { ja = "家族" } }]

[[fields]]
id = "lawyer_no"
label = { ja = "登録番号" }
kind = "text"
when = { field = "agent_kind", in = ["lawyer"] }
"#;

const PROCS: &str = r#"[[procedures]]
id = "p"
title = { ja = "p" }
forms = ["chain"]
"#;

#[test]
fn a_stale_answer_behind_a_hidden_question_does_not_open_its_followers() {
    let t = parse_template(CHAIN, Path::new("chain.toml")).unwrap_or_else(|e| panic!("{e:?}"));
    let c = Catalog::assemble(vec![t], PROCS, Path::new("procedures.toml")).unwrap_or_else(|e| panic!("{e:?}"));
    let lawyer = AnswerValue::Choice("lawyer".into());
    let on = answers(&[("has_agent", AnswerValue::YesNo(true)), ("agent_kind", lawyer.clone())]);
    assert_eq!(ids(&c.active_questions(&["p"], &on)), ["has_agent", "agent_kind", "lawyer_no"]);
    // The resident went back and said "no agent": agent_kind is hidden, so lawyer_no is too.
    let off = answers(&[("has_agent", AnswerValue::YesNo(false)), ("agent_kind", lawyer)]);
    assert_eq!(ids(&c.active_questions(&["p"], &off)), ["has_agent"]);
    // The filler agrees: the stale answers are neither validated nor printed.
    let attrs = crate::vocab::person::CardAttributes {
        name: SecretString::new("見本 太郎"),
        address: SecretString::new("東京都千代田区霞が関1-2-3"),
        birth_date: crate::vocab::person::BirthDate::new(
            chrono::NaiveDate::from_ymd_opt(1985, 4, 12).unwrap_or_default(),
        ),
        sex: crate::vocab::person::Sex::Male,
    };
    let mut stale = off.clone();
    stale.set("lawyer_no", AnswerValue::Text(SecretString::new("12345")));
    let stamp = crate::forms::sample::sample_stamp();
    let input = crate::forms::FillInput {
        card: crate::forms::CardView::of(&attrs, None),
        answers: &stale,
        signature: None,
        stamp: &stamp,
    };
    let filled = crate::forms::fill(&c.templates[0], &input).unwrap_or_else(|e| panic!("{e:?}"));
    assert!(!filled.values.contains_key("lawyer_no") && !filled.values.contains_key("agent_kind"));
}
