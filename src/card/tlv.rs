//! A strict BER-TLV reader (ISO 7816-4 / X.690 subset used by the My Number Card).
//!
//! Never panics and never reads past the end: every index is checked and every malformed
//! encoding is a [`TlvError`].

use thiserror::Error;

/// Longest value this parser accepts. EF sizes on the card are far below it; a bigger
/// length is a corrupted record, not data to allocate for.
pub const MAX_VALUE_LEN: usize = 0xFFFF;

#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum TlvError {
    #[error("TLV truncated: need {needed} more bytes at offset {offset}")]
    Truncated { offset: usize, needed: usize },
    #[error("TLV tag at offset {offset} is longer than 3 bytes")]
    TagTooLong { offset: usize },
    #[error("TLV length at offset {offset} uses an unsupported form (0x{first:02X})")]
    BadLength { offset: usize, first: u8 },
    #[error("TLV length {len} at offset {offset} exceeds the limit of {MAX_VALUE_LEN} bytes")]
    TooLong { offset: usize, len: usize },
}

/// One parsed element: tag bytes as a number (e.g. `0xDF22`), and the value slice.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Tlv<'a> {
    pub tag: u32,
    pub constructed: bool,
    pub value: &'a [u8],
    /// Bytes taken by tag + length + value.
    pub encoded_len: usize,
}

/// Tag and length only; what a reader needs to size the rest of a record.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Header {
    pub tag: u32,
    pub constructed: bool,
    pub header_len: usize,
    pub value_len: usize,
}

impl Header {
    pub fn total_len(&self) -> usize {
        self.header_len + self.value_len
    }
}

fn byte(input: &[u8], offset: usize) -> Result<u8, TlvError> {
    input.get(offset).copied().ok_or(TlvError::Truncated { offset, needed: 1 })
}

/// Parse the tag and length at the start of `input` without requiring the value to be present.
pub fn parse_header(input: &[u8]) -> Result<Header, TlvError> {
    let first = byte(input, 0)?;
    let constructed = first & 0x20 != 0;
    let mut tag = u32::from(first);
    let mut pos = 1;
    if first & 0x1F == 0x1F {
        // Multi-byte tag: following bytes while bit 8 is set; we accept up to 3 tag bytes.
        loop {
            let b = byte(input, pos)?;
            tag = (tag << 8) | u32::from(b);
            pos += 1;
            if b & 0x80 == 0 {
                break;
            }
            if pos >= 3 {
                return Err(TlvError::TagTooLong { offset: 0 });
            }
        }
    }
    let len_offset = pos;
    let l0 = byte(input, pos)?;
    pos += 1;
    let value_len = match l0 {
        0x00..=0x7F => usize::from(l0),
        0x81 => {
            let v = usize::from(byte(input, pos)?);
            pos += 1;
            v
        }
        0x82 => {
            let hi = usize::from(byte(input, pos)?);
            let lo = usize::from(byte(input, pos + 1)?);
            pos += 2;
            (hi << 8) | lo
        }
        0x83 => {
            let b0 = usize::from(byte(input, pos)?);
            let b1 = usize::from(byte(input, pos + 1)?);
            let b2 = usize::from(byte(input, pos + 2)?);
            let len = (b0 << 16) | (b1 << 8) | b2;
            return Err(TlvError::TooLong { offset: len_offset, len });
        }
        // 0x80 (indefinite) and 0x84.. are not used by this card.
        other => {
            return Err(TlvError::BadLength { offset: len_offset, first: other });
        }
    };
    if value_len > MAX_VALUE_LEN {
        return Err(TlvError::TooLong { offset: len_offset, len: value_len });
    }
    Ok(Header { tag, constructed, header_len: pos, value_len })
}

/// Parse one complete TLV at the start of `input`.
pub fn parse_one(input: &[u8]) -> Result<Tlv<'_>, TlvError> {
    let h = parse_header(input)?;
    let end = h.header_len + h.value_len;
    let value = input
        .get(h.header_len..end)
        .ok_or_else(|| TlvError::Truncated { offset: input.len(), needed: end.saturating_sub(input.len()) })?;
    Ok(Tlv { tag: h.tag, constructed: h.constructed, value, encoded_len: end })
}

/// Iterate over consecutive TLVs. Stops at the first error (yielded once) or at padding
/// bytes `00`/`FF` after the last element, which the card uses to fill EFs.
pub struct TlvIter<'a> {
    rest: &'a [u8],
    offset: usize,
    failed: bool,
}

pub fn iter(input: &[u8]) -> TlvIter<'_> {
    TlvIter { rest: input, offset: 0, failed: false }
}

impl<'a> Iterator for TlvIter<'a> {
    type Item = Result<Tlv<'a>, TlvError>;

    fn next(&mut self) -> Option<Self::Item> {
        if self.failed || self.rest.is_empty() || self.rest.iter().all(|&b| b == 0xFF || b == 0x00) {
            return None;
        }
        match parse_one(self.rest) {
            Ok(t) => {
                self.rest = &self.rest[t.encoded_len..];
                self.offset += t.encoded_len;
                Some(Ok(t))
            }
            Err(e) => {
                self.failed = true;
                Some(Err(shift(e, self.offset)))
            }
        }
    }
}

