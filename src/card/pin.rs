//! The resident's 4-digit PIN: validated locally, zeroized, never printed.

use std::fmt;

use zeroize::{Zeroize, ZeroizeOnDrop};

use super::error::CardError;

#[derive(Clone, PartialEq, Eq, Zeroize, ZeroizeOnDrop)]
pub struct Pin([u8; 4]);

impl Pin {
    /// Exactly 4 ASCII digits, nothing else (no trimming: a stray character is a typo the
    /// resident should see, not something to guess about).
    pub fn parse(s: &str) -> Result<Pin, CardError> {
        let b = s.as_bytes();
        if b.len() != 4 || !b.iter().all(u8::is_ascii_digit) {
            return Err(CardError::InvalidPinFormat);
        }
        let mut p = [0u8; 4];
        p.copy_from_slice(b);
        Ok(Pin(p))
    }

    pub(crate) fn as_bytes(&self) -> &[u8] {
        &self.0
    }
}

impl fmt::Debug for Pin {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Pin(****)")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_four_ascii_digits() {
        assert!(Pin::parse("0123").is_ok());
        for bad in ["", "123", "12345", "12a4", " 123", "１２３４", "12 4", "123\n"] {
            assert_eq!(Pin::parse(bad), Err(CardError::InvalidPinFormat), "{bad:?}");
        }
        assert_eq!(format!("{:?}", Pin::parse("1234").unwrap()), "Pin(****)");
    }
}
