//! JSON Schema of the template format, generated from the Rust types
//! (`assets/schema/template.schema.json`; a test keeps the file current).

/// The schema as pretty JSON with a trailing newline.
pub fn template_schema_json() -> String {
    let schema = schemars::schema_for!(super::model::Template);
    let mut s = serde_json::to_string_pretty(&schema).unwrap_or_default();
    s.push('\n');
    s
}
