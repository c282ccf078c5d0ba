//! カードの状態: the tries left of the card's three PINs and the validity of the
//! 利用者証明用電子証明書 — without a PIN and without reading any personal data.
//!
//! What is sent (one exclusive procedure):
//! SELECT text AP → SELECT EF 0011 → empty VERIFY; SELECT JPKI AP → SELECT EF 0018 → empty
//! VERIFY → SELECT EF 001B → empty VERIFY → SELECT EF 000A → READ BINARY (the certificate).
//! An empty VERIFY only asks `63 Cx` and costs no try; no EF of the text AP is read; of the
//! certificate only notBefore/notAfter are kept (its subject and serial identify the
//! holder). Beware that the expiry date is usually the holder's 5th birthday after issue:
//! show it to the resident, do not log it.

use chrono::{Datelike, NaiveDate};
use zeroize::Zeroizing;

use super::cert::{self, CertError, CertValidity, EF_AUTH_CERT};
use super::ef::{self, Tries};
use super::error::CardError;
use super::pin::PinKind;
use super::profile::{self, CardProfile};
use super::text_ap::{JPKI_AP_AID, TEXT_AP_AID};
use super::transport::{self, Transport};
use crate::i18n::{Arg, Msg};

/// Default of "renew soon": the 利用者証明用電子証明書 expires within this many days.
pub const DEFAULT_RENEW_WITHIN_DAYS: u32 = 90;

/// One PIN's state as the empty VERIFY reports it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PinStatus {
    /// `63 Cx`, x ≥ 1 tries left.
    Left { tries: u8 },
    /// No try left (`63 C0`, `69 84` or `69 83`): reset at the municipal office.
    Locked,
    /// The card has no such PIN (its EF does not select), e.g. no 署名用電子証明書 — which
    /// residents under 15 do not have (what such a card answers is not documented [L]).
    NotPresent,
}

impl PinStatus {
    pub fn key(self) -> &'static str {
        match self {
            PinStatus::Left { .. } => "ok",
            PinStatus::Locked => "locked",
            PinStatus::NotPresent => "not_present",
        }
    }

    /// "残り3回" / "ロックされています" / "このカードにはありません", for the screen.
    pub fn message(self) -> Msg {
        match self {
            PinStatus::Left { tries } => Msg::new("残り{}回").arg(tries),
            PinStatus::Locked => Msg::new("ロックされています"),
            PinStatus::NotPresent => Msg::new("このカードにはありません"),
        }
    }
}

/// What the card holds as 利用者証明用電子証明書.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CertState {
    Present(CertValidity),
    /// The EF does not select, or holds no certificate (erased: `FF`/`00`) — not issued, or
    /// removed after revocation (what a real card holds then is not documented [L]).
    Absent,
    /// Something that is not a certificate, or the card refused to give it.
    Unreadable(CertError),
}

/// The whole カードの状態.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CardStatus {
    pub profile: CardProfile,
    /// 券面事項入力補助用暗証番号 (text AP EF 0011).
    pub text_pin: PinStatus,
    /// 利用者証明用電子証明書の暗証番号 (JPKI AP EF 0018).
    pub auth_pin: PinStatus,
    /// 署名用電子証明書のパスワード (JPKI AP EF 001B).
    pub sign_password: PinStatus,
    /// 利用者証明用電子証明書 (JPKI AP EF 000A).
    pub auth_cert: CertState,
    /// The date days are counted from.
    pub today: NaiveDate,
}

/// What the status means for the resident, most urgent first.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Advice {
    /// Every PIN has tries and the certificate is valid beyond the renewal window.
    NothingToDo,
    /// Go to the counter to reset this PIN.
    PinLocked(PinKind),
    /// The 利用者証明用電子証明書 has expired: renew it at the counter.
    CertificateExpired,
    /// It expires within the renewal window.
    RenewSoon { days_left: i64 },
    /// The card holds no 利用者証明用電子証明書.
    NoCertificate,
    /// It could not be read: a clerk should look.
    CertificateUnreadable,
    /// One wrong entry more locks this PIN.
    OneTryLeft(PinKind),
}

