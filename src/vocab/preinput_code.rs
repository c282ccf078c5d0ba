//! The pre-input code, format 1 (described in the README, "Pre-input codes at the counter"): digits ↔ bytes ↔ the JSON body.
//!
//! The code holds a resident's answers, so everything decoded lives in zeroizing types with
//! redacted `Debug`, and no error carries any of the content (only which rule failed).

use std::cell::Cell;
use std::collections::BTreeMap;
use std::fmt;

use chrono::NaiveDate;
use serde::de::{self, DeserializeSeed, IgnoredAny, MapAccess, SeqAccess, Visitor};
use serde::ser::SerializeMap;
use serde::{Serialize, Serializer};
use thiserror::Error;
use zeroize::Zeroizing;

use crate::i18n::Msg;
use crate::vocab::person::SecretString;

/// `"MD"`: the first two bytes of every madoguchi code.
pub const MAGIC: [u8; 2] = *b"MD";
/// The format this kiosk reads and writes.
pub const FORMAT: u8 = 1;
/// The longest code accepted, in digits (≈ 988 bytes); longer input is refused unread.
pub const MAX_DIGITS: usize = 2400;
/// How many procedures one code may choose.
pub const MAX_PROCEDURES: usize = 20;
/// Longest id (procedure, template, question) and language code a code may carry.
const MAX_ID: usize = 64;
const MAX_LANGUAGE: usize = 16;

/// Digits of one full group of 7 bytes.
const GROUP_DIGITS: usize = 17;
const GROUP_BYTES: usize = 7;
/// Digits of a last group of k bytes (index k = 0..=7): ceil(8k·log10 2).
const DIGITS_FOR: [usize; 8] = [0, 3, 5, 8, 10, 13, 15, 17];

/// What a pre-input code says: the procedures the resident chose at home and the answers.
#[derive(Clone, PartialEq, Eq)]
pub struct PreInput {
    /// Last day the code is valid (the kiosk's local date).
    pub expires: NaiveDate,
    /// The page language the resident used (`ja`, `ja-easy`, `en`).
    pub language: Option<String>,
    /// Procedure ids, in the resident's order.
    pub procedures: Vec<String>,
    /// Template id → the template version the answers were made for.
    pub templates: BTreeMap<String, u32>,
    /// Question id → value.
    pub answers: BTreeMap<String, RawValue>,
}

impl fmt::Debug for PreInput {
    // Ids and the expiry are not personal; the answers' values are.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("PreInput")
            .field("expires", &self.expires)
            .field("language", &self.language)
            .field("procedures", &self.procedures)
            .field("templates", &self.templates)
            .field("answers", &self.answers)
            .finish()
    }
}

/// One answer as the code carries it; which [`crate::vocab::AnswerValue`] it becomes depends
/// on the kiosk's question (a choice id, a date and a reading are all text here).
#[derive(Clone, PartialEq, Eq)]
pub enum RawValue {
    Bool(bool),
    Number(u64),
    Text(SecretString),
}

impl fmt::Debug for RawValue {
    // Even a yes/no is a resident's answer: only the kind shows.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            RawValue::Bool(_) => "Bool(<redacted>)",
            RawValue::Number(_) => "Number(<redacted>)",
            RawValue::Text(_) => "Text(<redacted>)",
        })
    }
}

impl RawValue {
    /// The kind of value, for the clerks' `preinput decode` (never the value).
    pub fn kind(&self) -> &'static str {
        match self {
            RawValue::Bool(_) => "true/false",
            RawValue::Number(_) => "number",
            RawValue::Text(_) => "text",
        }
    }
}

/// Why a scanned code was not taken. Carries nothing of the code itself.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Error)]
pub enum DecodeError {
    /// Not a madoguchi code: letters or symbols (a URL), or digits without the magic.
    #[error("not a madoguchi pre-input code / 窓口の事前入力コードではありません")]
    NotOurs,
    /// A madoguchi code that was cut short or misread (digit count, group value, CRC).
    #[error(
        "the pre-input code is damaged or incomplete / 事前入力コードが壊れているか、途中までしか読み取れていません"
    )]
    Corrupted,
    /// More than [`MAX_DIGITS`] digits: refused before decoding.
    #[error("the pre-input code is too large (more than {MAX_DIGITS} digits) / 事前入力コードが大きすぎます")]
    TooLarge,
    /// Made by a newer page than this kiosk reads.
    #[error("the pre-input code has format {0}, this kiosk reads format {FORMAT} / 新しい形式の事前入力コードです")]
    NewerFormat(u8),
    /// The checksum holds but the body breaks a rule of the format (which one, in English).
    #[error("the pre-input code's content is not valid: {0} / 事前入力コードの内容が正しくありません")]
    BadBody(&'static str),
}

