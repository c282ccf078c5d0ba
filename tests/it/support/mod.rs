//! Helpers shared by the test modules, one file per part they drive.

pub mod card_stack;
pub mod forms_support;
pub mod golden;
pub mod kiosk_support;
pub mod output_support;
pub mod packaging_support;
pub mod preinput_support;
pub mod ui_support;
pub mod webdriver;

/// A variable `tests/stack.sh env` sets (printer URIs, spools …); its absence is a failure
/// that says how to start the stack, never a skip.
pub fn stack_env(name: &str) -> String {
    std::env::var(name).unwrap_or_else(|_| {
        panic!("{name} is not set: run `bash tests/stack.sh up` and `eval \"$(bash tests/stack.sh env)\"`")
    })
}

/// Held while a test counts jobs on the stack's printers, so parallel tests do not print
/// into each other's counts.
pub fn print_lock() -> std::fs::File {
    let lock = std::fs::File::create(std::env::temp_dir().join("madoguchi-print-tests.lock")).expect("lock file");
    lock.lock().expect("lock");
    lock
}
