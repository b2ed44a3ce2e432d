//! Enterprise-managed authorization with an identity provider that is not the target: the
//! ID-JAG scenarios' `at = "idp"` steps go to the profile's `[idp]`, and the target is judged
//! only on what it does with the ID-JAGs that IdP issues. Two fake servers play the roles; the
//! target trusts the IdP's keys (`id_jag_issuers`). What each server received proves where the
//! steps went, and a target that does not trust the IdP, or takes any issuer, is caught.

use std::collections::BTreeMap;

use fake_server::{FakeServer, Fault, TrustedIdp};
use serde_json::Value;

use super::support::bin;

const IDP_RSA_PEM: &str = include_str!("../../../fixtures/keys/bundled-idp-signing.pem");
const IDP_ES256_PEM: &str = include_str!("../../../fixtures/keys/bundled-idp-signing-es256.pem");
const IDP_EDDSA_PEM: &str = include_str!("../../../fixtures/keys/bundled-idp-signing-eddsa.pem");
const TOKEN_EXCHANGE: &str = "urn:ietf:params:oauth:grant-type:token-exchange";
const JWT_BEARER: &str = "urn:ietf:params:oauth:grant-type:jwt-bearer";

/// An IdP with keys of its own, recording what it receives.
fn idp() -> FakeServer {
    FakeServer::builder()
        .settings(|s| {
            s.signing_key_pem = Some(IDP_RSA_PEM.into());
            s.es256_key_pem = Some(IDP_ES256_PEM.into());
            s.eddsa_key_pem = Some(IDP_EDDSA_PEM.into());
        })
        .record_requests()
        .start_blocking()
}

/// The IdP's published JWK Set.
fn jwks_of(idp: &FakeServer) -> Value {
    harness::install_crypto_provider();
    let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().expect("a runtime");
    let get = |url: String| async move {
        reqwest::get(url).await.expect("the IdP answers").json::<Value>().await.expect("JSON")
    };
    rt.block_on(async {
        let meta = get(format!("{}/.well-known/oauth-authorization-server", idp.issuer())).await;
        get(meta["jwks_uri"].as_str().expect("jwks_uri").to_string()).await
    })
}

/// A target that trusts `trusted` (if any), with these faults.
fn target(trusted: Option<TrustedIdp>, faults: &[Fault]) -> FakeServer {
    let mut b = FakeServer::builder().record_requests();
    for f in faults {
        b = b.fault(*f);
    }
    if let Some(t) = trusted {
        b = b.settings(move |s| s.id_jag_issuers.push(t));
    }
    b.start_blocking()
}

/// The built-in fake-server profile for the target, with an `[idp]` table naming `idp`: the
/// same profile (the IdP serves the same fixtures), at the IdP's issuer.
fn profile(idp: &FakeServer) -> std::path::PathBuf {
    let base = include_str!("../../../fixtures/profiles/fake-server.toml");
    let mut table: toml::Table = toml::from_str(base).expect("the fake-server profile");
    let mut theirs: toml::Table = toml::from_str(&base.replace("{issuer}", idp.issuer())).expect("parses");
    theirs.insert("issuer".into(), toml::Value::String(idp.issuer().to_string()));
    theirs.remove("clerk");
    table.insert("idp".into(), toml::Value::Table(theirs));
    let path = std::env::temp_dir().join(format!("oauth-conformance-idp-{}.toml", idp.addr().port()));
    std::fs::write(&path, toml::to_string(&table).expect("serializes")).expect("write the profile");
    path
}

/// Run the ID-JAG scenarios against `target` with `idp` in the profile; outcome per id.
fn run(target: &FakeServer, idp: &FakeServer) -> BTreeMap<String, (String, String)> {
    let profile = profile(idp);
    let out = bin()
        .args(["run", "--only", "IDJAG", "--format", "json", "--issuer", target.issuer(), "--profile"])
        .arg(&profile)
        .output()
        .expect("run oauth-conformance");
    let _ = std::fs::remove_file(&profile);
    let report: Value = serde_json::from_slice(&out.stdout)
        .unwrap_or_else(|_| panic!("no JSON report:\n{}", String::from_utf8_lossy(&out.stderr)));
    assert_eq!(report["target"]["idp"]["issuer"], idp.issuer(), "the report names the identity provider");
    report["results"]
        .as_array()
        .expect("results")
        .iter()
        .map(|r| {
            let outcome = r["outcome"].as_str().unwrap_or_default().to_string();
            (r["id"].as_str().unwrap_or_default().to_string(), (outcome, r["reason"].to_string()))
        })
        .collect()
}

