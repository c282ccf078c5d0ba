//! Repeated rows: a [`Group`] is expanded at load time into ordinary fields, so filling,
//! rendering and the kiosk questions need no special case. Row `n` of group `member` turns field
//! `name` into `member{n}_name`, asked and printed only when the count field is at least `n`.

use super::model::{Field, FieldKind, Group, Template, When};

/// Rows a paper form can have at most; more is certainly a typo.
pub const MAX_ROWS: u32 = 30;

/// Why a group cannot be expanded (the loader turns these into located errors).
#[derive(Debug, Clone, PartialEq)]
pub enum GroupProblem {
    /// `count` does not name a count field of the template (outside the groups).
    NoCountField { group: String, count: String },
    /// `first..=last` is empty or too long.
    BadRows { group: String },
    /// The count may exceed the last row, so some answers would never be printed.
    CountAboveRows { group: String, count: String, last: u32 },
    /// A field inside a group has its own `when`.
    WhenInGroup { group: String, field: String },
}

/// Generated id of `field` in row `n` of `group`.
pub fn row_field_id(group: &str, n: u32, field: &str) -> String {
    format!("{group}{n}_{field}")
}

/// Replace `t.groups` by generated fields, inserted right after each group's count field (so
/// the kiosk asks "how many" and then row by row). Problems leave the group unexpanded.
pub fn expand(t: &mut Template) -> Vec<GroupProblem> {
    let mut problems = Vec::new();
    for g in std::mem::take(&mut t.groups) {
        let before = problems.len();
        check(t, &g, &mut problems);
        if problems.len() > before {
            continue;
        }
        let rows = rows_of(&g);
        let at = t.fields.iter().position(|f| f.id == g.count).map_or(t.fields.len(), |i| i + 1);
        t.fields.splice(at..at, rows);
    }
    problems
}

fn check(t: &Template, g: &Group, problems: &mut Vec<GroupProblem>) {
    match t.fields.iter().find(|f| f.id == g.count) {
        Some(c) if c.kind == FieldKind::Count => {
            if c.max.is_none_or(|m| m > g.last) {
                problems.push(GroupProblem::CountAboveRows {
                    group: g.id.clone(),
                    count: g.count.clone(),
                    last: g.last,
                });
            }
        }
        _ => problems.push(GroupProblem::NoCountField { group: g.id.clone(), count: g.count.clone() }),
    }
    if g.first == 0 || g.last < g.first || g.last - g.first >= MAX_ROWS {
        problems.push(GroupProblem::BadRows { group: g.id.clone() });
    }
    for f in g.fields.iter().filter(|f| f.when.is_some()) {
        problems.push(GroupProblem::WhenInGroup { group: g.id.clone(), field: f.id.clone() });
    }
}

fn rows_of(g: &Group) -> Vec<Field> {
    let mut out = Vec::new();
    for n in g.first..=g.last {
        let k = (n - g.first) as f32;
        for f in &g.fields {
            let mut f = f.clone();
            f.id = row_field_id(&g.id, n, &f.id);
            let num = n.to_string();
            f.label.ja = f.label.ja.replace("{n}", &num);
            f.label.en = f.label.en.replace("{n}", &num);
            if let Some(h) = &mut f.help {
                h.ja = h.ja.replace("{n}", &num);
                h.en = h.en.replace("{n}", &num);
            }
            f.when = Some(When { field: g.count.clone(), any_of: Vec::new(), at_least: Some(n) });
            for p in &mut f.print {
                p.rect[0] += g.step[0] * k;
                p.rect[1] += g.step[1] * k;
            }
            out.push(f);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::forms::model::{Placement, Source, Text};

    fn field(id: &str, kind: FieldKind) -> Field {
        Field {
            id: id.into(),
            label: Text { ja: format!("{{n}}人目の{id}"), en: String::new() },
            kind,
            source: Source::Answer,
            required: true,
            when: None,
            max_len: None,
            chars: Vec::new(),
            choices: Vec::new(),
            min: Some(1),
            max: Some(4),
            value: None,
            help: None,
            print: Vec::new(),
        }
    }

    fn template(group: Group) -> Template {
        let mut t: Template = toml::from_str("id = \"t\"\nversion = 1\ntitle = { ja = \"t\" }\n").unwrap();
        t.fields =
            vec![field("before", FieldKind::Text), field("count", FieldKind::Count), field("after", FieldKind::Text)];
        t.groups = vec![group];
        t
    }

    fn group() -> Group {
        let mut name = field("name", FieldKind::Text);
        name.print.push(toml::from_str::<Placement>("box = [10, 100, 50, 8]").unwrap());
        Group { id: "m".into(), count: "count".into(), first: 2, last: 4, step: [0.0, 12.0], fields: vec![name] }
    }

    #[test]
    fn rows_are_inserted_after_the_count_with_shifted_boxes_and_conditions() {
        let mut t = template(group());
        assert!(expand(&mut t).is_empty());
        let ids: Vec<&str> = t.fields.iter().map(|f| f.id.as_str()).collect();
        assert_eq!(ids, ["before", "count", "m2_name", "m3_name", "m4_name", "after"]);
        let m4 = &t.fields[4];
        assert_eq!(m4.label.ja, "4人目のname");
        assert_eq!(m4.print[0].rect, [10.0, 124.0, 50.0, 8.0]);
        assert_eq!(m4.when, Some(When { field: "count".into(), any_of: vec![], at_least: Some(4) }));
        assert!(t.groups.is_empty());
    }

    #[test]
    fn bad_groups_are_reported_not_expanded() {
        let mut g = group();
        g.count = "before".into();
        g.fields[0].when = Some(When { field: "after".into(), any_of: vec!["x".into()], at_least: None });
        let mut t = template(g);
        let p = expand(&mut t);
        assert!(matches!(p[0], GroupProblem::NoCountField { .. }), "{p:?}");
        assert!(matches!(p[1], GroupProblem::WhenInGroup { .. }), "{p:?}");
        assert_eq!(t.fields.len(), 3);
        let mut g = group();
        g.last = 3;
        let p = expand(&mut template(g));
        assert_eq!(p, [GroupProblem::CountAboveRows { group: "m".into(), count: "count".into(), last: 3 }]);
        let mut g = group();
        g.first = 5;
        assert!(matches!(expand(&mut template(g))[..], [GroupProblem::BadRows { .. }]));
    }
}
