//! The transitions of each stage, one file per step of the visit.

mod card;
mod card_check;
mod choosing;
mod output;
pub(crate) mod preinput;
mod review;
mod signing;
