//! The client conformance mode (`oauth-conformance client -- COMMAND`), proven like the kill
//! matrix proves the server scenarios: the flawed client of interop/clients/flawed-client
//! passes every client scenario with no fault on, and with each of its faults fails exactly the
//! scenarios that name it (anything else may pass or skip, never fail or error). It needs Node
//! 20 or later on the PATH, as the interop tests do.

use std::collections::{BTreeMap, BTreeSet};
use std::path::PathBuf;

use harness::engine::steps::program::FLAWED_CLIENT_FAULTS;
use serde_json::Value;

use super::support::bin;

fn flawed_client() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../interop/clients/flawed-client/client.mjs")
}

/// Per scenario id: the outcome and the whole result, for the message.
type Outcomes = BTreeMap<String, (String, String)>;

/// Run every client scenario against the flawed client with these faults; outcome per id.
fn outcomes(faults: &str) -> Outcomes {
    let out = bin()
        .args(["client", "--format", "json", "--client-timeout", "60", "--", "node"])
        .arg(flawed_client())
        .env("FLAWED_CLIENT_FAULTS", faults)
        .output()
        .expect("run oauth-conformance client (and node)");
    let report: Value = serde_json::from_slice(&out.stdout).unwrap_or_else(|_| {
        panic!(
            "no JSON report with faults `{faults}`:\n{}\n{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        )
    });
    report["results"]
        .as_array()
        .expect("results")
        .iter()
        .map(|r| {
            let id = r["id"].as_str().unwrap_or_default().to_string();
            let outcome = r["outcome"].as_str().unwrap_or_default().to_string();
            (id, (outcome, r.to_string()))
        })
        .collect()
}

#[test]
fn the_flawed_client_passes_clean_and_each_of_its_faults_fails_exactly_its_scenarios() {
    let node = std::process::Command::new("node").arg("--version").output();
    assert!(
        node.is_ok_and(|o| o.status.success()),
        "this test runs the flawed client with Node: install Node 20 or later"
    );
    let scenarios =
        harness::engine::suite::load_clients(&[], true).expect("the built-in client scenarios load");
    let clean = outcomes("");
    let broken: Vec<String> =
        clean.iter().filter(|(_, (o, _))| o != "pass").map(|(id, (o, r))| format!("{id}: {o} {r}")).collect();
    assert!(broken.is_empty(), "the flawed client without faults:\n{}", broken.join("\n"));
    assert_eq!(clean.len(), scenarios.len());

    // Two runs at a time: each is one process after another (the harness, Node, the opener),
    // and the other tests of this binary may have finished while this one still runs.
    let next = std::sync::atomic::AtomicUsize::new(0);
    let runs: Vec<(&str, Outcomes)> = std::thread::scope(|scope| {
        let workers: Vec<_> = (0..2)
            .map(|_| {
                scope.spawn(|| {
                    let mut done = Vec::new();
                    while let Some(fault) =
                        FLAWED_CLIENT_FAULTS.get(next.fetch_add(1, std::sync::atomic::Ordering::Relaxed))
                    {
                        done.push((*fault, outcomes(fault)));
                    }
                    done
                })
            })
            .collect();
        workers.into_iter().flat_map(|w| w.join().expect("a client run panicked")).collect()
    });

    let mut problems = Vec::new();
    for (fault, outcomes) in runs {
        let declared: BTreeSet<&str> = scenarios
            .iter()
            .filter(|s| s.killed_by.iter().any(|k| k == fault))
            .map(|s| s.id.as_str())
            .collect();
        assert!(!declared.is_empty(), "no client scenario names the fault `{fault}`");
        for (id, (outcome, detail)) in outcomes {
            match (declared.contains(id.as_str()), outcome.as_str()) {
                (true, "fail") | (false, "pass" | "skip") => {}
                (true, _) => problems.push(format!("{fault}: {id} survives ({outcome}): {detail}")),
                (false, _) => problems.push(format!("{fault}: collateral {id} ({outcome}): {detail}")),
            }
        }
    }
    assert!(problems.is_empty(), "client kill matrix:\n{}", problems.join("\n"));
}

#[test]
fn the_client_mode_refuses_an_issuer_and_needs_a_command() {
    let out = bin().args(["client", "--issuer", "https://as.example", "--", "true"]).output().unwrap();
    assert_eq!(out.status.code(), Some(2), "{}", String::from_utf8_lossy(&out.stderr));
    assert!(String::from_utf8_lossy(&out.stderr).contains("drop --issuer"));
    let out = bin().args(["client"]).output().unwrap();
    assert_eq!(out.status.code(), Some(2));
}

#[test]
fn a_client_that_does_not_finish_in_time_is_an_error_with_its_output() {
    let out = bin()
        .args(["client", "--only", "CLI-01", "--client-timeout", "1", "--format", "json", "--", "sh", "-c"])
        .arg("echo still thinking; sleep 30")
        .output()
        .unwrap();
    let report: Value = serde_json::from_slice(&out.stdout).expect("a JSON report");
    let r = &report["results"][0];
    assert_eq!(r["outcome"], "error", "{r}");
    let reason = r["reason"].as_str().unwrap_or_default();
    assert!(reason.contains("did not finish within 1 s") && reason.contains("still thinking"), "{reason}");
    assert_eq!(out.status.code(), Some(3), "a run with errors");
}
