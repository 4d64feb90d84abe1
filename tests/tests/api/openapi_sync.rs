#[test]
fn the_committed_openapi_yaml_is_exactly_what_the_code_generates() {
    let committed =
        std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/../openapi.yaml")).unwrap_or_default();
    let generated = creneau::http::openapi::spec_yaml();
    assert!(
        committed == generated,
        "openapi.yaml is out of date: regenerate it with `cargo run -q -p creneau -- openapi > openapi.yaml`"
    );
}