impl DecodeError {
    /// What the resident reads, saying what to do.
    pub fn message(&self) -> Msg {
        match self {
            DecodeError::NotOurs => Msg::new(
                "このコードは窓口の事前入力コードではありません。事前入力のページで作ったコードを読み取らせてください。",
            ),
            DecodeError::Corrupted => Msg::new(
                "コードを最後まで読み取れませんでした。もう一度読み取らせてください。続くときは事前入力のページでコードを作り直してください。",
            ),
            DecodeError::TooLarge => Msg::new(
                "コードが大きすぎて読み取れません。事前入力のページで、任意の質問を減らしてコードを作り直してください。",
            ),
            DecodeError::NewerFormat(_) => Msg::new(
                "このコードは新しい形式で作られていて、この端末ではまだ読み取れません。職員にお声がけください。",
            ),
            DecodeError::BadBody(_) => {
                Msg::new("コードの内容を読み取れませんでした。事前入力のページでコードを作り直してください。")
            }
        }
    }
}

/// Decode what the scanner typed. Never panics; a trailing CR/LF (the scanner's Enter) is
/// ignored. The layers are checked outside in: characters, size, digit groups, magic, CRC,
/// version, body.
pub fn decode(scanned: &str) -> Result<PreInput, DecodeError> {
    let digits = scanned.trim_end_matches(['\r', '\n']).as_bytes();
    if digits.is_empty() || !digits.iter().all(u8::is_ascii_digit) {
        return Err(DecodeError::NotOurs);
    }
    if digits.len() > MAX_DIGITS {
        return Err(DecodeError::TooLarge);
    }
    let bytes = match digits_to_bytes(digits) {
        Some(b) => b,
        // A code of another system, or one of ours cut at an odd place: the magic tells.
        None if starts_with_magic(digits) => return Err(DecodeError::Corrupted),
        None => return Err(DecodeError::NotOurs),
    };
    if !bytes.starts_with(&MAGIC) {
        return Err(DecodeError::NotOurs);
    }
    // The envelope (magic, version, body, CRC) is the same in every format, so the CRC is
    // checked first: a misread version byte is "damaged", not "newer".
    let Some(split) = bytes.len().checked_sub(4).filter(|n| *n >= 3) else {
        return Err(DecodeError::Corrupted);
    };
    let (signed, crc) = bytes.split_at(split);
    if crc32(signed).to_be_bytes() != crc {
        return Err(DecodeError::Corrupted);
    }
    match signed[2] {
        FORMAT => {}
        0 => return Err(DecodeError::Corrupted),
        v => return Err(DecodeError::NewerFormat(v)),
    }
    parse_body(&signed[3..])
}

/// The code for `p`: magic, version, compact JSON body, CRC, as digits. The caller keeps the
/// result as personal data. A code longer than [`MAX_DIGITS`] is made but will be refused.
pub fn encode(p: &PreInput) -> String {
    let mut body = Zeroizing::new(Vec::with_capacity(256));
    // Writing JSON into a Vec cannot fail (no IO, string keys, no non-finite floats).
    if serde_json::to_writer(&mut *body, &Body(p)).is_err() {
        body.clear();
    }
    seal(FORMAT, &body)
}

/// The code around a body: magic, format version, the body, its CRC-32, as digits. [`encode`]
/// makes the body; tests use this for bodies `encode` would never write.
pub fn seal(version: u8, body: &[u8]) -> String {
    let mut bytes = Zeroizing::new(Vec::with_capacity(body.len() + 7));
    bytes.extend_from_slice(&MAGIC);
    bytes.push(version);
    bytes.extend_from_slice(body);
    let crc = crc32(&bytes);
    bytes.extend_from_slice(&crc.to_be_bytes());
    bytes_to_digits(&bytes)
}

/// How many digits the code for `n` bytes has.
pub fn digits_for_bytes(n: usize) -> usize {
    n / GROUP_BYTES * GROUP_DIGITS + DIGITS_FOR[n % GROUP_BYTES]
}

// ----- digits ↔ bytes -----

