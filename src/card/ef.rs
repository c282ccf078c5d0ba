//! The file-level steps every application uses: SELECT, the tries query, READ BINARY of a
//! whole BER-TLV record. Sans-IO apart from the [`Transport`].

use zeroize::Zeroizing;

use super::apdu::{Response, StatusWord, cmd};
use super::attributes::RecordError;
use super::error::CardError;
use super::tlv;
use super::transport::Transport;

fn transmit<T: Transport + ?Sized>(t: &mut T, c: &super::apdu::Command) -> Result<Response, CardError> {
    Ok(t.transmit(c)?)
}

/// SELECT an application by AID. `Ok(false)` when the card does not have it (`6A82`, or
/// `6A86` as some cards answer an AID they do not know).
pub fn select_df<T: Transport + ?Sized>(t: &mut T, aid: &[u8]) -> Result<bool, CardError> {
    let r = transmit(t, &cmd::select_df(aid))?;
    match r.sw {
        StatusWord::OK => Ok(true),
        StatusWord::FILE_NOT_FOUND | StatusWord::WRONG_P1P2 => Ok(false),
        sw => Err(CardError::UnexpectedStatus { command: "SELECT AP", sw }),
    }
}

/// SELECT an EF of the current application; `FileNotFound` when it has no such EF.
pub fn select_ef<T: Transport + ?Sized>(t: &mut T, fid: u16) -> Result<(), CardError> {
    let r = transmit(t, &cmd::select_ef(fid))?;
    match r.sw {
        StatusWord::OK => Ok(()),
        StatusWord::FILE_NOT_FOUND => Err(CardError::FileNotFound { fid }),
        sw => Err(CardError::UnexpectedStatus { command: "SELECT EF", sw }),
    }
}

/// What the card said to an empty VERIFY.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Tries {
    /// `63 Cx` with x ≥ 1.
    Left(u8),
    /// `63 C0`, `69 84` or `69 83`: no try left (which one a real card
    /// answers is not known, so all three mean locked).
    Locked(StatusWord),
}

/// The meaning of an answer to the empty VERIFY (sans-IO).
pub fn tries_from(sw: StatusWord) -> Result<Tries, CardError> {
    match (sw, sw.tries_left()) {
        (_, Some(0)) => Ok(Tries::Locked(sw)),
        (_, Some(n)) => Ok(Tries::Left(n)),
        (StatusWord::REFERENCE_DATA_NOT_USABLE | StatusWord::AUTH_METHOD_BLOCKED, _) => Ok(Tries::Locked(sw)),
        // ISO 7816-4: already verified in this card session. Not observed on this card and
        // never left by this software (it resets after every PIN), so the state is unknown.
        (StatusWord::OK, _) => Err(CardError::AlreadyVerified),
        (sw, _) => Err(CardError::UnexpectedStatus { command: "VERIFY (status)", sw }),
    }
}

/// SELECT the PIN EF `fid` and ask for its tries left with an empty VERIFY, which costs
/// no try.
pub fn query_tries<T: Transport + ?Sized>(t: &mut T, fid: u16) -> Result<Tries, CardError> {
    select_ef(t, fid)?;
    let r = transmit(t, &cmd::verify_status())?;
    tries_from(r.sw)
}

/// What the card said to a VERIFY with a PIN.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Verified {
    Ok,
    /// Wrong, x ≥ 1 tries left.
    Wrong(u8),
    /// Wrong and now locked, or already locked.
    Locked(StatusWord),
}

/// The meaning of an answer to VERIFY with a PIN (sans-IO).
pub fn verify_answer(sw: StatusWord) -> Result<Verified, CardError> {
    match (sw, sw.tries_left()) {
        (StatusWord::OK, _) => Ok(Verified::Ok),
        (_, Some(0)) => Ok(Verified::Locked(sw)),
        (_, Some(n)) => Ok(Verified::Wrong(n)),
        (StatusWord::REFERENCE_DATA_NOT_USABLE | StatusWord::AUTH_METHOD_BLOCKED, _) => Ok(Verified::Locked(sw)),
        (StatusWord::WRONG_LENGTH, _) => Err(CardError::WrongLength),
        (sw, _) => Err(CardError::UnexpectedStatus { command: "VERIFY", sw }),
    }
}

