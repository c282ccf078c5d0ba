//! Messages made in Rust (errors, validation) translated with the same .po catalogs as the
//! Slint screens, so adding a language is still "add a .po file" (ui/translations/).
//!
//! A [`Msg`] keeps the Japanese source template (the msgid) and its arguments apart until it
//! is shown, because the language is chosen on the screen, after the message was made.
//! Arguments are counts, template labels (which carry their own English) or other messages —
//! never personal data.

use std::collections::HashMap;
use std::sync::OnceLock;

/// Catalogs bundled with the binary: (language code in the configuration, folder under
/// ui/translations = Slint's language name, .po text). A new language is a new folder and a
/// line here; Japanese is the source and has no catalog.
const CATALOGS: &[(&str, &str, &str)] = &[
    ("en", "en-US", include_str!("../ui/translations/en-US/LC_MESSAGES/madoguchi.po")),
    ("ja-easy", "ja-easy", include_str!("../ui/translations/ja-easy/LC_MESSAGES/madoguchi.po")),
];

/// The card layer's own catalogs (src/card/i18n/<folder>.po), merged into the language's
/// catalog above: its messages change with the card code, not with the screens.
const CARD_CATALOGS: &[(&str, &str)] =
    &[("en", include_str!("card/i18n/en-US.po")), ("ja-easy", include_str!("card/i18n/ja-easy.po"))];

/// The languages the kiosk can offer (configuration code, the language's own name), in the
/// order the start screen shows them.
pub const LANGUAGES: &[(&str, &str)] = &[("ja", "日本語"), ("ja-easy", "やさしい にほんご"), ("en", "English")];

/// Slint's bundled-translation name for a configuration language ("" = the Japanese source).
pub fn slint_language(lang: &str) -> &'static str {
    CATALOGS.iter().find(|(code, _, _)| *code == lang).map_or("", |(_, folder, _)| folder)
}

/// A message for a resident or clerk: a Japanese template with `{}` (in order) or `{N}`
/// (by position, so a translation may reorder) placeholders.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Msg {
    template: &'static str,
    args: Vec<Arg>,
}

/// One placeholder's value.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Arg {
    /// Shown as is in every language (numbers, codes).
    Plain(String),
    /// Text that carries its own translation, e.g. a template label (`label_ja` / `label_en`).
    /// Languages without their own text fall back to Japanese.
    Text { ja: String, en: String },
    /// A message inside a message, translated on its own.
    Msg(Box<Msg>),
}

impl Msg {
    /// A message from its Japanese template; placeholder values follow with [`Msg::arg`].
    pub const fn new(template: &'static str) -> Msg {
        Msg { template, args: Vec::new() }
    }

    /// Append the value of the next placeholder.
    pub fn arg(mut self, a: impl Into<Arg>) -> Msg {
        self.args.push(a.into());
        self
    }

    /// The Japanese source template (the msgid looked up in the catalogs).
    pub fn template(&self) -> &'static str {
        self.template
    }

    /// In Japanese, the source language.
    pub fn ja(&self) -> String {
        self.render("ja")
    }

    /// In `lang` (a configuration language code: ja, ja-easy, en); Japanese when the catalog
    /// has no entry for this template.
    pub fn render(&self, lang: &str) -> String {
        let template = translation(lang, self.template).unwrap_or(self.template);
        let args: Vec<String> = self.args.iter().map(|a| a.render(lang)).collect();
        fill(template, &args)
    }
}

impl Arg {
    fn render(&self, lang: &str) -> String {
        match self {
            Arg::Plain(s) => s.clone(),
            Arg::Text { ja, en } => in_language(ja, en, lang).to_string(),
            Arg::Msg(m) => m.render(lang),
        }
    }
}

impl From<Msg> for Arg {
    fn from(m: Msg) -> Arg {
        Arg::Msg(Box::new(m))
    }
}

/// Counts are shown as they are in every language.
macro_rules! plain_numbers {
    ($($t:ty),*) => {$(
        impl From<$t> for Arg {
            fn from(n: $t) -> Arg {
                Arg::Plain(n.to_string())
            }
        }
    )*};
}
plain_numbers!(u8, u32, u64, usize);

/// Text that carries its own English (template labels, titles, hints): the English where
/// the screen is in English and the text has it, else the Japanese every text has.
pub fn in_language<'a>(ja: &'a str, en: &'a str, lang: &str) -> &'a str {
    if lang == "en" && !en.is_empty() { en } else { ja }
}