/// Bytes as the code's digits (groups of 7 bytes → 17 digits). Public for tests and test
/// vectors; [`encode`] is the way to make a code.
pub fn bytes_to_digits(bytes: &[u8]) -> String {
    let mut out = String::with_capacity(digits_for_bytes(bytes.len()));
    for chunk in bytes.chunks(GROUP_BYTES) {
        let v = chunk.iter().fold(0u64, |acc, b| (acc << 8) | u64::from(*b));
        let width = DIGITS_FOR[chunk.len()];
        // Formatting into a String cannot fail.
        let _ = fmt::Write::write_fmt(&mut out, format_args!("{v:0width$}"));
    }
    out
}

/// The bytes behind a code's digits; `None` when the digit count or a group's value is not
/// one a code can have.
pub fn digits_to_bytes(digits: &[u8]) -> Option<Zeroizing<Vec<u8>>> {
    let tail = digits.len() % GROUP_DIGITS;
    let tail_bytes = DIGITS_FOR.iter().position(|d| *d == tail).filter(|k| *k < GROUP_BYTES)?;
    let mut out = Zeroizing::new(Vec::with_capacity(digits.len() / GROUP_DIGITS * GROUP_BYTES + tail_bytes));
    let mut rest = digits;
    while !rest.is_empty() {
        let (n, k) = if rest.len() >= GROUP_DIGITS { (GROUP_DIGITS, GROUP_BYTES) } else { (rest.len(), tail_bytes) };
        let (group, after) = rest.split_at(n);
        push_group(&mut out, group, k)?;
        rest = after;
    }
    Some(out)
}

/// Append the k bytes a group of digits stands for, if its value fits in k bytes.
fn push_group(out: &mut Vec<u8>, group: &[u8], k: usize) -> Option<()> {
    // At most 17 digits: below 10^17 < 2^64, no overflow.
    let v = group.iter().fold(0u64, |acc, d| acc * 10 + u64::from(d - b'0'));
    if k < 8 && v >> (8 * k) != 0 {
        return None;
    }
    out.extend_from_slice(&v.to_be_bytes()[8 - k..]);
    Some(())
}

/// Whether the first group of digits starts with the magic bytes (a code of ours, damaged).
fn starts_with_magic(digits: &[u8]) -> bool {
    let (n, k) = if digits.len() >= GROUP_DIGITS {
        (GROUP_DIGITS, GROUP_BYTES)
    } else {
        match DIGITS_FOR.iter().position(|d| *d == digits.len()) {
            Some(k) => (digits.len(), k),
            None => return false,
        }
    };
    let mut first = Zeroizing::new(Vec::with_capacity(k));
    push_group(&mut first, &digits[..n], k).is_some() && first.starts_with(&MAGIC)
}

// ----- CRC-32 (IEEE 802.3, reflected 0xEDB88320, as zlib's crc32) -----

const CRC_TABLE: [u32; 256] = {
    let mut table = [0u32; 256];
    let mut i = 0;
    while i < 256 {
        let mut c = i as u32;
        let mut bit = 0;
        while bit < 8 {
            c = if c & 1 != 0 { 0xEDB8_8320 ^ (c >> 1) } else { c >> 1 };
            bit += 1;
        }
        table[i] = c;
        i += 1;
    }
    table
};

pub fn crc32(bytes: &[u8]) -> u32 {
    !bytes.iter().fold(!0u32, |c, b| CRC_TABLE[usize::from((c as u8) ^ b)] ^ (c >> 8))
}

// ----- the JSON body -----

/// Serializes a [`PreInput`] as the format-1 body: `x`, `l`, `p`, `t`, `a`.
struct Body<'a>(&'a PreInput);

impl Serialize for Body<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let p = self.0;
        let mut m = s.serialize_map(None)?;
        m.serialize_entry("x", &p.expires.format("%Y-%m-%d").to_string())?;
        if let Some(l) = &p.language {
            m.serialize_entry("l", l)?;
        }
        m.serialize_entry("p", &p.procedures)?;
        m.serialize_entry("t", &p.templates)?;
        m.serialize_entry("a", &Answers(&p.answers))?;
        m.end()
    }
}

struct Answers<'a>(&'a BTreeMap<String, RawValue>);