fn grants(server: &FakeServer, grant: &str) -> usize {
    server.requests().iter().filter(|r| r.path == "/token" && r.param("grant_type") == Some(grant)).count()
}

#[test]
fn the_id_jag_scenarios_judge_the_target_with_id_jags_from_the_profiles_identity_provider() {
    let idp = idp();
    let trusted = TrustedIdp { issuer: idp.issuer().to_string(), jwks: jwks_of(&idp) };
    let good = target(Some(trusted.clone()), &[]);

    let outcomes = run(&good, &idp);
    // IDJAG-07 moves the target's clock, which only the bundled target lets the run do.
    let not_passed: Vec<String> = outcomes
        .iter()
        .filter(|(id, (o, r))| {
            o != "pass" && !(id.as_str() == "IDJAG-07" && o == "skip" && r.contains("clock"))
        })
        .map(|(id, (o, r))| format!("{id}: {o} {r}"))
        .collect();
    assert!(not_passed.is_empty(), "with a trusted IdP:\n{}", not_passed.join("\n"));
    assert_eq!(outcomes.len(), 11);

    // The token exchanges and sign-ins went to the IdP; the target redeemed the ID-JAGs.
    assert!(grants(&idp, TOKEN_EXCHANGE) >= 10, "the IdP performed the token exchanges");
    assert_eq!(grants(&good, TOKEN_EXCHANGE), 0, "no token exchange at the target");
    assert!(grants(&good, JWT_BEARER) >= 10, "the target redeemed the ID-JAGs");
    assert_eq!(grants(&idp, JWT_BEARER), 0, "no ID-JAG redeemed at the IdP");
    assert!(good.requests().iter().all(|r| r.path != "/authorize"), "no sign-in at the target");

    // A target that does not trust this IdP refuses its ID-JAGs: the redemption check fails.
    let untrusting = target(None, &[]);
    let outcomes = run(&untrusting, &idp);
    assert_eq!(outcomes["IDJAG-04"].0, "fail", "{:?}", outcomes["IDJAG-04"]);

    // A target that takes ID-JAGs of any issuer is caught by the forged ones.
    let careless = target(Some(trusted), &[Fault::IdJagAnyIssuer]);
    let outcomes = run(&careless, &idp);
    assert_eq!(outcomes["IDJAG-08"].0, "fail", "{:?}", outcomes["IDJAG-08"]);
}

#[test]
fn a_bundled_identity_provider_is_trusted_by_the_bundled_target_and_every_scenario_passes() {
    let base = include_str!("../../../fixtures/profiles/fake-server.toml");
    let path =
        std::env::temp_dir().join(format!("oauth-conformance-bundled-idp-{}.toml", std::process::id()));
    std::fs::write(&path, format!("bundled_idp = \"127.0.0.1:0\"\n{base}")).expect("write the profile");
    let out = bin()
        .args(["run", "--only", "IDJAG", "--format", "json", "--profile"])
        .arg(&path)
        .output()
        .expect("run oauth-conformance");
    let _ = std::fs::remove_file(&path);
    let report: Value = serde_json::from_slice(&out.stdout)
        .unwrap_or_else(|_| panic!("no JSON report:\n{}", String::from_utf8_lossy(&out.stderr)));
    let idp = &report["target"]["idp"];
    assert_eq!(idp["bundled"], true);
    assert_ne!(idp["issuer"], report["target"]["issuer"], "the IdP is another server");
    let results = report["results"].as_array().expect("results");
    assert_eq!(results.len(), 11);
    for r in results {
        assert_eq!(r["outcome"], "pass", "{r}");
    }
}
