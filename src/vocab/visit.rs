//! The record of one kiosk visit for the counter statistics (窓口の統計): produced by the
//! session, stored and summarised by `crate::stats`. Nothing personal can enter it because no
//! field could hold it: ids are [`Code`]s (ASCII letters, digits and `-_.` only), the rest
//! are enums, counts, durations and a start time truncated to the minute.

use std::fmt;

use chrono::{NaiveDate, NaiveDateTime, Timelike};

/// An identifier (kiosk id, language code, template or procedure id): ASCII letters, digits
/// and `-_.`, 1–64 characters. Japanese text, spaces, `@` … cannot be one, so a name, an
/// address or an answer cannot be stored by mistake.
#[derive(Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Code(String);

impl Code {
    pub const MAX: usize = 64;

    pub fn new(s: &str) -> Option<Code> {
        let ok = !s.is_empty()
            && s.len() <= Code::MAX
            && s.bytes().all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.'));
        ok.then(|| Code(s.to_string()))
    }
    pub fn as_str(&self) -> &str {
        &self.0
    }
    /// Stands in where a value was not a code (it is counted, not lost).
    pub fn unknown() -> Code {
        Code("unknown".to_string())
    }
}

impl fmt::Debug for Code {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(&self.0, f)
    }
}

impl fmt::Display for Code {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// Declares a fieldless enum with a stable code per variant (stored, exported) and its
/// Japanese label (report, clerk panel).
macro_rules! coded {
    ($(#[$m:meta])* $name:ident { $($(#[$vm:meta])* $v:ident = $code:literal, $ja:literal;)+ }) => {
        $(#[$m])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
        pub enum $name { $($(#[$vm])* $v,)+ }

        impl $name {
            pub const ALL: &'static [$name] = &[$($name::$v),+];
            pub const COUNT: usize = $name::ALL.len();
            pub fn code(self) -> &'static str {
                match self { $($name::$v => $code,)+ }
            }
            pub fn ja(self) -> &'static str {
                match self { $($name::$v => $ja,)+ }
            }
            pub fn from_code(s: &str) -> Option<$name> {
                match s { $($code => Some($name::$v),)+ _ => None }
            }
            pub fn index(self) -> usize {
                self as usize
            }
        }
    };
}

coded! {
    /// A step of the visit (a screen of the kiosk).
    Step {
        Procedure = "procedure", "手続きの選択";
        Guide = "guide", "手続き案内の質問";
        Card = "card", "カードを置く";
        Pin = "pin", "暗証番号";
        Review = "review", "内容の確認・入力";
        Signature = "signature", "署名";
        Confirm = "confirm", "書類の確認";
        Output = "output", "印刷・送信";
        Done = "done", "完了画面";
        CardCheck = "card_check", "カードの状態確認";
    }
}

impl Step {
    /// The funnel of an application visit, in order (the guide counts as choosing).
    pub const FUNNEL: &'static [Step] = &[
        Step::Procedure,
        Step::Card,
        Step::Pin,
        Step::Review,
        Step::Signature,
        Step::Confirm,
        Step::Output,
        Step::Done,
    ];

    /// Position in [`Step::FUNNEL`]; the card status check is not on it.
    pub fn rank(self) -> Option<usize> {
        match self {
            Step::Guide => Some(0),
            Step::CardCheck => None,
            s => Step::FUNNEL.iter().position(|f| *f == s),
        }
    }
}

coded! {
    /// How the card was opened. Never the PIN itself.
    PinOutcome {
        /// The visit never read the card (left before, or a card status check).
        NotRead = "not_read", "読み取りなし";
        FirstTry = "first_try", "1回目で正しい";
        AfterWrong = "after_wrong", "誤りの後に正しい";
        /// A clerk allowed the last try, or read the card with 照合番号B.
        ClerkOverride = "clerk_override", "職員の操作で読み取り";
        Locked = "locked", "ロック";
    }
}

coded! {
    /// How the visit ended.
    End {
        Printed = "printed", "印刷";
        Sent = "sent", "送信";
        Both = "both", "印刷と送信";
        Cancelled = "cancelled", "中止";
        IdleTimeout = "idle_timeout", "無操作で終了";
        /// The card was taken off mid-visit and the resident did not come back with it.
        CardPulled = "card_pulled", "カードを外して終了";
    }
}

impl End {
    pub fn delivered(self) -> bool {
        matches!(self, End::Printed | End::Sent | End::Both)
    }
}

coded! {
    /// A problem the resident met, by kind (never its details).
    ErrorKind {
        Reader = "reader", "カードリーダーの不具合";
        CardUnreadable = "card_unreadable", "カードを読めない";
        CardRemoved = "card_removed", "途中でカードを外した";
        WrongPin = "wrong_pin", "暗証番号の誤り";
        AnswerProblem = "answer_problem", "入力内容の不備";
        FormFailed = "form_failed", "書類を作成できない";
        PrintFailed = "print_failed", "印刷の失敗";
        SendFailed = "send_failed", "送信・保存の失敗";
    }
}

/// One visit, from 「はじめる」 (or カードの状態を確かめる) to the end of the session.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Visit {
    pub kiosk: Code,
    /// Local start time, to the minute (seconds are always 0).
    pub started: NaiveDateTime,
    pub language: Code,
    /// A clerk drove or unlocked the kiosk during the visit (or the kiosk is in clerk mode).
    pub assisted: bool,
    /// Procedure ids, in the order chosen.
    pub procedures: Vec<Code>,
    /// The answers came from a pre-input code.
    pub preinput: bool,
    /// Touches (UI events) during the visit.
    pub taps: u32,
    pub pin: PinOutcome,
    /// How long the card read took (VERIFY + reading the attributes), when it was read.
    pub card_read_ms: Option<u32>,
    /// Milliseconds spent on each step, by [`Step::index`].
    pub step_ms: [u32; Step::COUNT],
    /// The furthest step reached (for the funnel).
    pub furthest: Step,
    /// The step the visit ended on (where residents give up).
    pub last_step: Step,
    /// Problems met, by [`ErrorKind::index`].
    pub errors: [u16; ErrorKind::COUNT],
    pub end: End,
    /// From 申請する to the done screen, when delivered.
    pub delivery_ms: Option<u32>,
}

impl Visit {
    /// The whole visit, in milliseconds.
    pub fn total_ms(&self) -> u64 {
        self.step_ms.iter().map(|&m| u64::from(m)).sum()
    }
}

/// A time truncated to the minute (what a row keeps of "when").
pub fn to_minute(t: NaiveDateTime) -> NaiveDateTime {
    t.with_second(0).and_then(|t| t.with_nanosecond(0)).unwrap_or(t)
}

/// Today's visits and how they ended, for the clerk panel.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct DaySummary {
    pub day: NaiveDate,
    pub visits: u64,
    /// By [`End::index`].
    pub by_end: [u64; End::COUNT],
}

impl DaySummary {
    /// The counts for the clerk panel: 「12件(印刷 5・送信 4・中止 3)」.
    pub fn counts_ja(&self) -> String {
        let parts: Vec<String> = End::ALL
            .iter()
            .filter(|e| self.by_end[e.index()] > 0)
            .map(|e| format!("{} {}", e.ja(), self.by_end[e.index()]))
            .collect();
        if parts.is_empty() {
            format!("{}件", self.visits)
        } else {
            format!("{}件({})", self.visits, parts.join("・"))
        }
    }

