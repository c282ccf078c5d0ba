//! Demo/test personas: the fictitious residents the virtual card impersonates.

use std::path::{Path, PathBuf};

use chrono::NaiveDate;
use serde::Deserialize;
use thiserror::Error;

use crate::vocab::person::{BirthDate, CardAttributes, MyNumber, SecretString, Sex};

/// Which status word a locked PIN answers with (no real-card trace exists; both are seen
/// in clients).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Default)]
pub enum LockResponse {
    #[default]
    #[serde(rename = "6984")]
    Sw6984,
    #[serde(rename = "63C0")]
    Sw63C0,
}

/// What kind of card the virtual card is (profiles are told apart by SELECT, never by ATR).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Default)]
#[serde(rename_all = "snake_case")]
pub enum CardKind {
    /// The current My Number Card: text AP, JPKI AP, visual AP, 住基AP.
    #[default]
    MyNumber,
    /// A 住民基本台帳カード: only the JPKI AP selects, with token `JPKIAPICCTOKEN`.
    Juki,
    /// Some other card (a transit IC, a bank card): no My Number AID selects.
    Other,
}

/// How the birth date is printed on the card, which decides the first 6 digits of 照合番号B.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Default)]
#[serde(rename_all = "snake_case")]
pub enum PrintedBirthDate {
    /// 和暦 (Japanese nationals): 平成元年1月8日 → 010108.
    #[default]
    Wareki,
    /// 西暦 (foreign residents): 1990-07-04 → 900704.
    Western,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum PersonaSex {
    Male,
    Female,
    NotApplicable,
    NotKnown,
}

impl From<PersonaSex> for Sex {
    fn from(s: PersonaSex) -> Sex {
        match s {
            PersonaSex::Male => Sex::Male,
            PersonaSex::Female => Sex::Female,
            PersonaSex::NotApplicable => Sex::NotApplicable,
            PersonaSex::NotKnown => Sex::NotKnown,
        }
    }
}

fn three() -> u8 {
    3
}
fn five() -> u8 {
    5
}
fn ten() -> u8 {
    10
}
fn yes() -> bool {
    true
}

/// The persona file as written (TOML). See assets/personas/*.toml.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct PersonaFile {
    id: String,
    label: String,
    name: SecretString,
    address: SecretString,
    birth_date: NaiveDate,
    sex: PersonaSex,
    my_number: SecretString,
    pin: SecretString,
    #[serde(default = "three")]
    pin_tries_left: u8,
    #[serde(default)]
    auth_pin: Option<SecretString>,
    #[serde(default = "three")]
    auth_pin_tries_left: u8,
    sign_password: SecretString,
    #[serde(default = "five")]
    sign_password_tries_left: u8,
    #[serde(default)]
    lock_response: LockResponse,
    #[serde(default)]
    card: CardKind,
    /// 照合番号B as 14 digits; by default derived from the birth date as printed, the card's
    /// expiry year and the security code.
    #[serde(default)]
    pin_b: Option<SecretString>,
    #[serde(default)]
    birth_date_on_card: PrintedBirthDate,
    /// The card's expiry year (西暦) as printed; default 2034.
    #[serde(default)]
    card_expiry_year: Option<u16>,
    /// The 4-digit security code printed under the photo; default "0000".
    #[serde(default)]
    security_code: Option<SecretString>,
    /// Tries of 照合番号B: no public source gives the real number, so it is configurable.
    #[serde(default = "ten")]
    pin_b_max_tries: u8,
    #[serde(default)]
    pin_b_tries_left: Option<u8>,
    /// Whether the card holds a 利用者証明用電子証明書.
    #[serde(default = "yes")]
    auth_cert: bool,
    /// First day of the certificate (JST); default 1 January of last year.
    #[serde(default)]
    auth_cert_not_before: Option<NaiveDate>,
    /// Last day of the certificate (JST); default the 5th birthday after `auth_cert_not_before`.
    #[serde(default)]
    auth_cert_not_after: Option<NaiveDate>,
    /// Last day relative to the day the persona is loaded (JST): 30 = expires in 30 days,
    /// -10 = expired 10 days ago. Stays true whenever the tests run.
    #[serde(default)]
    auth_cert_expires_in_days: Option<i64>,
}