impl Advice {
    /// Stable identifier for scripts.
    pub fn key(self) -> &'static str {
        match self {
            Advice::NothingToDo => "nothing_to_do",
            Advice::PinLocked(_) => "pin_locked",
            Advice::CertificateExpired => "certificate_expired",
            Advice::RenewSoon { .. } => "renew_soon",
            Advice::NoCertificate => "no_certificate",
            Advice::CertificateUnreadable => "certificate_unreadable",
            Advice::OneTryLeft(_) => "one_try_left",
        }
    }

    /// Whether the resident has to go to the municipal counter for this.
    pub fn needs_counter(self) -> bool {
        matches!(self, Advice::PinLocked(_) | Advice::CertificateExpired | Advice::RenewSoon { .. })
    }

    /// What to do, in the resident's words (Japanese source; translated where shown).
    pub fn message(self) -> Msg {
        match self {
            Advice::NothingToDo => Msg::new("暗証番号と電子証明書に問題はありません。手続きは必要ありません。"),
            Advice::PinLocked(PinKind::SignPassword) => Msg::new(
                "{}がロックされています。お住まいの市区町村の窓口で再設定できます。利用者証明用電子証明書の暗証番号が分かれば、コンビニのキオスク端末などで再設定できることもあります。",
            )
            .arg(PinKind::SignPassword.label()),
            Advice::PinLocked(kind) => Msg::new(
                "{}がロックされています。マイナンバーカードを持って、お住まいの市区町村の窓口で再設定の手続きをしてください。",
            )
            .arg(kind.label()),
            Advice::CertificateExpired => Msg::new(
                "利用者証明用電子証明書の有効期限が切れています。お住まいの市区町村の窓口で更新の手続きをしてください。",
            ),
            Advice::RenewSoon { days_left } => Msg::new(
                "利用者証明用電子証明書の有効期限まで、あと{}日です。お住まいの市区町村の窓口で更新の手続きをしてください。",
            )
            .arg(Arg::Plain(days_left.to_string())),
            Advice::NoCertificate => Msg::new(
                "このカードには利用者証明用電子証明書が入っていません。必要なときは、お住まいの市区町村の窓口で発行を申請できます。",
            ),
            Advice::CertificateUnreadable => {
                Msg::new("利用者証明用電子証明書を読み取れませんでした。職員にお声がけください。")
            }
            Advice::OneTryLeft(kind) => {
                Msg::new("{}の残り回数は1回です。次にまちがえるとロックされます。").arg(kind.label())
            }
        }
    }
}

/// A date as residents read it: 2029年4月12日 / 12 April 2029.
pub fn date_arg(d: NaiveDate) -> Arg {
    const MONTHS: [&str; 12] = [
        "January",
        "February",
        "March",
        "April",
        "May",
        "June",
        "July",
        "August",
        "September",
        "October",
        "November",
        "December",
    ];
    let month = MONTHS.get(d.month0() as usize).copied().unwrap_or("");
    Arg::Text(crate::i18n::Text::new(
        format!("{}年{}月{}日", d.year(), d.month(), d.day()),
        format!("{} {month} {}", d.day(), d.year()),
    ))
}

impl CertState {
    pub fn key(self) -> &'static str {
        match self {
            CertState::Present(_) => "present",
            CertState::Absent => "absent",
            CertState::Unreadable(_) => "unreadable",
        }
    }

    /// "有効期限 2029年4月12日(あと1000日)" and the like, for the screen.
    pub fn message(self, today: NaiveDate) -> Msg {
        match self {
            CertState::Present(v) if v.is_expired(today) => {
                Msg::new("有効期限 {}(期限切れ)").arg(date_arg(v.expiry_date()))
            }
            CertState::Present(v) => Msg::new("有効期限 {}(あと{}日)")
                .arg(date_arg(v.expiry_date()))
                .arg(Arg::Plain(v.days_left(today).to_string())),
            CertState::Absent => Msg::new("入っていません"),
            CertState::Unreadable(_) => Msg::new("読み取れません"),
        }
    }
}

impl CardStatus {
    /// The three PINs in the order residents know them.
    pub fn pins(&self) -> [(PinKind, PinStatus); 3] {
        [
            (PinKind::TextPin, self.text_pin),
            (PinKind::AuthPin, self.auth_pin),
            (PinKind::SignPassword, self.sign_password),
        ]
    }

    /// Days from `today` to the certificate's last valid day (negative = expired).
    pub fn days_left(&self) -> Option<i64> {
        match self.auth_cert {
            CertState::Present(v) => Some(v.days_left(self.today)),
            _ => None,
        }
    }

    /// What to do: [`Advice::NothingToDo`] alone, or every point that applies, most urgent
    /// first. `renew_within_days`: how early "renew soon" starts (a municipality's choice,
    /// [`DEFAULT_RENEW_WITHIN_DAYS`] by default).
    pub fn advice(&self, renew_within_days: u32) -> Vec<Advice> {
        let mut out: Vec<Advice> =
            self.pins().iter().filter(|(_, s)| *s == PinStatus::Locked).map(|(k, _)| Advice::PinLocked(*k)).collect();
        match self.auth_cert {
            CertState::Present(v) if v.is_expired(self.today) => out.push(Advice::CertificateExpired),
            CertState::Present(v) if v.days_left(self.today) <= i64::from(renew_within_days) => {
                out.push(Advice::RenewSoon { days_left: v.days_left(self.today) })
            }
            CertState::Present(_) => {}
            CertState::Absent => out.push(Advice::NoCertificate),
            CertState::Unreadable(_) => out.push(Advice::CertificateUnreadable),
        }
        out.extend(
            self.pins().iter().filter(|(_, s)| *s == PinStatus::Left { tries: 1 }).map(|(k, _)| Advice::OneTryLeft(*k)),
        );
        if out.is_empty() {
            out.push(Advice::NothingToDo);
        }
        out
    }
}

