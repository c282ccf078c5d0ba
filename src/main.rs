//! The `madoguchi` command: kiosk, card tools, virtual card, administrator tools.

mod cli;

fn main() -> std::process::ExitCode {
    cli::run()
}
