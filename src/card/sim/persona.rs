//! Demo/test personas: the fictitious residents the virtual card impersonates.

use std::path::{Path, PathBuf};

use chrono::NaiveDate;
use serde::Deserialize;
use thiserror::Error;

use crate::card::attributes::{BirthDate, MyNumber, SecretString, Sex};

/// Which status word a locked PIN answers with (no real-card trace exists; both are seen
/// in clients, mynumber-card.md §7).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Default)]
pub enum LockResponse {
    #[default]
    #[serde(rename = "6984")]
    Sw6984,
    #[serde(rename = "63C0")]
    Sw63C0,
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

/// The personas shipped in assets/personas, embedded so the demo runs with no files around.
pub fn builtin() -> Vec<Persona> {
    const FILES: &[(&str, &str)] = &[
        ("typical.toml", include_str!("../../../assets/personas/typical.toml")),
        ("long-address.toml", include_str!("../../../assets/personas/long-address.toml")),
        ("rare-kanji.toml", include_str!("../../../assets/personas/rare-kanji.toml")),
        ("foreign-resident.toml", include_str!("../../../assets/personas/foreign-resident.toml")),
        ("last-try.toml", include_str!("../../../assets/personas/last-try.toml")),
        ("locked.toml", include_str!("../../../assets/personas/locked.toml")),
        ("locked-63c0.toml", include_str!("../../../assets/personas/locked-63c0.toml")),
    ];
    FILES.iter().filter_map(|(name, text)| Persona::parse(text, Path::new(name)).ok()).collect()
}

/// A built-in persona by id.
pub fn builtin_by_id(id: &str) -> Option<Persona> {
    builtin().into_iter().find(|p| p.id == id)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn all_builtin_personas_parse() {
        // builtin() drops broken files silently, so check each one loudly here.
        let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("assets/personas");
        let all = Persona::load_dir(&dir).unwrap();
        assert_eq!(all.len(), builtin().len());
        assert!(all.len() >= 7);
        assert!(builtin_by_id("typical").is_some());
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
