//! The versioned submission payload sent to the back office (see assets/api/openapi.yaml).
//!
//! Input types are plain structs so the forms layer can map its filled forms onto them.
//! Personal values stay in zeroizing types; the serialized JSON is returned in a
//! `Zeroizing<Vec<u8>>` because it holds the same data.

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as B64;
use chrono::{DateTime, NaiveDate, SecondsFormat, Utc};
use serde::Serialize;
use sha2::{Digest, Sha256};
use zeroize::Zeroizing;

use crate::vocab::person::{MyNumber, SecretString, Sex};

/// Bumped when the JSON shape changes incompatibly.
pub const PAYLOAD_VERSION: u32 = 1;

/// One filled form.
#[derive(Debug, Clone)]
pub struct FormInput {
    pub form_id: String,
    pub template_version: String,
    /// Field id → value, in template order. Values may be personal, so they are secret.
    pub values: Vec<(String, SecretString)>,
}

/// A card attribute a clerk can correct (name, address, birth date, sex).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum CardAttribute {
    Name,
    Address,
    BirthDate,
    Sex,
}

/// Only the card attributes the chosen forms declared; everything else stays `None`.
///
/// The values are the ones printed on the forms: "as corrected" when a clerk corrected what
/// the card holds (an old address, a 外字 the card shows as a substitute), with the corrected
/// attributes listed in [`Submission::card_corrected`] (`card.corrected` on the wire), so the
/// back office can tell them from what the card itself says.
#[derive(Clone, Default)]
pub struct DeclaredCard {
    pub name: Option<SecretString>,
    pub address: Option<SecretString>,
    pub birth_date: Option<NaiveDate>,
    pub sex: Option<Sex>,
    /// Only when a form legally needs the 個人番号.
    pub my_number: Option<MyNumber>,
}

impl std::fmt::Debug for DeclaredCard {
    // Which attributes are present, never their values.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("DeclaredCard")
            .field("name", &self.name.is_some())
            .field("address", &self.address.is_some())
            .field("birth_date", &self.birth_date.is_some())
            .field("sex", &self.sex.is_some())
            .field("my_number", &self.my_number.is_some())
            .finish()
    }
}

/// Everything that goes into one submission.
#[derive(Clone)]
pub struct Submission {
    pub idempotency_key: String,
    pub receipt_id: String,
    pub kiosk_id: String,
    pub procedure_id: String,
    pub created_at: DateTime<Utc>,
    pub forms: Vec<FormInput>,
    pub card: DeclaredCard,
    /// Which of `card`'s attributes a clerk corrected (sent as `card.corrected`); empty when
    /// every value is the card's own.
    pub card_corrected: Vec<CardAttribute>,
    /// PNG bytes of the finger signature.
    pub signature_png: Option<Zeroizing<Vec<u8>>>,
    /// The combined, signed PDF.
    pub pdf: Zeroizing<Vec<u8>>,
}

impl std::fmt::Debug for Submission {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Submission")
            .field("idempotency_key", &self.idempotency_key)
            .field("receipt_id", &self.receipt_id)
            .field("procedure_id", &self.procedure_id)
            .field("forms", &self.forms.len())
            .finish_non_exhaustive()
    }
}

/// A fresh idempotency key (UUIDv4 format, from the OS RNG). It is assigned once per
/// submission and stored with it; retries reuse it.
pub fn new_idempotency_key() -> String {
    use chacha20poly1305::aead::rand_core::RngCore as _;
    let mut b = [0u8; 16];
    chacha20poly1305::aead::OsRng.fill_bytes(&mut b);
    b[6] = (b[6] & 0x0f) | 0x40;
    b[8] = (b[8] & 0x3f) | 0x80;
    let h: String = b.iter().map(|x| format!("{x:02x}")).collect();
    format!("{}-{}-{}-{}-{}", &h[0..8], &h[8..12], &h[12..16], &h[16..20], &h[20..32])
}

impl Submission {
    /// Serialize to the wire JSON. `submitted_at` is when the outbox accepted it.
    pub fn to_json(&self, submitted_at: DateTime<Utc>) -> Zeroizing<Vec<u8>> {
        self.wire_json(submitted_at, true)
    }

    /// The same without `pdf`: for an export file whose 個人番号 was withheld (the PDF prints it).
    pub fn to_json_without_pdf(&self, submitted_at: DateTime<Utc>) -> Zeroizing<Vec<u8>> {
        self.wire_json(submitted_at, false)
    }