fn shift(e: TlvError, by: usize) -> TlvError {
    match e {
        TlvError::Truncated { offset, needed } => TlvError::Truncated { offset: offset + by, needed },
        TlvError::TagTooLong { offset } => TlvError::TagTooLong { offset: offset + by },
        TlvError::BadLength { offset, first } => TlvError::BadLength { offset: offset + by, first },
        TlvError::TooLong { offset, len } => TlvError::TooLong { offset: offset + by, len },
    }
}

/// Encode a tag (1–3 bytes as given by its numeric value) and a definite length, then the value.
pub fn encode(tag: u32, value: &[u8], out: &mut Vec<u8>) {
    if tag > 0xFFFF {
        out.push((tag >> 16) as u8);
    }
    if tag > 0xFF {
        out.push((tag >> 8) as u8);
    }
    out.push(tag as u8);
    let n = value.len();
    if n < 0x80 {
        out.push(n as u8);
    } else if n <= 0xFF {
        out.extend_from_slice(&[0x81, n as u8]);
    } else {
        out.extend_from_slice(&[0x82, (n >> 8) as u8, n as u8]);
    }
    out.extend_from_slice(value);
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn short_and_long_lengths() {
        let t = parse_one(&[0xDF, 0x22, 0x02, b'a', b'b']).unwrap();
        assert_eq!(t.tag, 0xDF22);
        assert_eq!(t.value, b"ab");
        let mut v = vec![0xFF, 0x20, 0x81, 0x80];
        v.extend(std::iter::repeat_n(7u8, 0x80));
        let t = parse_one(&v).unwrap();
        assert_eq!((t.tag, t.value.len(), t.constructed), (0xFF20, 0x80, true));
        let mut v = vec![0xFF, 0x20, 0x82, 0x01, 0x2C];
        v.extend(std::iter::repeat_n(1u8, 300));
        assert_eq!(parse_one(&v).unwrap().value.len(), 300);
        assert_eq!(parse_header(&v[..5]).unwrap().total_len(), 305);
    }

    #[test]
    fn rejects_truncation_and_oversize() {
        assert!(matches!(parse_one(&[]), Err(TlvError::Truncated { .. })));
        assert!(matches!(parse_one(&[0xDF]), Err(TlvError::Truncated { .. })));
        assert!(matches!(parse_one(&[0xDF, 0x22, 0x05, 1]), Err(TlvError::Truncated { .. })));
        assert!(matches!(parse_one(&[0xDF, 0x22, 0x82, 0x01]), Err(TlvError::Truncated { .. })));
        assert!(matches!(parse_one(&[0x04, 0x80]), Err(TlvError::BadLength { .. })));
        assert!(matches!(parse_one(&[0x04, 0x84, 0, 0, 0, 1]), Err(TlvError::BadLength { .. })));
        assert!(matches!(parse_one(&[0x04, 0x83, 1, 0, 0]), Err(TlvError::TooLong { .. })));
        assert!(matches!(parse_one(&[0x1F, 0x81, 0x81, 0x01, 0x00]), Err(TlvError::TagTooLong { .. })));
    }

    #[test]
    fn iterates_and_stops_at_padding() {
        let data = [0xDF, 0x24, 0x01, b'1', 0xDF, 0x25, 0x01, b'2', 0xFF, 0xFF];
        let v: Vec<_> = iter(&data).collect::<Result<_, _>>().unwrap();
        assert_eq!(v.len(), 2);
        let bad = [0xDF, 0x24, 0x01, b'1', 0xDF, 0x25, 0x09];
        let r: Result<Vec<_>, _> = iter(&bad).collect();
        assert_eq!(r.unwrap_err(), TlvError::Truncated { offset: 7, needed: 9 });
    }

    #[test]
    fn encode_round_trips() {
        for n in [0usize, 1, 127, 128, 255, 256, 1000] {
            let value = vec![0x5A; n];
            let mut out = Vec::new();
            encode(0xDF23, &value, &mut out);
            let t = parse_one(&out).unwrap();
            assert_eq!((t.tag, t.value, t.encoded_len), (0xDF23, &value[..], out.len()));
        }
    }

    proptest! {
        #[test]
        fn never_panics_or_overreads(data in proptest::collection::vec(any::<u8>(), 0..600)) {
            if let Ok(t) = parse_one(&data) {
                prop_assert!(t.encoded_len <= data.len());
            }
            let mut total = 0;
            for t in iter(&data) {
                match t { Ok(t) => total += t.encoded_len, Err(_) => break }
            }
            prop_assert!(total <= data.len());
        }

        #[test]
        fn round_trip_any(tag in prop_oneof![Just(0xDF21u32), Just(0xFF20), Just(0x30), Just(0x5F37)],
                          value in proptest::collection::vec(any::<u8>(), 0..2000)) {
            let mut out = Vec::new();
            encode(tag, &value, &mut out);
            let t = parse_one(&out).unwrap();
            prop_assert_eq!(t.tag, tag);
            prop_assert_eq!(t.value, &value[..]);
        }
    }
}
