//! Test JPKI material for the virtual card: a test CA pair and RSA-2048 auth/sign keys and
//! certificates per persona, generated deterministically (same persona → same bytes) so
//! tests and golden files are stable. These are TEST keys; nothing here is secret.

use std::collections::HashMap;
use std::str::FromStr;
use std::sync::{Arc, Mutex, OnceLock};
use std::time::Duration;

use chrono::NaiveDate;
use der::asn1::{GeneralizedTime, UtcTime, Utf8StringRef};
use der::{Any, Encode};
use rand_chacha::ChaCha20Rng;
use rand_core::SeedableRng;
use rsa::pkcs1v15::{Pkcs1v15Sign, SigningKey};
use rsa::{RsaPrivateKey, RsaPublicKey};
use sha2::{Digest, Sha256};
use spki::{EncodePublicKey, SubjectPublicKeyInfoOwned};
use x509_cert::builder::{Builder, CertificateBuilder, Profile};
use x509_cert::ext::pkix::SubjectAltName;
use x509_cert::ext::pkix::name::{GeneralName, OtherName};
use x509_cert::name::Name;
use x509_cert::serial_number::SerialNumber;
use x509_cert::time::{Time, Validity};

use super::persona::Persona;

/// Which card key signs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Key {
    /// 利用者証明用 (EF 0017, auth PIN EF 0018)
    Auth,
    /// 署名用 (EF 001A, sign password EF 001B)
    Sign,
}

/// Certificates (DER) and keys a persona's card carries.
pub struct JpkiMaterial {
    pub auth_cert: Vec<u8>,
    pub auth_ca_cert: Vec<u8>,
    pub sign_cert: Vec<u8>,
    pub sign_ca_cert: Vec<u8>,
    auth_key: RsaPrivateKey,
    sign_key: RsaPrivateKey,
}

impl JpkiMaterial {
    /// What the card does for `80 2A 00 80`: PKCS#1 v1.5 type-01 padding around the given
    /// DigestInfo, then the RSA private-key operation. `None` when the input is too long.
    pub fn sign(&self, key: Key, digest_info: &[u8]) -> Option<Vec<u8>> {
        let k = match key {
            Key::Auth => &self.auth_key,
            Key::Sign => &self.sign_key,
        };
        k.sign(Pkcs1v15Sign::new_unprefixed(), digest_info).ok()
    }

    pub fn public_key(&self, key: Key) -> RsaPublicKey {
        match key {
            Key::Auth => self.auth_key.to_public_key(),
            Key::Sign => self.sign_key.to_public_key(),
        }
    }
}

/// OIDs of the four attributes in the sign certificate's subjectAltName.
const OID_NAME: &str = "1.2.392.200149.8.5.5.1";
const OID_SEX: &str = "1.2.392.200149.8.5.5.3";
const OID_BIRTH: &str = "1.2.392.200149.8.5.5.4";
const OID_ADDRESS: &str = "1.2.392.200149.8.5.5.5";

fn generate_key(label: &str) -> RsaPrivateKey {
    let seed: [u8; 32] = Sha256::digest(format!("madoguchi test jpki key: {label}").as_bytes()).into();
    let mut rng = ChaCha20Rng::from_seed(seed);
    // Generation only fails for absurd sizes; 2048 is fixed here.
    RsaPrivateKey::new(&mut rng, 2048).expect("RSA-2048 generation with a seeded RNG")
}

/// Keys by label, generated once per process (RSA key generation is the slow part).
fn keygen(label: &str) -> RsaPrivateKey {
    static KEYS: OnceLock<Mutex<HashMap<String, RsaPrivateKey>>> = OnceLock::new();
    let keys = KEYS.get_or_init(Mutex::default);
    if let Some(k) = keys.lock().ok().and_then(|k| k.get(label).cloned()) {
        return k;
    }
    let k = generate_key(label);
    if let Ok(mut keys) = keys.lock() {
        keys.insert(label.to_string(), k.clone());
    }
    k
}

fn validity(from_year_offset: u64, years: u64) -> Validity {
    // 2024-01-01T00:00:00Z; fixed so the CA certificates are reproducible.
    const BASE: u64 = 1_704_067_200;
    let year = 365 * 24 * 3600;
    let t = |s: u64| Time::UtcTime(UtcTime::from_unix_duration(Duration::from_secs(s)).expect("UTCTime range"));
    Validity { not_before: t(BASE + from_year_offset * year), not_after: t(BASE + (from_year_offset + years) * year) }
}

/// From 00:00:00 JST on the first day to 23:59:59 JST on the last, as JPKI certificates run.
fn leaf_validity(first: NaiveDate, last: NaiveDate) -> Validity {
    let at = |d: NaiveDate, h, m, s| {
        let secs = d.and_hms_opt(h, m, s).map_or(0, |t| t.and_utc().timestamp()) - 9 * 3600;
        let dur = Duration::from_secs(u64::try_from(secs).unwrap_or(0));
        // RFC 5280: UTCTime through 2049, GeneralizedTime after.
        match UtcTime::from_unix_duration(dur) {
            Ok(t) => Time::UtcTime(t),
            Err(_) => GeneralizedTime::from_unix_duration(dur).map_or(Time::INFINITY, Time::GeneralTime),
        }
    };
    Validity { not_before: at(first, 0, 0, 0), not_after: at(last, 23, 59, 59) }
}

