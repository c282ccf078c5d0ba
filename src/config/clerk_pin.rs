//! The staff PIN is stored only as an Argon2id hash (PHC string, `$argon2id$v=19$m=…`), so a
//! copied configuration file does not reveal it.

use argon2::Argon2;
use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use thiserror::Error;

#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum ClerkPinError {
    #[error("not an Argon2 PHC hash string: {0}")]
    BadHash(String),
    #[error("staff PIN must be 6 to 12 digits / 職員用暗証番号は数字6〜12桁です")]
    BadPin,
    #[error("no random source for the salt: {0} / 乱数を取得できません")]
    Random(String),
}

pub(super) fn parse_hash(s: &str) -> Result<PasswordHash<'_>, ClerkPinError> {
    let h = PasswordHash::new(s).map_err(|e| ClerkPinError::BadHash(e.to_string()))?;
    if !h.algorithm.as_str().starts_with("argon2") {
        return Err(ClerkPinError::BadHash(format!("algorithm {} is not argon2", h.algorithm)));
    }
    Ok(h)
}

/// Hash a staff PIN with Argon2id (default parameters: m=19 MiB, t=2, p=1) and a random salt.
pub fn hash_clerk_pin(pin: &str) -> Result<String, ClerkPinError> {
    // At least 6 digits: the kiosk's delays and lockout make 10^6 guesses take years.
    if !(6..=12).contains(&pin.len()) || !pin.bytes().all(|b| b.is_ascii_digit()) {
        return Err(ClerkPinError::BadPin);
    }
    let mut salt = [0u8; 16];
    let mut f = std::fs::File::open("/dev/urandom").map_err(|e| ClerkPinError::Random(e.to_string()))?;
    std::io::Read::read_exact(&mut f, &mut salt).map_err(|e| ClerkPinError::Random(e.to_string()))?;
    let salt = SaltString::encode_b64(&salt).map_err(|e| ClerkPinError::Random(e.to_string()))?;
    Argon2::default()
        .hash_password(pin.as_bytes(), &salt)
        .map(|h| h.to_string())
        .map_err(|e| ClerkPinError::BadHash(e.to_string()))
}

/// Whether `pin` matches the configured hash. A malformed hash never matches.
pub fn verify_clerk_pin(pin: &str, hash: &str) -> bool {
    match parse_hash(hash) {
        Ok(h) => Argon2::default().verify_password(pin.as_bytes(), &h).is_ok(),
        Err(_) => false,
    }
}