    fn wire_json(&self, submitted_at: DateTime<Utc>, with_pdf: bool) -> Zeroizing<Vec<u8>> {
        let mut corrected = self.card_corrected.clone();
        corrected.sort();
        corrected.dedup();
        let wire = Wire {
            payload_version: PAYLOAD_VERSION,
            idempotency_key: &self.idempotency_key,
            receipt_id: &self.receipt_id,
            kiosk_id: &self.kiosk_id,
            procedure_id: &self.procedure_id,
            created_at: rfc3339(self.created_at),
            submitted_at: rfc3339(submitted_at),
            forms: self
                .forms
                .iter()
                .map(|f| WireForm {
                    form_id: &f.form_id,
                    template_version: &f.template_version,
                    values: f.values.iter().map(|(k, v)| (k.as_str(), v.expose())).collect(),
                })
                .collect(),
            card: WireCard {
                name: self.card.name.as_ref().map(|s| s.expose()),
                address: self.card.address.as_ref().map(|s| s.expose()),
                birth_date: self.card.birth_date.map(|d| d.format("%Y-%m-%d").to_string()),
                sex: self.card.sex.map(|s| char::from(s.code()).to_string()),
                my_number: self.card.my_number.as_ref().map(|m| m.expose()),
                corrected,
            },
            signature: self.signature_png.as_ref().map(|png| WireBlob {
                media_type: "image/png",
                sha256: hex_sha256(png),
                data_base64: Zeroizing::new(B64.encode(png.as_slice())),
            }),
            pdf: with_pdf.then(|| WireBlob {
                media_type: "application/pdf",
                sha256: hex_sha256(&self.pdf),
                data_base64: Zeroizing::new(B64.encode(self.pdf.as_slice())),
            }),
        };
        // Serializing plain strings and maps into a Vec cannot fail.
        Zeroizing::new(serde_json::to_vec(&wire).unwrap_or_default())
    }
}

pub(crate) fn rfc3339(t: DateTime<Utc>) -> String {
    t.to_rfc3339_opts(SecondsFormat::Millis, true)
}

fn hex_sha256(b: &[u8]) -> String {
    Sha256::digest(b).iter().map(|x| format!("{x:02x}")).collect()
}

#[derive(Serialize)]
struct Wire<'a> {
    payload_version: u32,
    idempotency_key: &'a str,
    receipt_id: &'a str,
    kiosk_id: &'a str,
    procedure_id: &'a str,
    created_at: String,
    submitted_at: String,
    forms: Vec<WireForm<'a>>,
    card: WireCard<'a>,
    signature: Option<WireBlob>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pdf: Option<WireBlob>,
}

#[derive(Serialize)]
struct WireForm<'a> {
    form_id: &'a str,
    template_version: &'a str,
    values: OrderedPairs<'a>,
}

/// A JSON object in template field order, borrowing the secret values (no copies to wipe).
struct OrderedPairs<'a>(Vec<(&'a str, &'a str)>);

impl<'a> FromIterator<(&'a str, &'a str)> for OrderedPairs<'a> {
    fn from_iter<T: IntoIterator<Item = (&'a str, &'a str)>>(it: T) -> Self {
        OrderedPairs(it.into_iter().collect())
    }
}

impl Serialize for OrderedPairs<'_> {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        use serde::ser::SerializeMap as _;
        let mut m = s.serialize_map(Some(self.0.len()))?;
        for (k, v) in &self.0 {
            m.serialize_entry(k, v)?;
        }
        m.end()
    }
}

#[derive(Serialize)]
struct WireCard<'a> {
    #[serde(skip_serializing_if = "Option::is_none")]
    name: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    address: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    birth_date: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    sex: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    my_number: Option<&'a str>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    corrected: Vec<CardAttribute>,
}

#[derive(Serialize)]
struct WireBlob {
    media_type: &'static str,
    sha256: String,
    #[serde(serialize_with = "ser_zeroizing")]
    data_base64: Zeroizing<String>,
}

fn ser_zeroizing<S: serde::Serializer>(v: &Zeroizing<String>, s: S) -> Result<S::Ok, S::Error> {
    s.serialize_str(v)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn idempotency_keys_are_uuid_v4_and_distinct() {
        let a = new_idempotency_key();
        let b = new_idempotency_key();
        assert_ne!(a, b);
        assert_eq!(a.len(), 36);
        assert_eq!(&a[14..15], "4");
        assert!("89ab".contains(&a[19..20]));
    }

    #[test]
    fn debug_shows_presence_not_values() {
        let c = DeclaredCard {
            name: Some(SecretString::new("窓口 花子")),
            birth_date: NaiveDate::from_ymd_opt(1985, 4, 1),
            ..DeclaredCard::default()
        };
        let d = format!("{c:?}");
        assert!(!d.contains("花子") && !d.contains("1985"), "{d}");
        assert!(d.contains("name: true"));
    }
}