impl Serialize for Answers<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut m = s.serialize_map(Some(self.0.len()))?;
        for (k, v) in self.0 {
            match v {
                RawValue::Bool(b) => m.serialize_entry(k, b)?,
                RawValue::Number(n) => m.serialize_entry(k, n)?,
                RawValue::Text(t) => m.serialize_entry(k, t.expose())?,
            }
        }
        m.end()
    }
}

/// Parse the body. The visitors note which rule they were checking in `why`, so the error
/// names the rule without serde's message (which may quote a value).
fn parse_body(json: &[u8]) -> Result<PreInput, DecodeError> {
    let why = Cell::new("the body is not a JSON object");
    let mut de = serde_json::Deserializer::from_slice(json);
    let parsed = BodySeed(&why).deserialize(&mut de).and_then(|p| de.end().map(|()| p));
    parsed.map_err(|e| match e.classify() {
        serde_json::error::Category::Data => DecodeError::BadBody(why.get()),
        _ => DecodeError::BadBody("the body is not valid JSON"),
    })
}

struct BodySeed<'a>(&'a Cell<&'static str>);

impl<'de> DeserializeSeed<'de> for BodySeed<'_> {
    type Value = PreInput;
    fn deserialize<D: de::Deserializer<'de>>(self, d: D) -> Result<PreInput, D::Error> {
        d.deserialize_map(self)
    }
}

impl<'de> Visitor<'de> for BodySeed<'_> {
    type Value = PreInput;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a JSON object")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut m: A) -> Result<PreInput, A::Error> {
        let why = self.0;
        let fail = |rule: &'static str| -> A::Error {
            why.set(rule);
            de::Error::custom(rule)
        };
        let (mut x, mut l, mut p, mut t, mut a) = (None, None, None, None, None);
        loop {
            why.set("a key of the body is not a string");
            let Some(key) = m.next_key::<String>()? else { break };
            let seen = match key.as_str() {
                "x" => {
                    why.set("x is not a date YYYY-MM-DD");
                    let s = Zeroizing::new(m.next_value::<String>()?);
                    x.replace(parse_date(&s).ok_or_else(|| fail("x is not a date YYYY-MM-DD"))?).is_some()
                }
                "l" => {
                    why.set("l is not a language code");
                    let s = m.next_value::<String>()?;
                    if !is_id(&s, MAX_LANGUAGE) {
                        return Err(fail("l is not a language code"));
                    }
                    l.replace(s).is_some()
                }
                "p" => p.replace(m.next_value_seed(IdList(why))?).is_some(),
                "t" => t.replace(m.next_value_seed(Versions(why))?).is_some(),
                "a" => a.replace(m.next_value_seed(AnswerMap(why))?).is_some(),
                _ => {
                    // Forward-compatible within format 1: unknown keys are ignored.
                    m.next_value::<IgnoredAny>()?;
                    false
                }
            };
            if seen {
                return Err(fail("a key of the body appears twice"));
            }
        }
        let expires = x.ok_or_else(|| fail("x (the last valid day) is missing"))?;
        let procedures: Vec<String> = p.ok_or_else(|| fail("p (the procedures) is missing"))?;
        if procedures.is_empty() || procedures.len() > MAX_PROCEDURES {
            return Err(fail("p must list 1 to 20 procedures"));
        }
        let templates = t.ok_or_else(|| fail("t (the template versions) is missing"))?;
        let answers = a.ok_or_else(|| fail("a (the answers) is missing"))?;
        Ok(PreInput { expires, language: l, procedures, templates, answers })
    }
}

fn parse_date(s: &str) -> Option<NaiveDate> {
    // Exactly YYYY-MM-DD (chrono alone would also take 2026-1-5).
    let b = s.as_bytes();
    let shape = b.len() == 10
        && b[4] == b'-'
        && b[7] == b'-'
        && b.iter().enumerate().all(|(i, c)| i == 4 || i == 7 || c.is_ascii_digit());
    shape.then(|| NaiveDate::parse_from_str(s, "%Y-%m-%d").ok()).flatten()
}

/// Ids are ASCII names (as in templates), so listing them never shows a resident's text.
fn is_id(s: &str, max: usize) -> bool {
    !s.is_empty() && s.len() <= max && s.bytes().all(|c| c.is_ascii_alphanumeric() || c == b'_' || c == b'-')
}

/// `p`: a list of procedure ids.
struct IdList<'a>(&'a Cell<&'static str>);