/// `ja` (a fixed text without placeholders, or an administrator's text the catalogs may
/// know, such as a category heading) in `lang`; Japanese when there is no translation.
pub fn tr(lang: &str, ja: &str) -> String {
    translation(lang, ja).unwrap_or(ja).to_string()
}

/// The catalog's translation of `template` for `lang`, if it has one.
pub fn translation(lang: &str, template: &str) -> Option<&'static str> {
    static PARSED: OnceLock<HashMap<&'static str, HashMap<String, String>>> = OnceLock::new();
    let all = PARSED.get_or_init(|| {
        CATALOGS
            .iter()
            .map(|(l, _, po)| {
                let mut m = parse_po(po);
                for (_, extra) in CARD_CATALOGS.iter().filter(|(cl, _)| cl == l) {
                    m.extend(parse_po(extra));
                }
                (*l, m)
            })
            .collect()
    });
    all.get(lang)?.get(template).map(String::as_str).filter(|s| !s.is_empty())
}

/// Substitute `{}` (next argument) and `{N}` (argument N); `{{` and `}}` are literal braces.
/// A placeholder without an argument stays visible rather than vanishing.
fn fill(template: &str, args: &[String]) -> String {
    let mut out = String::with_capacity(template.len() + args.iter().map(String::len).sum::<usize>());
    let mut next = 0;
    let mut rest = template;
    while let Some(i) = rest.find(['{', '}']) {
        out.push_str(&rest[..i]);
        let tail = &rest[i..];
        if tail.starts_with("{{") || tail.starts_with("}}") {
            out.push_str(&tail[..1]);
            rest = &tail[2..];
            continue;
        }
        if let Some(end) = tail.find('}').filter(|_| tail.starts_with('{')) {
            let inner = &tail[1..end];
            let index = if inner.is_empty() {
                next += 1;
                Some(next - 1)
            } else {
                inner.parse::<usize>().ok()
            };
            match index.and_then(|n| args.get(n)) {
                Some(a) => out.push_str(a),
                None => out.push_str(&tail[..=end]),
            }
            rest = &tail[end + 1..];
        } else {
            out.push_str(&tail[..1]);
            rest = &tail[1..];
        }
    }
    out.push_str(rest);
    out
}

/// msgid → msgstr from a .po file (single and multi-line strings, comments; no plurals or
/// contexts — the catalogs use neither).
fn parse_po(text: &str) -> HashMap<String, String> {
    let mut map = HashMap::new();
    let (mut id, mut s) = (None::<String>, None::<String>);
    let mut in_str = false;
    let mut flush = |id: &mut Option<String>, s: &mut Option<String>| {
        if let (Some(i), Some(v)) = (id.take(), s.take())
            && !i.is_empty()
        {
            map.insert(i, v);
        }
    };
    for line in text.lines().map(str::trim) {
        if let Some(q) = line.strip_prefix("msgid ") {
            flush(&mut id, &mut s);
            id = Some(unquote(q));
            in_str = false;
        } else if let Some(q) = line.strip_prefix("msgstr ") {
            s = Some(unquote(q));
            in_str = true;
        } else if line.starts_with('"') {
            let target = if in_str { s.as_mut() } else { id.as_mut() };
            if let Some(t) = target {
                t.push_str(&unquote(line));
            }
        }
    }
    flush(&mut id, &mut s);
    map
}

