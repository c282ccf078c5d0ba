//! Forms layer: templates written by administrators (TOML), filling from the card and the
//! resident's answers, validation of the legal rules, and PDF rendering.
//!
//! Flow for the kiosk: [`Catalog::embedded`] or [`Catalog::load`] → [`Catalog::active_questions`]
//! for the touch UI (re-asked after each answer) → [`Catalog::needs_my_number`] tells the card layer whether to read the 個人番号 →
//! [`fill`] per template → [`render_pdf`] (one form or the combined print job).

pub mod catalog;
pub mod fill;
pub mod fonts;
pub mod format;
pub mod groups;
pub mod jp;
pub mod layout;
pub mod loader;
pub mod model;
mod overlay;
pub mod procedures;
pub mod render;
pub mod sample;
pub mod schema;
pub mod validate;

pub use catalog::{Catalog, GUIDE_EVENT, template_needs_my_number};
pub use fill::{CardView, FillInput, FilledForm, Stamp, Value, fill, is_active};
pub use fonts::{FontError, Fonts, FontsConfig};
pub use loader::{TemplateError, load_template, parse_template};
pub use model::Template;
pub use overlay::{merge, overlay};
pub use render::{RenderError, RenderOptions, pdf_date, render_each, render_pdf, render_pdf_with};
pub use validate::{FieldError, Problem};
