//! The validity of the 利用者証明用電子証明書 (JPKI AP EF 000A, X.509 DER, readable without a
//! PIN on a physical card). Only the two dates are taken: the
//! certificate's subject and serial number identify the holder and are never kept.

use chrono::{DateTime, FixedOffset, NaiveDate, Offset, Utc};
use der::Decode;
use thiserror::Error;

/// EF of the 利用者証明用電子証明書 in the JPKI AP.
pub const EF_AUTH_CERT: u16 = 0x000A;

/// A real certificate is about 1.6 kB (§5.4); anything claiming more is corrupt.
pub const MAX_CERT_LEN: usize = 8192;

/// Japan Standard Time: the certificates end at 23:59:59 JST and residents count days in it.
pub fn jst() -> FixedOffset {
    // +9 h is within the ±24 h FixedOffset accepts, so the fallback is never taken.
    FixedOffset::east_opt(9 * 3600).unwrap_or(Utc.fix())
}

/// Today's date in Japan (the default "today" of the status check).
pub fn today_jst() -> NaiveDate {
    Utc::now().with_timezone(&jst()).date_naive()
}

/// notBefore / notAfter of a certificate.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CertValidity {
    pub not_before: DateTime<Utc>,
    pub not_after: DateTime<Utc>,
}

impl CertValidity {
    /// The first day of validity, in JST.
    pub fn start_date(&self) -> NaiveDate {
        self.not_before.with_timezone(&jst()).date_naive()
    }

    /// The last day of validity, in JST (the date printed on the expiry notice).
    pub fn expiry_date(&self) -> NaiveDate {
        self.not_after.with_timezone(&jst()).date_naive()
    }

    /// Days from `today` to the last valid day: 0 = expires today, negative = expired.
    pub fn days_left(&self, today: NaiveDate) -> i64 {
        (self.expiry_date() - today).num_days()
    }

    pub fn is_expired(&self, today: NaiveDate) -> bool {
        self.days_left(today) < 0
    }

    /// Not valid yet on `today` (a card issued today reads fine; a clock far off does not).
    pub fn is_not_yet_valid(&self, today: NaiveDate) -> bool {
        today < self.start_date()
    }
}

/// Why the certificate's dates could not be taken. Carries none of its content.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Error)]
pub enum CertError {
    #[error("the certificate is not valid DER X.509 / 電子証明書の形式が正しくありません")]
    Malformed,
    #[error("the certificate ends before it begins / 電子証明書の有効期間が正しくありません")]
    Inverted,
    #[error("the certificate is longer than {MAX_CERT_LEN} bytes / 電子証明書が長すぎます")]
    TooLong,
    #[error("the certificate needs a PIN to be read (SW 6982) / 電子証明書の読み取りに暗証番号が必要です")]
    NeedsPin,
}

fn to_chrono(t: x509_cert::time::Time) -> Option<DateTime<Utc>> {
    let d = t.to_unix_duration();
    DateTime::<Utc>::from_timestamp(i64::try_from(d.as_secs()).ok()?, 0)
}

/// Parse a whole DER certificate and return its validity. Never panics on any input.
pub fn parse_validity(der: &[u8]) -> Result<CertValidity, CertError> {
    if der.len() > MAX_CERT_LEN {
        return Err(CertError::TooLong);
    }
    let cert = x509_cert::Certificate::from_der(der).map_err(|_| CertError::Malformed)?;
    let v = &cert.tbs_certificate.validity;
    let not_before = to_chrono(v.not_before).ok_or(CertError::Malformed)?;
    let not_after = to_chrono(v.not_after).ok_or(CertError::Malformed)?;
    if not_after < not_before {
        return Err(CertError::Inverted);
    }
    Ok(CertValidity { not_before, not_after })
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;
    use proptest::prelude::*;

    fn sample() -> Vec<u8> {
        let p = crate::card::sim::persona::builtin_by_id("typical").unwrap();
        crate::card::sim::jpki::material_for(&p).auth_cert.clone()
    }

    #[test]
    fn dates_in_jst_and_days_left() {
        let not_after = jst().with_ymd_and_hms(2029, 4, 12, 23, 59, 59).unwrap().with_timezone(&Utc);
        let not_before = jst().with_ymd_and_hms(2024, 1, 1, 0, 0, 0).unwrap().with_timezone(&Utc);
        let v = CertValidity { not_before, not_after };
        assert_eq!(v.expiry_date(), NaiveDate::from_ymd_opt(2029, 4, 12).unwrap());
        assert_eq!(not_after.date_naive(), NaiveDate::from_ymd_opt(2029, 4, 12).unwrap());
        assert_eq!(v.days_left(NaiveDate::from_ymd_opt(2029, 4, 12).unwrap()), 0);
        assert!(!v.is_expired(NaiveDate::from_ymd_opt(2029, 4, 12).unwrap()));
        assert_eq!(v.days_left(NaiveDate::from_ymd_opt(2029, 4, 13).unwrap()), -1);
        assert!(v.is_expired(NaiveDate::from_ymd_opt(2029, 4, 13).unwrap()));
        assert_eq!(v.days_left(NaiveDate::from_ymd_opt(2029, 1, 12).unwrap()), 90);
        assert!(v.is_not_yet_valid(NaiveDate::from_ymd_opt(2023, 12, 31).unwrap()));
        // A JST day starting at 15:00 UTC the day before.
        let early = CertValidity {
            not_before,
            not_after: jst().with_ymd_and_hms(2029, 4, 13, 0, 30, 0).unwrap().with_timezone(&Utc),
        };
        assert_eq!(early.expiry_date(), NaiveDate::from_ymd_opt(2029, 4, 13).unwrap());
    }

    #[test]
    fn the_virtual_cards_certificate_parses() {
        let v = parse_validity(&sample()).unwrap();
        assert!(v.not_before < v.not_after);
        let mut trailing = sample();
        trailing.push(0);
        assert_eq!(parse_validity(&trailing), Err(CertError::Malformed), "trailing bytes");
        assert_eq!(parse_validity(&[]), Err(CertError::Malformed));
        assert_eq!(parse_validity(&[0xFF; 64]), Err(CertError::Malformed), "an erased EF");
        assert_eq!(parse_validity(&vec![0x30; MAX_CERT_LEN + 1]), Err(CertError::TooLong));
    }

    proptest! {
        #[test]
        fn parse_never_panics_on_noise(data in proptest::collection::vec(any::<u8>(), 0..2000)) {
            let _ = parse_validity(&data);
        }

        #[test]
        fn parse_never_panics_on_mutated_certificates(
            edits in proptest::collection::vec((any::<usize>(), any::<u8>()), 1..8),
            cut in any::<usize>(),
        ) {
            let mut c = sample();
            for (i, b) in edits {
                let n = c.len();
                c[i % n] = b;
            }
            let end = c.len() - cut % c.len();
            let _ = parse_validity(&c[..end]);
        }
    }
}
