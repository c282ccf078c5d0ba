//! Tests of the `kiosk` layer.

mod card_status;
mod demo_cli;
mod forms;
mod output;
mod screens;
mod session;
mod ui_flow;
mod ui_real;