/// A validated persona.
#[derive(Clone)]
pub struct Persona {
    /// File-name-safe identifier, e.g. `yamada-taro`.
    pub id: String,
    /// What the demo persona picker shows.
    pub label: String,
    pub name: SecretString,
    pub address: SecretString,
    pub birth_date: BirthDate,
    pub sex: Sex,
    pub my_number: MyNumber,
    pub pin: SecretString,
    pub pin_tries_left: u8,
    pub auth_pin: SecretString,
    pub auth_pin_tries_left: u8,
    pub sign_password: SecretString,
    pub sign_password_tries_left: u8,
    pub lock_response: LockResponse,
    pub card: CardKind,
    /// 照合番号B (14 digits).
    pub pin_b: SecretString,
    pub pin_b_max_tries: u8,
    pub pin_b_tries_left: u8,
    /// The 利用者証明用電子証明書's first and last day (JST), when the card holds one.
    pub auth_cert_validity: Option<(NaiveDate, NaiveDate)>,
}

/// The year of `d` in the Japanese era it falls in (明治 … 令和), from the forms' one era
/// table (dates before 明治 count from 1868).
pub fn wareki_year(d: NaiveDate) -> i32 {
    use chrono::Datelike;
    crate::vocab::calendar::to_wareki(d).map_or(d.year() - 1867, |w| w.year)
}

/// The 5th birthday after `issued` (how JPKI certificates end); 29 February → 28 February.
pub fn fifth_birthday_after(birth: NaiveDate, issued: NaiveDate) -> NaiveDate {
    use chrono::Datelike;
    let on = |y: i32| {
        NaiveDate::from_ymd_opt(y, birth.month(), birth.day())
            .or_else(|| NaiveDate::from_ymd_opt(y, birth.month(), 28))
            .unwrap_or(issued)
    };
    let first = if on(issued.year()) > issued { issued.year() } else { issued.year() + 1 };
    on(first + 4)
}

impl std::fmt::Debug for Persona {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Persona({})", self.id)
    }
}

#[derive(Debug, Error)]
pub enum PersonaError {
    #[error("cannot read persona file {path}: {source} / ペルソナファイルを読めません")]
    Io { path: PathBuf, source: std::io::Error },
    #[error("persona file {path} is not valid: {message} / ペルソナファイルの形式が正しくありません")]
    Parse { path: PathBuf, message: String },
    #[error("persona file {path}: {field} {problem} / ペルソナファイルの値が正しくありません")]
    Invalid { path: PathBuf, field: &'static str, problem: &'static str },
}

impl Persona {
    /// The 基本4情報 the persona's card carries.
    pub fn attributes(&self) -> CardAttributes {
        CardAttributes {
            name: self.name.clone(),
            address: self.address.clone(),
            birth_date: self.birth_date.clone(),
            sex: self.sex,
        }
    }

    pub fn load(path: &Path) -> Result<Persona, PersonaError> {
        let text = std::fs::read_to_string(path).map_err(|source| PersonaError::Io { path: path.into(), source })?;
        Self::parse(&text, path)
    }

