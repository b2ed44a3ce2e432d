//! The SARIF report is valid SARIF 2.1.0 (the OASIS schema, vendored in
//! `tests/fixtures/sarif-schema-2.1.0.json` from oasis-tcs/sarif-spec) and says what failed.

use super::support::{fixture, run};

fn schema_errors(doc: &serde_json::Value) -> Vec<String> {
    let text = std::fs::read_to_string(fixture("sarif-schema-2.1.0.json")).expect("the vendored schema");
    let schema: serde_json::Value = serde_json::from_str(&text).expect("the schema is JSON");
    let validator =
        jsonschema::options().should_validate_formats(true).build(&schema).expect("the schema compiles");
    validator.iter_errors(doc).map(|e| format!("{} at {}", e, e.instance_path())).collect()
}

#[test]
fn the_schema_check_rejects_a_result_without_a_message() {
    let bad = serde_json::json!({
        "version": "2.1.0",
        "runs": [{ "tool": { "driver": { "name": "x" } }, "results": [{ "ruleId": "A" }] }]
    });
    assert!(!schema_errors(&bad).is_empty(), "the validator is not a no-op");
}

#[test]
fn the_sarif_report_is_valid_and_has_one_rule_per_scenario_and_a_result_per_failure() {
    let suites = fixture("suites");
    let args =
        ["run", "--no-builtin", "--suites", suites.to_str().unwrap(), "--jobs", "1", "--format", "sarif"];
    let (code, out, err) = run(&args);
    assert_eq!(code, 1, "{err}");
    let doc: serde_json::Value = serde_json::from_str(&out).expect("SARIF is JSON");
    let errors = schema_errors(&doc);
    assert!(errors.is_empty(), "{errors:#?}");
    let run = &doc["runs"][0];
    let rules = run["tool"]["driver"]["rules"].as_array().unwrap();
    assert_eq!(rules.len(), 7, "one rule per scenario of the demo suite");
    let results = run["results"].as_array().unwrap();
    let levels: Vec<(String, String)> = results
        .iter()
        .map(|r| (r["ruleId"].as_str().unwrap().to_string(), r["level"].as_str().unwrap().to_string()))
        .collect();
    assert_eq!(
        levels,
        [("DEMO-02".to_string(), "error".to_string()), ("DEMO-03".to_string(), "warning".to_string())],
        "the MUST failure is an error, the SHOULD one a warning, the passes and the skip no result"
    );
    let demo = &results[0];
    assert!(
        demo["message"]["text"].as_str().unwrap().contains("expected \"https://not-the-issuer.example\"")
    );
    let loc = &demo["locations"][0]["physicalLocation"];
    assert!(loc["artifactLocation"]["uri"].as_str().unwrap().ends_with("suites/demo.toml"), "{loc}");
    assert!(loc["region"]["startLine"].as_u64().unwrap() > 1, "{loc}");
}
