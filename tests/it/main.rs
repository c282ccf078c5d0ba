//! The integration tests: one binary (one link, one copy of the crate on disk), a module
//! per layer, one `support` for what they share. They go through the real parts that
//! `tests/stack.sh up` starts (pcscd + vpcd, cupsd + ippeveprinter); a missing part is a
//! failure that says how to start it, never a skip.

mod support;

mod card;
mod forms;
mod kiosk;
mod layers;
mod output;
mod packaging;
mod preinput;
mod preinput_page;
mod stack;
mod stats;
