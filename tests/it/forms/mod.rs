//! Tests of the `forms` layer.

mod cli;
mod golden;
mod layout;
mod props;
mod render;
mod rows;
mod rules;
mod templates;
