//! Tests of the `packaging` layer.

mod deb;
