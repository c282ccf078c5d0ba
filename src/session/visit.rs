//! What a visit is about, as values both the stages and the ports speak of: the plan (which
//! procedures, from the catalogue, the guide or a pre-input code), the card as read with a
//! clerk's corrections beside it, and sets of card attributes. No behaviour beyond reading
//! them; the stages own them and the ports borrow them.

use crate::i18n::Msg;
use crate::vocab::Answers;
use crate::vocab::person::{CardAttributes, MyNumber, SecretString};

/// What the visit is for.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Plan {
    pub procedures: Vec<String>,
    /// The guide's answers when the guide chose the procedures (then a 手続き案内 is made).
    pub guide: Option<Answers>,
    /// What a pre-input code brought, held until the card is read (then its answers are the
    /// visit's answers and its notices show on the review screen).
    pub prefill: Option<PreFill>,
}

/// Answers from a pre-input code (`crate::preinput`) and what the resident is told about them.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct PreFill {
    pub answers: Answers,
    pub notices: Vec<Msg>,
}

/// A clerk's corrections of card values (a 外字 typed by a clerk, a moved address).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Corrections {
    pub name: Option<SecretString>,
    pub address: Option<SecretString>,
}

/// What was read from the card, with a clerk's corrections beside it (never over it).
#[derive(Clone, PartialEq, Eq)]
pub struct CardRead {
    pub attributes: CardAttributes,
    pub my_number: Option<MyNumber>,
    pub corrections: Corrections,
}

impl std::fmt::Debug for CardRead {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CardRead")
            .field("my_number", &self.my_number.is_some())
            .field("corrected", &self.corrected())
            .finish_non_exhaustive()
    }
}

impl CardRead {
    /// The name the forms print: a clerk's correction, else the card's.
    pub fn name(&self) -> &SecretString {
        self.corrections.name.as_ref().unwrap_or(&self.attributes.name)
    }
    /// The address the forms print (offered as 「住所と同じ」 for 本籍).
    pub fn address(&self) -> &SecretString {
        self.corrections.address.as_ref().unwrap_or(&self.attributes.address)
    }
    /// Which card values a clerk corrected.
    pub fn corrected(&self) -> CardFields {
        CardFields {
            name: self.corrections.name.is_some(),
            address: self.corrections.address.is_some(),
            ..CardFields::default()
        }
    }
}

/// A set of card attributes.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct CardFields {
    pub name: bool,
    pub address: bool,
    pub birth_date: bool,
    pub sex: bool,
    pub my_number: bool,
}

impl CardFields {
    pub fn union(self, o: CardFields) -> CardFields {
        CardFields {
            name: self.name || o.name,
            address: self.address || o.address,
            birth_date: self.birth_date || o.birth_date,
            sex: self.sex || o.sex,
            my_number: self.my_number || o.my_number,
        }
    }
}