impl<'de> DeserializeSeed<'de> for IdList<'_> {
    type Value = Vec<String>;
    fn deserialize<D: de::Deserializer<'de>>(self, d: D) -> Result<Vec<String>, D::Error> {
        self.0.set("p is not a list of procedure ids");
        d.deserialize_seq(self)
    }
}

impl<'de> Visitor<'de> for IdList<'_> {
    type Value = Vec<String>;
    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a list of ids")
    }
    fn visit_seq<A: SeqAccess<'de>>(self, mut s: A) -> Result<Vec<String>, A::Error> {
        let mut out = Vec::new();
        while let Some(id) = s.next_element::<String>()? {
            if !is_id(&id, MAX_ID) || out.len() == MAX_PROCEDURES {
                let rule = if is_id(&id, MAX_ID) { "p must list 1 to 20 procedures" } else { "p holds a bad id" };
                self.0.set(rule);
                return Err(de::Error::custom(rule));
            }
            out.push(id);
        }
        Ok(out)
    }
}

/// `t`: template id → version.
struct Versions<'a>(&'a Cell<&'static str>);

impl<'de> DeserializeSeed<'de> for Versions<'_> {
    type Value = BTreeMap<String, u32>;
    fn deserialize<D: de::Deserializer<'de>>(self, d: D) -> Result<Self::Value, D::Error> {
        self.0.set("t is not an object of template versions");
        d.deserialize_map(self)
    }
}

impl<'de> Visitor<'de> for Versions<'_> {
    type Value = BTreeMap<String, u32>;
    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("template id → version")
    }
    fn visit_map<A: MapAccess<'de>>(self, mut m: A) -> Result<Self::Value, A::Error> {
        let mut out = BTreeMap::new();
        while let Some(id) = m.next_key::<String>()? {
            self.0.set("t: a template version is not a whole number");
            let v = m.next_value::<u32>()?;
            if !is_id(&id, MAX_ID) || out.insert(id, v).is_some() {
                self.0.set("t holds a bad or repeated template id");
                return Err(de::Error::custom("t holds a bad or repeated template id"));
            }
            self.0.set("t is not an object of template versions");
        }
        Ok(out)
    }
}

/// `a`: question id → value.
struct AnswerMap<'a>(&'a Cell<&'static str>);

impl<'de> DeserializeSeed<'de> for AnswerMap<'_> {
    type Value = BTreeMap<String, RawValue>;
    fn deserialize<D: de::Deserializer<'de>>(self, d: D) -> Result<Self::Value, D::Error> {
        self.0.set("a is not an object of answers");
        d.deserialize_map(self)
    }
}

impl<'de> Visitor<'de> for AnswerMap<'_> {
    type Value = BTreeMap<String, RawValue>;
    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("question id → answer")
    }
    fn visit_map<A: MapAccess<'de>>(self, mut m: A) -> Result<Self::Value, A::Error> {
        let mut out = BTreeMap::new();
        while let Some(id) = m.next_key::<String>()? {
            self.0.set("a: an answer is not a string, a whole number or true/false");
            let v = m.next_value_seed(Value)?;
            if !is_id(&id, MAX_ID) || out.insert(id, v).is_some() {
                self.0.set("a holds a bad or repeated question id");
                return Err(de::Error::custom("a holds a bad or repeated question id"));
            }
            self.0.set("a is not an object of answers");
        }
        Ok(out)
    }
}

/// One answer: a string straight into a [`SecretString`] (no plain copy left behind), a whole
/// number or a boolean.
struct Value;

impl<'de> DeserializeSeed<'de> for Value {
    type Value = RawValue;
    fn deserialize<D: de::Deserializer<'de>>(self, d: D) -> Result<RawValue, D::Error> {
        d.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for Value {
    type Value = RawValue;
    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a string, a whole number or true/false")
    }
    fn visit_bool<E: de::Error>(self, v: bool) -> Result<RawValue, E> {
        Ok(RawValue::Bool(v))
    }
    fn visit_u64<E: de::Error>(self, v: u64) -> Result<RawValue, E> {
        Ok(RawValue::Number(v))
    }
    fn visit_i64<E: de::Error>(self, v: i64) -> Result<RawValue, E> {
        u64::try_from(v).map(RawValue::Number).map_err(|_| E::custom("a negative number"))
    }
    fn visit_str<E: de::Error>(self, v: &str) -> Result<RawValue, E> {
        Ok(RawValue::Text(SecretString::new(v)))
    }
    fn visit_string<E: de::Error>(self, v: String) -> Result<RawValue, E> {
        Ok(RawValue::Text(SecretString::new(v)))
    }
}

