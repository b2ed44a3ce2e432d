//! A line diff (longest common subsequence) with context, for snapshot drift.

use std::fmt::Write;

/// One line of a diff.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Line<'a> {
    Same(&'a str),
    Removed(&'a str),
    Added(&'a str),
}

/// The lines of `old` and `new` as kept, removed and added.
pub fn line_diff<'a>(old: &'a str, new: &'a str) -> Vec<Line<'a>> {
    let a: Vec<&str> = old.lines().collect();
    let b: Vec<&str> = new.lines().collect();
    // Trim the common head and tail so the quadratic table only covers what changed.
    let head = a.iter().zip(&b).take_while(|(x, y)| x == y).count();
    let tail = a[head..].iter().rev().zip(b[head..].iter().rev()).take_while(|(x, y)| x == y).count();
    let (ma, mb) = (&a[head..a.len() - tail], &b[head..b.len() - tail]);
    let (n, m) = (ma.len(), mb.len());
    let mut lcs = vec![vec![0u32; m + 1]; n + 1];
    for i in (0..n).rev() {
        for j in (0..m).rev() {
            lcs[i][j] = if ma[i] == mb[j] { lcs[i + 1][j + 1] + 1 } else { lcs[i + 1][j].max(lcs[i][j + 1]) };
        }
    }
    let mut out: Vec<Line<'a>> = a[..head].iter().map(|l| Line::Same(l)).collect();
    let (mut i, mut j) = (0, 0);
    while i < n || j < m {
        if i < n && j < m && ma[i] == mb[j] {
            out.push(Line::Same(ma[i]));
            i += 1;
            j += 1;
        } else if i < n && (j == m || lcs[i + 1][j] >= lcs[i][j + 1]) {
            out.push(Line::Removed(ma[i]));
            i += 1;
        } else {
            out.push(Line::Added(mb[j]));
            j += 1;
        }
    }
    out.extend(a[a.len() - tail..].iter().map(|l| Line::Same(l)));
    out
}

/// Changed lines with `context` lines around them; `…` marks skipped stretches.
pub fn render_diff(lines: &[Line<'_>], context: usize, color: bool) -> String {
    let changed: Vec<usize> =
        lines.iter().enumerate().filter(|(_, l)| !matches!(l, Line::Same(_))).map(|(i, _)| i).collect();
    let near = |i: usize| changed.iter().any(|c| c.abs_diff(i) <= context);
    let paint = |code: &str, t: String| if color { format!("\x1b[{code}m{t}\x1b[0m") } else { t };
    let mut out = String::new();
    let mut skipped = false;
    for (i, l) in lines.iter().enumerate() {
        if !near(i) {
            skipped = true;
            continue;
        }
        if skipped {
            out.push_str("    …\n");
            skipped = false;
        }
        let _ = match l {
            Line::Same(t) => writeln!(out, "      {t}"),
            Line::Removed(t) => writeln!(out, "{}", paint("31", format!("    - {t}"))),
            Line::Added(t) => writeln!(out, "{}", paint("32", format!("    + {t}"))),
        };
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_changed_line_shows_as_removed_then_added_with_context() {
        let old = "a\nb\nc\nd\ne\nf\ng";
        let new = "a\nb\nc\nD\ne\nf\ng";
        let d = line_diff(old, new);
        assert!(d.contains(&Line::Removed("d")) && d.contains(&Line::Added("D")));
        let text = render_diff(&d, 1, false);
        assert_eq!(text, "    …\n      c\n    - d\n    + D\n      e\n");
    }

    #[test]
    fn identical_texts_have_no_changes() {
        assert!(line_diff("x\ny", "x\ny").iter().all(|l| matches!(l, Line::Same(_))));
        assert_eq!(render_diff(&line_diff("x\ny", "x\ny"), 2, false), "");
    }

    #[test]
    fn insertions_and_deletions_at_the_ends_are_found() {
        let d = line_diff("a\nb", "z\na\nb\nc");
        assert_eq!(d, vec![Line::Added("z"), Line::Same("a"), Line::Same("b"), Line::Added("c")]);
    }
}
