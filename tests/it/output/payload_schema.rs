//! The JSON the outbox sends validates against the Submission schema in
//! assets/api/openapi.yaml (the contract a back office implements).

use crate::support::output_support;

use madoguchi::output::payload::{CardAttribute, DeclaredCard, Submission};

fn validator() -> jsonschema::Validator {
    let text =
        std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/assets/api/openapi.yaml")).expect("openapi.yaml");
    let mut doc: serde_json::Value = serde_yaml_ng::from_str(&text).expect("openapi.yaml is valid YAML");
    assert_eq!(doc["openapi"], "3.1.0");
    // Validate with the whole document as the root so internal $refs resolve.
    doc["$schema"] = "https://json-schema.org/draft/2020-12/schema".into();
    doc["$ref"] = "#/components/schemas/Submission".into();
    jsonschema::options().should_validate_formats(true).build(&doc).expect("schema compiles")
}

fn check(v: &jsonschema::Validator, sub: &Submission) -> serde_json::Value {
    let json: serde_json::Value = serde_json::from_slice(&sub.to_json(chrono::Utc::now())).expect("json");
    let errors: Vec<String> = v.iter_errors(&json).map(|e| format!("{} at {}", e, e.instance_path())).collect();
    assert!(errors.is_empty(), "payload does not match the OpenAPI schema: {errors:?}");
    json
}

#[test]
fn payload_matches_the_openapi_schema() {
    let v = validator();
    let full = check(&v, &output_support::submission(1));
    assert_eq!(full["payload_version"], 1);
    assert_eq!(full["card"]["sex"], "2");

    // Only declared attributes: a form set that needs none of them.
    let mut minimal = output_support::submission(2);
    minimal.card = DeclaredCard::default();
    minimal.signature_png = None;
    let m = check(&v, &minimal);
    assert_eq!(m["card"], serde_json::json!({}));
    assert!(m["signature"].is_null());

    // A clerk's corrections are flagged next to the (printed, corrected) values.
    let mut corrected = output_support::submission(4);
    corrected.card_corrected = vec![CardAttribute::Address, CardAttribute::Name, CardAttribute::Address];
    let c = check(&v, &corrected);
    assert_eq!(c["card"]["corrected"], serde_json::json!(["name", "address"]), "sorted, once each");
    assert_eq!(c["card"]["name"], output_support::NAME, "the value printed on the form");
    assert!(full["card"].get("corrected").is_none(), "none corrected: no field (the default)");
    let mut broken = c.clone();
    broken["card"]["corrected"] = serde_json::json!(["my_number"]);
    assert!(!v.is_valid(&broken), "only the four card attributes can be corrected");

    // The schema really constrains: breaking the payload is caught.
    let mut broken = full.clone();
    broken.as_object_mut().expect("object").remove("idempotency_key");
    assert!(!v.is_valid(&broken));
    let mut broken = full;
    broken["card"]["my_number"] = "12345".into();
    assert!(!v.is_valid(&broken));
}

#[test]
fn payload_pdf_and_signature_round_trip() {
    use base64::Engine as _;
    let sub = output_support::submission(3);
    let json: serde_json::Value = serde_json::from_slice(&sub.to_json(chrono::Utc::now())).expect("json");
    let pdf = base64::engine::general_purpose::STANDARD
        .decode(json["pdf"]["data_base64"].as_str().expect("str"))
        .expect("b64");
    assert_eq!(pdf.as_slice(), sub.pdf.as_slice());
    assert!(pdf.starts_with(b"%PDF-"));
    let values = &json["forms"][0]["values"];
    let keys: Vec<&String> = values.as_object().expect("obj").keys().collect();
    assert_eq!(keys.len(), 3);
    assert_eq!(values["note"], "カンマ, と \"引用符\" を含む");
    // Debug never shows personal data.
    let dbg = format!("{sub:?}");
    assert!(!dbg.contains(output_support::NAME) && !dbg.contains(output_support::ADDRESS));
}