fn unquote(q: &str) -> String {
    let inner = q.trim().strip_prefix('"').and_then(|x| x.strip_suffix('"')).unwrap_or("");
    let mut out = String::with_capacity(inner.len());
    let mut chars = inner.chars();
    while let Some(c) = chars.next() {
        if c != '\\' {
            out.push(c);
            continue;
        }
        match chars.next() {
            Some('n') => out.push('\n'),
            Some('t') => out.push('\t'),
            Some(o) => out.push(o),
            None => {}
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn placeholders_in_order_by_position_and_escaped() {
        let a = ["A".to_string(), "B".to_string()];
        assert_eq!(fill("{} と {}", &a), "A と B");
        assert_eq!(fill("{1} before {0}", &a), "B before A");
        assert_eq!(fill("{{literal}} {}", &a), "{literal} A");
        assert_eq!(fill("{} {} {}", &a), "A B {}", "a missing argument stays visible");
        assert_eq!(fill("unbalanced } {", &a), "unbalanced } {");
    }

    #[test]
    fn po_files_parse_with_escapes_and_continuations() {
        let po = "# c\nmsgid \"\"\nmsgstr \"\"\n\"Language: en\\n\"\n\nmsgid \"あ\\\"い\"\nmsgstr \"a\\\"i\"\n\nmsgid \"長\"\n\"い\"\nmsgstr \"\"\n\"lo\"\n\"ng\"\n";
        let m = parse_po(po);
        assert_eq!(m.get("あ\"い").map(String::as_str), Some("a\"i"));
        assert_eq!(m.get("長い").map(String::as_str), Some("long"));
        assert!(!m.contains_key(""), "the header is not a message");
    }

    #[test]
    fn the_bundled_catalogs_translate_and_fall_back_to_japanese() {
        let m = Msg::new("いいえ");
        assert_eq!(m.render("en"), "No");
        assert_eq!(m.render("ja"), "いいえ");
        let unknown = Msg::new("カタログにない文");
        assert_eq!(unknown.render("en"), "カタログにない文");
    }

    #[test]
    fn labels_and_nested_messages_follow_the_language() {
        let label = Arg::Text { ja: "通数".into(), en: "Copies".into() };
        let m = Msg::new("「{}」を選んでください。").arg(label);
        assert!(m.render("en").contains("Copies"), "{}", m.render("en"));
        assert_eq!(m.ja(), "「通数」を選んでください。");
        assert!(m.render("ja-easy").contains("通数"), "no English label in やさしい日本語");
    }

    /// Every message the Rust code can show — `Msg::new("…")`, `tr(lang, "…")` and the
    /// Japanese literals in `fn message*` / `fn label_ja` bodies — has an English entry, so
    /// an English-speaking resident never meets a Japanese sentence made in Rust.
    #[test]
    fn every_message_in_the_source_has_an_english_translation() {
        let mut missing = Vec::new();
        let mut seen = 0;
        let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
        let mut dirs = vec![root];
        while let Some(d) = dirs.pop() {
            for e in std::fs::read_dir(&d).expect("read src/") {
                let p = e.expect("dir entry").path();
                if p.is_dir() {
                    dirs.push(p);
                } else if p.extension().is_some_and(|x| x == "rs") && !p.ends_with("i18n.rs") {
                    let text = std::fs::read_to_string(&p).expect("read source");
                    for lit in message_literals(&text) {
                        seen += 1;
                        if translation("en", &lit).is_none() {
                            missing.push(format!("{}: {lit}", p.display()));
                        }
                    }
                }
            }
        }
        assert!(seen > 50, "the scan found only {seen} messages: is it still looking in the right places?");
        assert!(
            missing.is_empty(),
            "add these to ui/translations/en-US/LC_MESSAGES/madoguchi.po:\n{}",
            missing.join("\n")
        );
    }

    /// The Japanese string literals a source file shows to people (see the test above).
    fn message_literals(text: &str) -> Vec<String> {
        let mut out = Vec::new();
        for start in ["Msg::new(\"", "tr(&lang, \"", "tr(lang, \""] {
            for (i, _) in text.match_indices(start) {
                out.extend(literal_at(&text[i + start.len() - 1..]));
            }
        }
        for head in ["fn message(", "fn message_ja(", "fn label_ja("] {
            for (i, _) in text.match_indices(head) {
                let body = &text[i..];
                let body = &body[..body.find("\n    }\n").unwrap_or(body.len())];
                let mut rest = body;
                while let Some(q) = rest.find('"') {
                    match literal_at(&rest[q..]) {
                        Some(l) => {
                            rest = &rest[q + l.len() + 2..];
                            if !l.is_ascii() {
                                out.push(l);
                            }
                        }
                        None => break,
                    }
                }
            }
        }
        out.retain(|l| !l.is_ascii());
        out
    }

    /// The string literal `s` starts with (at its opening quote), unescaped as far as the
    /// catalogs need; its byte length in the source is `len + 2` for messages without escapes.
    fn literal_at(s: &str) -> Option<String> {
        let body = s.strip_prefix('"')?;
        let end = body.find('"')?;
        Some(body[..end].to_string())
    }
}