    /// Parse persona TOML; `origin` names the source in errors.
    pub fn parse(text: &str, origin: &Path) -> Result<Persona, PersonaError> {
        // toml's message quotes the offending line, which may hold a fictitious name: acceptable
        // for test personas, which are not real people's data.
        let f: PersonaFile =
            toml::from_str(text).map_err(|e| PersonaError::Parse { path: origin.into(), message: e.to_string() })?;
        let bad = |field, problem| PersonaError::Invalid { path: origin.into(), field, problem };
        if f.id.is_empty() || !f.id.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_') {
            return Err(bad("id", "must be ASCII letters, digits, '-' or '_'"));
        }
        if f.name.is_empty() {
            return Err(bad("name", "must not be empty"));
        }
        if f.address.is_empty() {
            return Err(bad("address", "must not be empty"));
        }
        let my_number = MyNumber::parse(f.my_number.expose().as_bytes())
            .map_err(|_| bad("my_number", "must be 12 digits with a valid check digit"))?;
        let four_digits = |s: &SecretString| s.expose().len() == 4 && s.expose().bytes().all(|b| b.is_ascii_digit());
        if !four_digits(&f.pin) {
            return Err(bad("pin", "must be exactly 4 digits"));
        }
        let auth_pin = f.auth_pin.unwrap_or_else(|| f.pin.clone());
        if !four_digits(&auth_pin) {
            return Err(bad("auth_pin", "must be exactly 4 digits"));
        }
        let sp = f.sign_password.expose();
        let sp_ok = (6..=16).contains(&sp.len())
            && sp.bytes().all(|b| b.is_ascii_uppercase() || b.is_ascii_digit())
            && sp.bytes().any(|b| b.is_ascii_uppercase())
            && sp.bytes().any(|b| b.is_ascii_digit());
        if !sp_ok {
            return Err(bad("sign_password", "must be 6-16 of A-Z/0-9 with at least one letter and one digit"));
        }
        if f.pin_tries_left > 3 {
            return Err(bad("pin_tries_left", "must be 0..=3"));
        }
        if f.auth_pin_tries_left > 3 {
            return Err(bad("auth_pin_tries_left", "must be 0..=3"));
        }
        if f.sign_password_tries_left > 5 {
            return Err(bad("sign_password_tries_left", "must be 0..=5"));
        }
        let birth = f.birth_date;
        let pin_b = match &f.pin_b {
            Some(p) => p.clone(),
            None => {
                use chrono::Datelike;
                let yy = match f.birth_date_on_card {
                    PrintedBirthDate::Wareki => wareki_year(birth),
                    PrintedBirthDate::Western => birth.year(),
                } % 100;
                let code = f.security_code.clone().unwrap_or_else(|| SecretString::new("0000"));
                if code.expose().len() != 4 || !code.expose().bytes().all(|b| b.is_ascii_digit()) {
                    return Err(bad("security_code", "must be exactly 4 digits"));
                }
                SecretString::new(format!(
                    "{yy:02}{:02}{:02}{:04}{}",
                    birth.month(),
                    birth.day(),
                    f.card_expiry_year.unwrap_or(2034),
                    code.expose()
                ))
            }
        };
        if crate::vocab::pin::PinB::parse(pin_b.expose()).is_err() {
            return Err(bad("pin_b", "must be 14 digits: YYMMDD + expiry year 2016-2099 + 4-digit code"));
        }
        if !(1..=15).contains(&f.pin_b_max_tries) {
            return Err(bad("pin_b_max_tries", "must be 1..=15"));
        }
        let pin_b_tries_left = f.pin_b_tries_left.unwrap_or(f.pin_b_max_tries);
        if pin_b_tries_left > f.pin_b_max_tries {
            return Err(bad("pin_b_tries_left", "must not exceed pin_b_max_tries"));
        }
        let auth_cert_validity = if f.auth_cert {
            // By default issued on 1 January of last year, so it is valid for years whenever
            // the tests run.
            let last_year = chrono::Datelike::year(&crate::card::cert::today_jst()) - 1;
            let start = f.auth_cert_not_before.unwrap_or(NaiveDate::from_ymd_opt(last_year, 1, 1).unwrap_or_default());
            let end = match (f.auth_cert_not_after, f.auth_cert_expires_in_days) {
                (Some(_), Some(_)) => {
                    return Err(bad("auth_cert_not_after", "conflicts with auth_cert_expires_in_days"));
                }
                (Some(d), None) => d,
                (None, Some(n)) => crate::card::cert::today_jst()
                    .checked_add_signed(chrono::TimeDelta::days(n))
                    .ok_or_else(|| bad("auth_cert_expires_in_days", "is out of range"))?,
                (None, None) => fifth_birthday_after(birth, start),
            };
            // A certificate that expired long ago was still issued before it expired.
            let start = start.min(end - chrono::TimeDelta::days(1));
            let in_range = |d: NaiveDate| (1971..2100).contains(&chrono::Datelike::year(&d));
            if !in_range(start) || !in_range(end) {
                return Err(bad("auth_cert_not_after", "must be between 1971 and 2099"));
            }
            Some((start, end))
        } else {
            None
        };
        Ok(Persona {
            id: f.id.clone(),
            label: f.label.clone(),
            name: f.name.clone(),
            address: f.address.clone(),
            birth_date: BirthDate::new(f.birth_date),
            sex: f.sex.into(),
            my_number,
            pin: f.pin.clone(),
            pin_tries_left: f.pin_tries_left,
            auth_pin,
            auth_pin_tries_left: f.auth_pin_tries_left,
            sign_password: f.sign_password.clone(),
            sign_password_tries_left: f.sign_password_tries_left,
            lock_response: f.lock_response,
            card: f.card,
            pin_b,
            pin_b_max_tries: f.pin_b_max_tries,
            pin_b_tries_left,
            auth_cert_validity,
        })
    }

    /// Every persona in a directory, sorted by file name.
    pub fn load_dir(dir: &Path) -> Result<Vec<Persona>, PersonaError> {
        let rd = std::fs::read_dir(dir).map_err(|source| PersonaError::Io { path: dir.into(), source })?;
        let mut paths: Vec<PathBuf> = rd
            .filter_map(|e| e.ok().map(|e| e.path()))
            .filter(|p| p.extension().is_some_and(|x| x == "toml"))
            .collect();
        paths.sort();
        paths.iter().map(|p| Persona::load(p)).collect()
    }
}

