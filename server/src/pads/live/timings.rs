//! Where live edits spend their time on this instance: waiting for their room, storing, and how
//! many edits each commit carried. Cheap enough to keep always (a few atomic additions per
//! edit); the pad benchmark prints it, so a slow figure can be traced to its phase.

use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

/// Counts per bucket: values below 8 have their own bucket, above that each power of two is
/// split in four, so a percentile read back is within a quarter of the true value.
const BUCKETS: usize = 4 * 64;

pub struct Histogram {
    buckets: [AtomicU64; BUCKETS],
    count: AtomicU64,
    max: AtomicU64,
}

impl Default for Histogram {
    fn default() -> Self {
        Self {
            buckets: std::array::from_fn(|_| AtomicU64::new(0)),
            count: AtomicU64::new(0),
            max: AtomicU64::new(0),
        }
    }
}

fn bucket_of(value: u64) -> usize {
    if value < 8 {
        return value as usize;
    }
    let octave = 63 - value.leading_zeros() as usize;
    let quarter = ((value >> (octave - 2)) & 3) as usize;
    octave * 4 + quarter
}

/// The smallest value that falls in `bucket`.
fn floor_of(bucket: usize) -> u64 {
    if bucket < 8 {
        return bucket as u64;
    }
    // 8 to 11 stay empty: 8 is where the split powers of two start.
    if bucket < 12 {
        return 8;
    }
    let (octave, quarter) = (bucket / 4, (bucket % 4) as u64);
    (1 << octave) | (quarter << (octave - 2))
}

impl Histogram {
    pub fn record(&self, value: u64) {
        self.buckets[bucket_of(value)].fetch_add(1, Ordering::Relaxed);
        self.count.fetch_add(1, Ordering::Relaxed);
        self.max.fetch_max(value, Ordering::Relaxed);
    }

    pub fn record_duration(&self, elapsed: Duration) {
        self.record(elapsed.as_micros().min(u64::MAX as u128) as u64);
    }

    pub fn count(&self) -> u64 {
        self.count.load(Ordering::Relaxed)
    }

    pub fn max(&self) -> u64 {
        self.max.load(Ordering::Relaxed)
    }

    /// The value `p` (0 to 1) of the recorded ones are at or below, to within a quarter.
    pub fn percentile(&self, p: f64) -> u64 {
        let count = self.count();
        if count == 0 {
            return 0;
        }
        let rank = ((count as f64 * p).ceil() as u64).max(1);
        let mut seen = 0;
        for (bucket, counted) in self.buckets.iter().enumerate() {
            seen += counted.load(Ordering::Relaxed);
            if seen >= rank {
                return floor_of(bucket).min(self.max());
            }
        }
        self.max()
    }

    fn durations(&self) -> String {
        let ms = |us: u64| us as f64 / 1_000.0;
        format!(
            "p50={:.2}ms p99={:.2}ms max={:.2}ms",
            ms(self.percentile(0.50)),
            ms(self.percentile(0.99)),
            ms(self.max())
        )
    }
}

/// The phases of a live edit on this instance, in microseconds.
#[derive(Default)]
pub struct EditTimings {
    /// From the edit's arrival to holding its room (other edits of the pad, joins, catch-ups).
    pub room_wait: Histogram,
    /// Storing: waiting for a batch and its commit (or the statement, among instances).
    pub storing: Histogram,
    /// Edits committed together, one sample per commit.
    pub edits_per_commit: Histogram,
    /// Writing one batch, from its first statement to its commit's end.
    pub batch_writing: Histogram,
}

impl EditTimings {
    /// One line for people: each phase's percentiles and the commits' sizes.
    pub fn summary(&self) -> String {
        format!(
            "{} edits; waiting for the room {}; storing {} (of which writing the batch {}); {} commits of p50={} p99={} max={} edits",
            self.storing.count(),
            self.room_wait.durations(),
            self.storing.durations(),
            self.batch_writing.durations(),
            self.edits_per_commit.count(),
            self.edits_per_commit.percentile(0.50),
            self.edits_per_commit.percentile(0.99),
            self.edits_per_commit.max(),
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn percentiles_read_back_within_a_quarter() {
        let histogram = Histogram::default();
        for value in 1..=1_000 {
            histogram.record(value);
        }
        for (p, exact) in [(0.5, 500.0), (0.9, 900.0), (0.99, 990.0)] {
            let read = histogram.percentile(p) as f64;
            assert!(
                read <= exact && read >= exact * 0.75,
                "p{p}: {read} for {exact}"
            );
        }
        assert!((750..=1_000).contains(&histogram.percentile(1.0)));
        assert_eq!(histogram.max(), 1_000);
        assert_eq!(Histogram::default().percentile(0.99), 0);
    }

    #[test]
    fn every_value_has_a_bucket_that_starts_at_or_below_it() {
        for value in [
            0,
            1,
            3,
            4,
            5,
            7,
            8,
            9,
            11,
            12,
            16,
            1_000,
            u32::MAX as u64,
            u64::MAX,
        ] {
            let bucket = bucket_of(value);
            assert!(bucket < BUCKETS);
            assert!(floor_of(bucket) <= value);
            assert!(bucket + 1 == BUCKETS || floor_of(bucket + 1) > value);
        }
    }
}
