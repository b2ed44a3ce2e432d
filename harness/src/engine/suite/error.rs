//! Problems in scenario files, printed the way rustc prints errors.

use std::fmt;

/// One problem in a scenario file, with its location and a hint.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LoadError {
    pub file: String,
    pub line: usize,
    pub message: String,
    pub help: Option<String>,
    /// The source line, for the excerpt.
    pub text: String,
}

impl LoadError {
    pub fn new(file: &str, source: &str, line: usize, message: String, help: Option<String>) -> LoadError {
        let text = source.lines().nth(line.saturating_sub(1)).unwrap_or("").to_string();
        LoadError { file: file.to_string(), line, message, help, text }
    }

    /// The error as rustc would print it; `color` adds ANSI colours.
    pub fn render(&self, color: bool) -> String {
        let (red, blue, bold, reset) =
            if color { ("\x1b[1;31m", "\x1b[1;34m", "\x1b[1m", "\x1b[0m") } else { ("", "", "", "") };
        let width = self.line.to_string().len();
        let pad = " ".repeat(width);
        let mut out = format!(
            "{red}error{reset}{bold}: {}{reset}\n{pad}{blue}-->{reset} {}:{}\n{pad} {blue}|{reset}\n{blue}{}{reset} {blue}|{reset} {}\n{pad} {blue}|{reset}\n",
            self.message, self.file, self.line, self.line, self.text
        );
        if let Some(help) = &self.help {
            out.push_str(&format!("{pad} {blue}={reset} {bold}help{reset}: {help}\n"));
        }
        out
    }
}

impl fmt::Display for LoadError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}: {}", self.file, self.line, self.message)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn renders_like_rustc_with_the_line_and_a_hint() {
        let e =
            LoadError::new("t.toml", "a\n[[scenario.step]]\n", 2, "bad step".into(), Some("fix it".into()));
        assert_eq!(
            e.render(false),
            "error: bad step\n --> t.toml:2\n  |\n2 | [[scenario.step]]\n  |\n  = help: fix it\n"
        );
    }
}