/// The demo personas (the kiosk's persona picker), embedded so the demo runs with no files
/// around. The card-status personas are in [`builtin_all`].
pub fn builtin() -> Vec<Persona> {
    parse_all(DEMO_FILES)
}

/// Every persona shipped in assets/personas: the demo ones, and those for カードの状態 and
/// 照合番号B (expired or expiring certificate, locked JPKI PINs, other cards).
pub fn builtin_all() -> Vec<Persona> {
    let mut all = builtin();
    all.extend(parse_all(STATUS_FILES));
    all
}

fn parse_all(files: &[(&str, &str)]) -> Vec<Persona> {
    files.iter().filter_map(|(name, text)| Persona::parse(text, Path::new(name)).ok()).collect()
}

const STATUS_FILES: &[(&str, &str)] = &[
    ("cert-expired.toml", include_str!("../../../assets/personas/cert-expired.toml")),
    ("cert-expiring.toml", include_str!("../../../assets/personas/cert-expiring.toml")),
    ("auth-pin-locked.toml", include_str!("../../../assets/personas/auth-pin-locked.toml")),
    ("sign-password-locked.toml", include_str!("../../../assets/personas/sign-password-locked.toml")),
    ("no-auth-cert.toml", include_str!("../../../assets/personas/no-auth-cert.toml")),
    ("pin-b-last-try.toml", include_str!("../../../assets/personas/pin-b-last-try.toml")),
    ("juki-card.toml", include_str!("../../../assets/personas/juki-card.toml")),
    ("other-card.toml", include_str!("../../../assets/personas/other-card.toml")),
];

const DEMO_FILES: &[(&str, &str)] = &[
    ("typical.toml", include_str!("../../../assets/personas/typical.toml")),
    ("long-address.toml", include_str!("../../../assets/personas/long-address.toml")),
    ("rare-kanji.toml", include_str!("../../../assets/personas/rare-kanji.toml")),
    ("foreign-resident.toml", include_str!("../../../assets/personas/foreign-resident.toml")),
    ("last-try.toml", include_str!("../../../assets/personas/last-try.toml")),
    ("locked.toml", include_str!("../../../assets/personas/locked.toml")),
    ("locked-63c0.toml", include_str!("../../../assets/personas/locked-63c0.toml")),
];

