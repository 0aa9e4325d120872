//! What the benchmarks print: percentiles of measured durations.

use std::time::Duration;

/// The sample at fraction `p` (0 to 1) of `sorted` (nearest rank); zero when there is none.
pub fn percentile(sorted: &[Duration], p: f64) -> Duration {
    if sorted.is_empty() {
        return Duration::ZERO;
    }
    sorted[((sorted.len() as f64 - 1.0) * p).round() as usize]
}