fn spki(key: &RsaPrivateKey) -> SubjectPublicKeyInfoOwned {
    let der = key.to_public_key().to_public_key_der().expect("RSA public key encodes");
    SubjectPublicKeyInfoOwned::try_from(der.as_bytes()).expect("RSA SPKI decodes")
}

struct Ca {
    name: Name,
    key: RsaPrivateKey,
    cert: Vec<u8>,
}

fn make_ca(cn: &str) -> Ca {
    let key = keygen(cn);
    let name = Name::from_str(&format!("CN={cn},OU=madoguchi TEST (not J-LIS),O=JPKI,C=JP")).expect("static DN");
    let signer = SigningKey::<Sha256>::new(key.clone());
    let cert = CertificateBuilder::new(
        Profile::Root,
        SerialNumber::from(1u32),
        validity(0, 10),
        name.clone(),
        spki(&key),
        &signer,
    )
    .and_then(|b| b.build::<rsa::pkcs1v15::Signature>())
    .expect("test CA certificate builds")
    .to_der()
    .expect("test CA certificate encodes");
    Ca { name, key, cert }
}

fn cas() -> &'static (Ca, Ca) {
    static CAS: OnceLock<(Ca, Ca)> = OnceLock::new();
    CAS.get_or_init(|| (make_ca("JPKI for user authentication TEST"), make_ca("JPKI for digital signature TEST")))
}

fn other_name(oid: &str, value: &str) -> Option<GeneralName> {
    let any = Any::encode_from(&Utf8StringRef::new(value).ok()?).ok()?;
    Some(GeneralName::OtherName(OtherName { type_id: oid.parse().ok()?, value: any }))
}

fn leaf(
    ca: &Ca,
    cn: &str,
    serial: u32,
    key: &RsaPrivateKey,
    validity: Validity,
    san: Option<SubjectAltName>,
) -> Vec<u8> {
    let subject = Name::from_str(&format!("CN={cn},OU=madoguchi TEST,C=JP")).expect("static DN");
    let signer = SigningKey::<Sha256>::new(ca.key.clone());
    let profile =
        Profile::Leaf { issuer: ca.name.clone(), enable_key_agreement: false, enable_key_encipherment: false };
    let mut b = CertificateBuilder::new(profile, SerialNumber::from(serial), validity, subject, spki(key), &signer)
        .expect("leaf builder");
    if let Some(san) = san {
        b.add_extension(&san).expect("SAN extension");
    }
    b.build::<rsa::pkcs1v15::Signature>().expect("leaf certificate builds").to_der().expect("leaf certificate encodes")
}

fn generate(p: &Persona) -> JpkiMaterial {
    let (auth_ca, sign_ca) = cas();
    let auth_key = keygen(&format!("{}/auth", p.id));
    let sign_key = keygen(&format!("{}/sign", p.id));
    let serial = u32::from_be_bytes(Sha256::digest(p.id.as_bytes())[..4].try_into().unwrap_or([0; 4])) & 0x7FFF_FFFF;
    // The sign certificate carries the four attributes, like the real one (as 代替文字 on real
    // cards; here verbatim).
    let birth = p.birth_date.to_card();
    let sex = [p.sex.code()];
    let sex = std::str::from_utf8(&sex).unwrap_or("0");
    let san: Option<Vec<GeneralName>> = [
        other_name(OID_NAME, p.name.expose()),
        other_name(OID_SEX, sex),
        other_name(OID_BIRTH, &birth),
        other_name(OID_ADDRESS, p.address.expose()),
    ]
    .into_iter()
    .collect();
    let v = || match p.auth_cert_validity {
        Some((first, last)) => leaf_validity(first, last),
        None => validity(0, 5),
    };
    JpkiMaterial {
        auth_cert: leaf(auth_ca, &format!("TEST{serial:010}A"), serial, &auth_key, v(), None),
        auth_ca_cert: auth_ca.cert.clone(),
        sign_cert: leaf(sign_ca, &format!("TEST{serial:010}S"), serial, &sign_key, v(), san.map(SubjectAltName)),
        sign_ca_cert: sign_ca.cert.clone(),
        auth_key,
        sign_key,
    }
}

/// Material for a persona, generated once per process, persona id and certificate validity.
pub fn material_for(p: &Persona) -> Arc<JpkiMaterial> {
    static CACHE: OnceLock<Mutex<HashMap<String, Arc<JpkiMaterial>>>> = OnceLock::new();
    let cache = CACHE.get_or_init(Mutex::default);
    let key = format!("{}/{:?}", p.id, p.auth_cert_validity);
    if let Some(m) = cache.lock().ok().and_then(|c| c.get(&key).cloned()) {
        return m;
    }
    let m = Arc::new(generate(p));
    if let Ok(mut c) = cache.lock() {
        c.insert(key, m.clone());
    }
    m
}

/// SHA-256 DigestInfo prefix (what clients send before the 32-byte hash).
pub const SHA256_DIGEST_INFO_PREFIX: [u8; 19] =
    [0x30, 0x31, 0x30, 0x0D, 0x06, 0x09, 0x60, 0x86, 0x48, 0x01, 0x65, 0x03, 0x04, 0x02, 0x01, 0x05, 0x00, 0x04, 0x20];

/// Build a SHA-256 DigestInfo for `message`.
pub fn sha256_digest_info(message: &[u8]) -> Vec<u8> {
    let mut di = SHA256_DIGEST_INFO_PREFIX.to_vec();
    di.extend_from_slice(&Sha256::digest(message));
    di
}