    /// One line in Japanese: 「本日の利用 12件(印刷 5・送信 4・中止 2・無操作で終了 1)」.
    pub fn line_ja(&self) -> String {
        format!("本日の利用 {}", self.counts_ja())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_refuse_anything_that_could_be_personal() {
        for bad in ["", "山田", "a b", "x@y", "1985/04/12", &"a".repeat(65)] {
            assert!(Code::new(bad).is_none(), "{bad:?}");
        }
        for good in ["juminhyo", "ja-easy", "K01", "card-pin-reset", "v1.2_x"] {
            assert_eq!(Code::new(good).unwrap().as_str(), good);
        }
    }

    #[test]
    fn enum_codes_round_trip_and_are_unique() {
        for s in Step::ALL {
            assert_eq!(Step::from_code(s.code()), Some(*s));
        }
        for e in ErrorKind::ALL {
            assert_eq!(ErrorKind::from_code(e.code()), Some(*e));
        }
        for e in End::ALL {
            assert_eq!(End::from_code(e.code()), Some(*e));
        }
        for p in PinOutcome::ALL {
            assert_eq!(PinOutcome::from_code(p.code()), Some(*p));
        }
        assert_eq!(Step::Guide.rank(), Step::Procedure.rank());
        assert_eq!(Step::Done.rank(), Some(Step::FUNNEL.len() - 1));
    }
}