/// A built-in persona by id (any of [`builtin_all`]).
pub fn builtin_by_id(id: &str) -> Option<Persona> {
    builtin_all().into_iter().find(|p| p.id == id)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn all_builtin_personas_parse() {
        // builtin() drops broken files silently, so check each one loudly here.
        let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("assets/personas");
        let all = Persona::load_dir(&dir).unwrap();
        assert_eq!(all.len(), builtin_all().len(), "every file in assets/personas is built in");
        assert_eq!(builtin().len(), 7, "the demo picker's personas");
        assert!(builtin_by_id("typical").is_some());
        assert!(builtin_by_id("cert-expired").is_some());
    }

    #[test]
    fn pin_b_derives_from_the_printed_birth_date() {
        // 平成元年1月8日 (the first day of 平成), card until 2034.
        let p = builtin_by_id("rare-kanji").unwrap();
        assert!(p.pin_b.expose().starts_with("010108"), "和暦");
        let p = builtin_by_id("foreign-resident").unwrap();
        assert!(p.pin_b.expose().starts_with("900704"), "西暦 on a foreign resident's card");
        let d = |y, m, day| NaiveDate::from_ymd_opt(y, m, day).unwrap();
        assert_eq!(wareki_year(d(1989, 1, 7)), 64, "昭和64年");
        assert_eq!(wareki_year(d(1989, 1, 8)), 1, "平成元年");
        assert_eq!(wareki_year(d(2019, 4, 30)), 31, "平成31年");
        assert_eq!(wareki_year(d(2019, 5, 1)), 1, "令和元年");
        assert_eq!(wareki_year(d(1926, 12, 25)), 1, "昭和元年");
        assert_eq!(wareki_year(d(1985, 4, 12)), 60);
    }

    #[test]
    fn certificates_end_on_the_fifth_birthday() {
        let d = |y, m, day| NaiveDate::from_ymd_opt(y, m, day).unwrap();
        assert_eq!(fifth_birthday_after(d(1985, 4, 12), d(2024, 1, 1)), d(2028, 4, 12));
        assert_eq!(fifth_birthday_after(d(1985, 4, 12), d(2024, 5, 1)), d(2029, 4, 12));
        assert_eq!(fifth_birthday_after(d(1985, 4, 12), d(2024, 4, 12)), d(2029, 4, 12), "issued on the birthday");
        assert_eq!(fifth_birthday_after(d(1948, 2, 29), d(2024, 1, 1)), d(2028, 2, 29));
        assert_eq!(fifth_birthday_after(d(1948, 2, 29), d(2025, 1, 1)), d(2029, 2, 28));
        let today = crate::card::cert::today_jst();
        let last_year = chrono::Datelike::year(&today) - 1;
        let p = builtin_by_id("typical").unwrap();
        let (start, end) = p.auth_cert_validity.unwrap();
        assert_eq!((start, end), (d(last_year, 1, 1), d(last_year + 4, 4, 12)));
        let p = builtin_by_id("cert-expiring").unwrap();
        assert_eq!(p.auth_cert_validity.map(|(_, end)| (end - today).num_days()), Some(30));
        let p = builtin_by_id("cert-expired").unwrap();
        assert!(p.auth_cert_validity.is_some_and(|(start, end)| end < today && start < end));
        assert_eq!(builtin_by_id("no-auth-cert").unwrap().auth_cert_validity, None);
    }

    #[test]
    fn invalid_values_name_the_field() {
        let base = std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("assets/personas/typical.toml"))
            .unwrap();
        let broken = base.replace("pin = \"1234\"", "pin = \"12345\"");
        let e = Persona::parse(&broken, Path::new("x.toml")).unwrap_err();
        assert!(e.to_string().contains("pin"), "{e}");
        let e = Persona::parse("id = 1", Path::new("y.toml")).unwrap_err();
        assert!(matches!(e, PersonaError::Parse { .. }));
    }
}
