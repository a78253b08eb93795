//! The summary: counts, rate, latency percentiles and histogram, errors by code, bytes; as
//! text for people or JSON for scripts.

use std::fmt::Write as _;
use std::time::Duration;

use connect_engine::Code;
use serde::Serialize;

use crate::load::Tally;

/// Latency percentiles, microseconds.
#[derive(Debug, Serialize)]
pub struct Percentiles {
    /// Median.
    pub p50: u64,
    /// 90th percentile.
    pub p90: u64,
    /// 99th percentile.
    pub p99: u64,
    /// 99.9th percentile.
    pub p999: u64,
    /// Slowest call.
    pub max: u64,
    /// Mean.
    pub mean: f64,
}

/// The summary of a run.
#[derive(Debug, Serialize)]
pub struct Summary {
    /// Measured calls.
    pub calls: u64,
    /// Calls that ended with an error.
    pub errors: u64,
    /// Measured wall time, seconds.
    pub duration_s: f64,
    /// Calls per second.
    pub rate: f64,
    /// Latency of the measured calls, microseconds (open loop: from when each call was due).
    pub latency_us: Percentiles,
    /// Failed calls by Connect code name.
    pub errors_by_code: Vec<(String, u64)>,
    /// One message per failing code.
    pub error_examples: Vec<(String, String)>,
    /// Request message bytes sent.
    pub bytes_sent: u64,
    /// Response message bytes received.
    pub bytes_received: u64,
    /// Response messages received (streams: every message).
    pub messages_received: u64,
    /// Histogram buckets: (upper bound µs, calls).
    pub histogram: Vec<(u64, u64)>,
}

impl Summary {
    /// Summarizes a tally measured over `elapsed`.
    #[must_use]
    pub fn new(t: &Tally, elapsed: Duration) -> Self {
        let h = &t.latency;
        let q = |p: f64| {
            if t.calls == 0 {
                0
            } else {
                h.value_at_quantile(p)
            }
        };
        let errors_by_code: Vec<(String, u64)> = Code::ALL
            .iter()
            .filter(|c| t.errors[usize::from(c.number())] > 0)
            .map(|c| (c.as_str().to_owned(), t.errors[usize::from(c.number())]))
            .collect();
        let duration_s = elapsed.as_secs_f64();
        let mut histogram = Vec::new();
        if t.calls > 0 {
            // Ten buckets between the fastest and the slowest call, log-spaced.
            let (lo, hi) = (h.min().max(1) as f64, h.max().max(1) as f64);
            let mut prev = 0;
            for i in 1..=10 {
                let bound = (lo * (hi / lo).powf(f64::from(i) / 10.0)).ceil() as u64;
                let count = h.count_between(prev + 1, bound.max(prev + 1));
                histogram.push((bound, count));
                prev = bound;
            }
        }
        Summary {
            calls: t.calls,
            errors: t.errors.iter().sum(),
            duration_s,
            rate: if duration_s > 0.0 {
                t.calls as f64 / duration_s
            } else {
                0.0
            },
            latency_us: Percentiles {
                p50: q(0.5),
                p90: q(0.9),
                p99: q(0.99),
                p999: q(0.999),
                max: if t.calls == 0 { 0 } else { h.max() },
                mean: if t.calls == 0 { 0.0 } else { h.mean() },
            },
            errors_by_code,
            error_examples: t
                .examples
                .iter()
                .map(|(c, m)| (c.as_str().to_owned(), m.clone()))
                .collect(),
            bytes_sent: t.bytes_sent,
            bytes_received: t.bytes_received,
            messages_received: t.messages_received,
            histogram,
        }
    }

    /// The summary as text.
    #[must_use]
    pub fn text(&self) -> String {
        let mut s = String::new();
        let ms = |us: u64| us as f64 / 1000.0;
        let _ = writeln!(s, "Summary:");
        let _ = writeln!(s, "  calls:      {} ({} errors)", self.calls, self.errors);
        let _ = writeln!(s, "  duration:   {:.3} s", self.duration_s);
        let _ = writeln!(s, "  rate:       {:.1} calls/s", self.rate);
        let _ = writeln!(
            s,
            "  messages:   {} received; {} bytes sent, {} bytes received",
            self.messages_received, self.bytes_sent, self.bytes_received
        );
        let l = &self.latency_us;
        let _ = writeln!(s, "Latency (ms):");
        let _ = writeln!(
            s,
            "  p50 {:.3}  p90 {:.3}  p99 {:.3}  p99.9 {:.3}  max {:.3}  mean {:.3}",
            ms(l.p50),
            ms(l.p90),
            ms(l.p99),
            ms(l.p999),
            ms(l.max),
            l.mean / 1000.0
        );
        if !self.histogram.is_empty() {
            let _ = writeln!(s, "Histogram (ms):");
            let most = self.histogram.iter().map(|b| b.1).max().unwrap_or(1).max(1);
            for (bound, count) in &self.histogram {
                let bar = "■".repeat((count * 40 / most) as usize);
                let _ = writeln!(s, "  {:>10.3} [{count:>9}] {bar}", ms(*bound));
            }
        }
        if !self.errors_by_code.is_empty() {
            let _ = writeln!(s, "Errors:");
            for (code, n) in &self.errors_by_code {
                let example = self
                    .error_examples
                    .iter()
                    .find(|(c, _)| c == code)
                    .map_or("", |(_, m)| m.as_str());
                let _ = writeln!(s, "  {code}: {n}  (e.g. {example:?})");
            }
        }
        s
    }
}