fn pin_state<T: Transport + ?Sized>(t: &mut T, kind: PinKind) -> Result<PinStatus, CardError> {
    match ef::query_tries(t, kind.ef()) {
        Ok(Tries::Left(n)) => Ok(PinStatus::Left { tries: n }),
        Ok(Tries::Locked(_)) => Ok(PinStatus::Locked),
        Err(CardError::FileNotFound { .. }) => Ok(PinStatus::NotPresent),
        Err(e) => Err(e),
    }
}

fn auth_cert<T: Transport + ?Sized>(t: &mut T) -> Result<CertState, CardError> {
    match ef::select_ef(t, EF_AUTH_CERT) {
        Ok(()) => {}
        Err(CardError::FileNotFound { .. }) => return Ok(CertState::Absent),
        Err(e) => return Err(e),
    }
    let unreadable = |e: CardError| match e {
        CardError::Transport(_) => Err(e),
        CardError::SecurityNotSatisfied => Ok(CertState::Unreadable(CertError::NeedsPin)),
        CardError::Record(super::attributes::RecordError::TooLong(_)) => Ok(CertState::Unreadable(CertError::TooLong)),
        _ => Ok(CertState::Unreadable(CertError::Malformed)),
    };
    let mut first = match ef::read_chunk(t, 0, 256) {
        Ok(r) => r,
        Err(e) => return unreadable(e),
    };
    let head = Zeroizing::new(std::mem::take(&mut first.data));
    if head.first().is_none_or(|&b| b == 0xFF || b == 0x00) {
        return Ok(CertState::Absent);
    }
    if head[0] != 0x30 {
        return Ok(CertState::Unreadable(CertError::Malformed));
    }
    match ef::complete_record(t, head, cert::MAX_CERT_LEN) {
        Ok(der) => Ok(match cert::parse_validity(&der) {
            Ok(v) => CertState::Present(v),
            Err(e) => CertState::Unreadable(e),
        }),
        Err(e) => unreadable(e),
    }
}

/// A digest that tells two cards apart: SHA-256 of the whole 利用者証明用電子証明書 (no PIN
/// needed), kept in memory only — the certificate itself is not kept, its serial and
/// subject identify the holder. `None` when the card holds no certificate. Used to make sure
/// a PIN typed for one card never reaches another (`card read --wait`).
pub fn fingerprint<T: Transport + ?Sized>(t: &mut T) -> Result<Option<[u8; 32]>, CardError> {
    use sha2::Digest;
    if !ef::select_df(t, &JPKI_AP_AID)? {
        return Ok(None);
    }
    match ef::select_ef(t, EF_AUTH_CERT) {
        Ok(()) => {}
        Err(CardError::FileNotFound { .. }) => return Ok(None),
        Err(e) => return Err(e),
    }
    let der = ef::read_record(t, 256, cert::MAX_CERT_LEN)?;
    Ok(Some(sha2::Sha256::digest(&der[..]).into()))
}

/// Read the カードの状態 (see the module documentation for exactly what is sent). `today`
/// is the date days are counted from (the kiosk's clock; [`cert::today_jst`] in the CLI).
pub fn read_status<T: Transport>(mut t: T, today: NaiveDate) -> Result<CardStatus, CardError> {
    transport::exclusive(&mut t, |t| -> Result<CardStatus, CardError> {
        if !ef::select_df(t, &TEXT_AP_AID)? {
            return Err(profile::not_readable(t));
        }
        let text_pin = pin_state(t, PinKind::TextPin)?;
        let (auth_pin, sign_password, auth_cert) = if ef::select_df(t, &JPKI_AP_AID)? {
            (pin_state(t, PinKind::AuthPin)?, pin_state(t, PinKind::SignPassword)?, auth_cert(t)?)
        } else {
            (PinStatus::NotPresent, PinStatus::NotPresent, CertState::Absent)
        };
        Ok(CardStatus { profile: CardProfile::MyNumberCard, text_pin, auth_pin, sign_password, auth_cert, today })
    })?
}

#[cfg(test)]
mod tests;
