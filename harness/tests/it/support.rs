//! Running the real `oauth-conformance` binary.

use std::path::PathBuf;
use std::process::{Command, Output};

pub fn bin() -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_oauth-conformance"));
    c.env_remove("NO_COLOR").env("OAUTH_CONFORMANCE_COLOR", "never");
    c
}

pub fn fixture(path: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures").join(path)
}

/// Run the binary; (exit code, stdout, stderr).
pub fn run(args: &[&str]) -> (i32, String, String) {
    let Output { status, stdout, stderr } = bin().args(args).output().expect("run oauth-conformance");
    (
        status.code().unwrap_or(-1),
        String::from_utf8_lossy(&stdout).into_owned(),
        String::from_utf8_lossy(&stderr).into_owned(),
    )
}

/// Replace what changes between runs: ports, times, random values.
pub fn stable(text: &str) -> String {
    let rules: &[(&str, &str)] = &[
        (r"127\.0\.0\.1:\d+", "127.0.0.1:[port]"),
        (r"in \d+\.\d s", "in [time] s"),
        (r#"time="\d+\.\d+""#, r#"time="[time]""#),
        (r#""(duration_ms|started_at)": \d+"#, r#""$1": [n]"#),
        (r#""(exp|iat|auth_time)": ?\d+"#, r#""$1": [n]"#),
        (r#""jti": ?"[^"]+""#, r#""jti": "[jti]""#),
        (r"oauth-conformance \d+\.\d+\.\d+", "oauth-conformance [version]"),
        (r"(?m)^date: .*$", "date: [date]"),
        (r"(?m)^content-length: \d+$", "content-length: [n]"),
    ];
    let repo = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).parent().unwrap().display().to_string();
    let mut out = text.replace(&repo, "[repo]");
    for (pattern, replacement) in rules {
        out = regex::Regex::new(pattern).unwrap().replace_all(&out, *replacement).into_owned();
    }
    out
}