impl Serialize for RawValue {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        match self {
            RawValue::Bool(b) => s.serialize_bool(*b),
            RawValue::Number(n) => s.serialize_u64(*n),
            RawValue::Text(t) => s.serialize_str(t.expose()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn date(s: &str) -> NaiveDate {
        NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap()
    }

    fn sample() -> PreInput {
        PreInput {
            expires: date("2026-12-31"),
            language: Some("ja".into()),
            procedures: vec!["juminhyo".into()],
            templates: [("juminhyo".to_string(), 1)].into(),
            answers: [
                ("purpose".to_string(), RawValue::Text(SecretString::new("work"))),
                ("copies".to_string(), RawValue::Number(2)),
                ("moved_on".to_string(), RawValue::Text(SecretString::new("2026-11-20"))),
                ("has_children".to_string(), RawValue::Bool(true)),
                ("reading".to_string(), RawValue::Text(SecretString::new("ヤマダ"))),
            ]
            .into(),
        }
    }

    #[test]
    fn crc32_is_zlibs() {
        // The check value of CRC-32/ISO-HDLC, and zlib.crc32(b"MD") = 0x2fb3c2c7.
        assert_eq!(crc32(b"123456789"), 0xCBF4_3926);
        assert_eq!(crc32(b""), 0);
        assert_eq!(crc32(b"The quick brown fox jumps over the lazy dog"), 0x414F_A339);
    }

    #[test]
    fn groups_of_seven_bytes_are_seventeen_digits_and_short_groups_their_own_width() {
        assert_eq!(bytes_to_digits(&[0xFF; 7]), "72057594037927935");
        assert_eq!(bytes_to_digits(&[0; 7]), "00000000000000000");
        assert_eq!(bytes_to_digits(&[0x4D]), "077");
        assert_eq!(bytes_to_digits(&[0x4D, 0x44]), "19780");
        for k in 0..=20 {
            let bytes: Vec<u8> = (0..k).map(|i| (i * 37 + 11) as u8).collect();
            let digits = bytes_to_digits(&bytes);
            assert_eq!(digits.len(), digits_for_bytes(k), "{k} bytes");
            assert_eq!(digits_to_bytes(digits.as_bytes()).as_deref().map(Vec::as_slice), Some(bytes.as_slice()));
        }
    }

    #[test]
    fn the_spec_example_round_trips_and_its_body_is_compact_json() {
        let p = sample();
        let code = encode(&p);
        assert!(code.bytes().all(|c| c.is_ascii_digit()));
        let bytes = digits_to_bytes(code.as_bytes()).unwrap();
        let body = std::str::from_utf8(&bytes[3..bytes.len() - 4]).unwrap();
        assert_eq!(
            body,
            r#"{"x":"2026-12-31","l":"ja","p":["juminhyo"],"t":{"juminhyo":1},"a":{"copies":2,"has_children":true,"moved_on":"2026-11-20","purpose":"work","reading":"ヤマダ"}}"#
        );
        assert_eq!(decode(&code), Ok(p.clone()));
        // The scanner's Enter.
        assert_eq!(decode(&format!("{code}\r\n")), Ok(p.clone()));
        assert_eq!(decode(&format!("{code}\n")), Ok(p));
    }

    #[test]
    fn foreign_codes_are_not_ours() {
        for s in [
            "",
            "\r\n",
            "https://example.jp/pay?id=123",
            "4912345678904",
            "12345678901234567890",
            "０１２３",
            "123 456",
            "7205759403792793572057594037927935",
        ] {
            assert_eq!(decode(s), Err(DecodeError::NotOurs), "{s:?}");
        }
    }

    #[test]
    fn damaged_codes_of_ours_are_corrupted() {
        let code = encode(&sample());
        // Cut short at every length (some lengths are not a digit count a code can have,
        // the others fail the CRC). Once the first group is there, its magic says "ours".
        for n in 1..code.len() {
            let e = decode(&code[..n]).unwrap_err();
            if n >= 17 {
                assert_eq!(e, DecodeError::Corrupted, "cut at {n}");
            } else {
                assert!(matches!(e, DecodeError::Corrupted | DecodeError::NotOurs), "cut at {n}: {e:?}");
            }
        }
        // One digit changed anywhere.
        for i in 0..code.len() {
            let mut b = code.clone().into_bytes();
            b[i] = if b[i] == b'9' { b'0' } else { b[i] + 1 };
            let e = decode(std::str::from_utf8(&b).unwrap()).unwrap_err();
            assert!(matches!(e, DecodeError::Corrupted | DecodeError::NotOurs), "digit {i}: {e:?}");
        }
    }

    #[test]
    fn far_too_large_is_refused_before_decoding() {
        let huge = "1".repeat(MAX_DIGITS + 1);
        assert_eq!(decode(&huge), Err(DecodeError::TooLarge));
        let exactly = "1".repeat(MAX_DIGITS);
        assert_ne!(decode(&exactly), Err(DecodeError::TooLarge));
    }

    #[test]
    fn a_newer_format_is_named() {
        assert_eq!(decode(&seal(2, b"{}")), Err(DecodeError::NewerFormat(2)));
        assert_eq!(decode(&seal(0, b"{}")), Err(DecodeError::Corrupted));
    }

    #[test]
    fn body_rules_are_named_without_the_content() {
        let cases: &[(&str, &str)] = &[
            ("not json", "the body is not valid JSON"),
            ("[1,2]", "the body is not a JSON object"),
            (r#"{"p":["juminhyo"],"t":{},"a":{}}"#, "x (the last valid day) is missing"),
            (r#"{"x":"2026-1-5","p":["a"],"t":{},"a":{}}"#, "x is not a date YYYY-MM-DD"),
            (r#"{"x":"2026-02-30","p":["a"],"t":{},"a":{}}"#, "x is not a date YYYY-MM-DD"),
            (r#"{"x":"2026-12-31","p":[],"t":{},"a":{}}"#, "p must list 1 to 20 procedures"),
            (r#"{"x":"2026-12-31","p":["住民票"],"t":{},"a":{}}"#, "p holds a bad id"),
            (r#"{"x":"2026-12-31","p":["a"],"t":{"a":-1},"a":{}}"#, "t: a template version is not a whole number"),
            (
                r#"{"x":"2026-12-31","p":["a"],"t":{},"a":{"k":null}}"#,
                "a: an answer is not a string, a whole number or true/false",
            ),
            (
                r#"{"x":"2026-12-31","p":["a"],"t":{},"a":{"k":1.5}}"#,
                "a: an answer is not a string, a whole number or true/false",
            ),
            (
                r#"{"x":"2026-12-31","p":["a"],"t":{},"a":{"k":"ヤマダ","k":"x"}}"#,
                "a holds a bad or repeated question id",
            ),
            (r#"{"x":"2026-12-31","p":["a"],"t":{}}"#, "a (the answers) is missing"),
            (r#"{"x":"2026-12-31","x":"2026-12-31","p":["a"],"t":{},"a":{}}"#, "a key of the body appears twice"),
            (r#"{"x":"2026-12-31","p":["a"],"t":{},"a":{}} x"#, "the body is not valid JSON"),
        ];
        for (body, rule) in cases {
            let e = decode(&seal(1, body.as_bytes())).unwrap_err();
            assert_eq!(e, DecodeError::BadBody(rule), "{body}");
            assert!(!e.to_string().contains("ヤマダ"));
        }
        let too_many = format!(r#"{{"x":"2026-12-31","p":[{}],"t":{{}},"a":{{}}}}"#, vec![r#""a""#; 21].join(","));
        assert_eq!(decode(&seal(1, too_many.as_bytes())), Err(DecodeError::BadBody("p must list 1 to 20 procedures")));
    }

    #[test]
    fn unknown_keys_are_ignored_and_l_is_optional() {
        let body = br#"{"x":"2026-12-31","future":{"deep":[1,{"y":null}]},"p":["juminhyo"],"t":{"juminhyo":3},"a":{}}"#;
        let p = decode(&seal(1, body)).unwrap();
        assert_eq!(p.language, None);
        assert_eq!(p.templates.get("juminhyo"), Some(&3));
        assert!(p.answers.is_empty());
    }

    #[test]
    fn debug_shows_ids_and_never_values() {
        let shown = format!("{:?}", sample());
        assert!(shown.contains("juminhyo") && shown.contains("reading"), "{shown}");
        for v in ["ヤマダ", "work", "2026-11-20", "true", "2)"] {
            assert!(!shown.contains(v), "{v} in {shown}");
        }
    }
}
