//! Tests of the `output` layer.

mod crash;
mod diskfull;
mod export;
mod kill_delivery;
mod kill_kiosk;
mod outbox;
mod payload_schema;
mod print;
mod print_bounds;
mod service_cli;