/// One READ BINARY at `offset` (short Le).
pub fn read_chunk<T: Transport + ?Sized>(t: &mut T, offset: usize, le: usize) -> Result<Response, CardError> {
    let offset = u16::try_from(offset).ok().filter(|&o| o <= 0x7FFF).ok_or(CardError::WrongOffset)?;
    let r = transmit(t, &cmd::read_binary(offset, le.clamp(1, 256) as u16))?;
    match r.sw {
        StatusWord::OK => Ok(r),
        StatusWord::SECURITY_NOT_SATISFIED => Err(CardError::SecurityNotSatisfied),
        StatusWord::WRONG_OFFSET | StatusWord::WRONG_P1P2 => Err(CardError::WrongOffset),
        StatusWord::WRONG_LENGTH => Err(CardError::WrongLength),
        sw => Err(CardError::UnexpectedStatus { command: "READ BINARY", sw }),
    }
}

/// Read one BER-TLV record from the selected EF: a first read of `first_le` bytes gives the
/// header, the rest is read in ≤ 256-byte chunks sized from it. Anything claiming more than
/// `max_len` bytes is corrupt and is refused before it costs reads.
pub fn read_record<T: Transport + ?Sized>(
    t: &mut T,
    first_le: usize,
    max_len: usize,
) -> Result<Zeroizing<Vec<u8>>, CardError> {
    let first = read_chunk(t, 0, first_le)?;
    complete_record(t, Zeroizing::new(first.data.clone()), max_len)
}

/// Read the rest of a record whose first bytes are `buf` (see [`read_record`]).
pub fn complete_record<T: Transport + ?Sized>(
    t: &mut T,
    mut buf: Zeroizing<Vec<u8>>,
    max_len: usize,
) -> Result<Zeroizing<Vec<u8>>, CardError> {
    let total = tlv::parse_header(&buf).map_err(RecordError::from)?.total_len();
    if total > max_len {
        return Err(RecordError::TooLong(max_len).into());
    }
    while buf.len() < total {
        let le = (total - buf.len()).min(256);
        let r = read_chunk(t, buf.len(), le)?;
        if r.data.is_empty() {
            // The EF ended before the record did.
            return Err(
                RecordError::Tlv(tlv::TlvError::Truncated { offset: buf.len(), needed: total - buf.len() }).into()
            );
        }
        buf.extend_from_slice(&r.data);
    }
    buf.truncate(total);
    Ok(buf)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn status_words_of_the_tries_query() {
        assert_eq!(tries_from(StatusWord(0x63C3)), Ok(Tries::Left(3)));
        assert_eq!(tries_from(StatusWord(0x63CA)), Ok(Tries::Left(10)));
        assert_eq!(tries_from(StatusWord(0x63C0)), Ok(Tries::Locked(StatusWord(0x63C0))));
        assert_eq!(tries_from(StatusWord(0x6984)), Ok(Tries::Locked(StatusWord(0x6984))));
        assert_eq!(tries_from(StatusWord(0x6983)), Ok(Tries::Locked(StatusWord(0x6983))));
        assert_eq!(tries_from(StatusWord::OK), Err(CardError::AlreadyVerified));
        assert!(matches!(tries_from(StatusWord(0x6A82)), Err(CardError::UnexpectedStatus { .. })));
        assert_eq!(verify_answer(StatusWord::OK), Ok(Verified::Ok));
        assert_eq!(verify_answer(StatusWord(0x63C1)), Ok(Verified::Wrong(1)));
        assert_eq!(verify_answer(StatusWord(0x63C0)), Ok(Verified::Locked(StatusWord(0x63C0))));
        assert_eq!(verify_answer(StatusWord(0x6700)), Err(CardError::WrongLength));
    }
}
