//! The GitHub Action's script (`ci/action.sh`) run as a workflow would run it, with the
//! `GITHUB_*` files pointing at temporary ones and the built binary instead of an install.

use std::path::{Path, PathBuf};
use std::process::Command;

struct Job {
    dir: PathBuf,
}

impl Job {
    fn new(name: &str) -> Job {
        let dir = std::env::temp_dir().join(format!("oc-action-{name}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        Job { dir }
    }

    /// Run the script with these inputs; (exit code, job summary, step outputs).
    fn run(&self, inputs: &[(&str, &str)]) -> (i32, String, String) {
        let script = Path::new(env!("CARGO_MANIFEST_DIR")).parent().unwrap().join("ci/action.sh");
        let mut c = Command::new("bash");
        c.arg(script)
            .current_dir(&self.dir)
            .env("OAUTH_CONFORMANCE_BIN", env!("CARGO_BIN_EXE_oauth-conformance"))
            .env("OAUTH_CONFORMANCE_COLOR", "never")
            .env("GITHUB_STEP_SUMMARY", self.dir.join("summary.md"))
            .env("GITHUB_OUTPUT", self.dir.join("output.txt"));
        for (k, v) in inputs {
            c.env(k, v);
        }
        let out = c.output().expect("bash runs the action script");
        let read = |name: &str| std::fs::read_to_string(self.dir.join(name)).unwrap_or_default();
        (out.status.code().unwrap_or(-1), read("summary.md"), read("output.txt"))
    }
}

impl Drop for Job {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

#[test]
fn the_action_script_runs_against_an_issuer_and_writes_summary_outputs_and_reports() {
    let server = fake_server::FakeServer::start_blocking();
    let job = Job::new("pass");
    let (code, summary, outputs) = job.run(&[
        ("INPUT_ISSUER", server.issuer()),
        ("INPUT_REPORT_DIR", "reports"),
        ("INPUT_ARGS", "--only DISC-01,DISC-02 --jobs 2"),
    ]);
    assert_eq!(code, 0, "{summary}");
    assert!(summary.starts_with("# OAuth conformance: ✅ passed"), "{summary}");
    assert!(summary.contains("2 scenarios: 0 failed, 0 errors, 0 skipped, 2 passed"), "{summary}");
    assert!(outputs.contains("exit-code=0\n") && outputs.contains("report-dir=reports\n"), "{outputs}");
    for name in ["report.md", "report.html", "junit.xml", "report.json", "report.sarif"] {
        assert!(job.dir.join("reports").join(name).is_file(), "{name} is written");
    }
}

#[test]
fn the_action_script_fails_the_step_with_the_harness_exit_code_and_still_writes_the_summary() {
    let job = Job::new("fail");
    let baseline = job.dir.join("known.toml");
    std::fs::write(&baseline, "[[expected]]\nid = \"CODE-02\"\nreason = \"tested elsewhere\"\n").unwrap();
    let (code, summary, outputs) = job.run(&[
        ("INPUT_BASELINE", baseline.to_str().unwrap()),
        ("INPUT_FAIL_ON", "should"),
        ("INPUT_ARGS", "--only CODE-01,CODE-02 --fault reusable-codes"),
    ]);
    assert_eq!(code, 1, "{summary}");
    assert!(summary.starts_with("# OAuth conformance: ❌ failed"), "{summary}");
    assert!(summary.contains("## Known outcomes (baseline)"), "the baseline input is passed: {summary}");
    assert!(summary.contains("CODE-01"), "{summary}");
    assert!(outputs.contains("exit-code=1\n"), "{outputs}");
    assert!(job.dir.join("oauth-conformance-report/report.sarif").is_file(), "the default report dir");
}

#[test]
fn the_action_script_says_in_the_summary_when_the_harness_wrote_no_report() {
    let job = Job::new("usage");
    let (code, summary, outputs) = job.run(&[("INPUT_FAIL_ON", "sometimes")]);
    assert_eq!(code, 2);
    assert!(summary.contains("not run") && summary.contains("exited 2"), "{summary}");
    assert!(outputs.contains("exit-code=2\n"), "{outputs}");
}
