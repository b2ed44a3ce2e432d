//! Shared pieces of the benchmark tools: timing statistics.

/// Percentiles of a set of durations in microseconds: (p50, p90, p99, max).
pub fn percentiles(mut us: Vec<u64>) -> (u64, u64, u64, u64) {
    if us.is_empty() {
        return (0, 0, 0, 0);
    }
    us.sort_unstable();
    let at = |q: f64| us[((us.len() - 1) as f64 * q).round() as usize];
    (at(0.50), at(0.90), at(0.99), us[us.len() - 1])
}

#[cfg(test)]
mod tests {
    use super::percentiles;

    #[test]
    fn percentiles_pick_the_ranked_values() {
        let v: Vec<u64> = (1..=100).collect();
        assert_eq!(percentiles(v), (51, 90, 99, 100));
        assert_eq!(percentiles(vec![]), (0, 0, 0, 0));
    }
}
