//! Latency histograms and the two outputs of every scenario: a human summary
//! on stderr and one JSON line on stdout.

use hdrhistogram::Histogram;
use serde_json::Value;

/// Microsecond latencies, 1 µs .. 60 s at 3 significant digits.
pub fn histogram() -> Histogram<u64> {
    Histogram::new_with_bounds(1, 60_000_000, 3).expect("constant bounds are valid")
}

/// p50/p95/p99/max in milliseconds.
pub fn percentiles(h: &Histogram<u64>) -> Value {
    let ms = |us: u64| (us as f64) / 1000.0;
    serde_json::json!({
        "p50_ms": ms(h.value_at_quantile(0.50)),
        "p95_ms": ms(h.value_at_quantile(0.95)),
        "p99_ms": ms(h.value_at_quantile(0.99)),
        "max_ms": ms(h.max()),
        "samples": h.len(),
    })
}

/// Prints the summary and the JSON line.
pub fn emit(scenario: &str, human: &str, mut json: Value) {
    eprintln!("== {scenario}\n{human}");
    json["scenario"] = Value::String(scenario.to_owned());
    println!("{json}");
}

/// Clock ticks per second of `/proc/<pid>/stat`. `libc` is not a dependency
/// to ask `sysconf(_SC_CLK_TCK)`; Linux has reported 100 (USER_HZ) on every
/// architecture it runs this on.
const CLOCK_TICKS_PER_SEC: f64 = 100.0;

/// A process's CPU time so far (user + system), in seconds: far less
/// sensitive to a shared machine than latency.
pub fn cpu_seconds(pid: u32) -> anyhow::Result<f64> {
    use anyhow::Context;
    let stat =
        std::fs::read_to_string(format!("/proc/{pid}/stat")).context("read /proc/<pid>/stat")?;
    // The command name (field 2) may hold spaces and parentheses: count the
    // fields after its closing one. utime and stime are fields 14 and 15.
    let rest = stat
        .rsplit_once(')')
        .context("malformed /proc/<pid>/stat")?
        .1;
    let mut fields = rest.split_whitespace().skip(11);
    let mut ticks = || -> anyhow::Result<u64> {
        fields
            .next()
            .and_then(|f| f.parse().ok())
            .context("utime/stime not found in /proc/<pid>/stat")
    };
    let (utime, stime) = (ticks()?, ticks()?);
    Ok((utime + stime) as f64 / CLOCK_TICKS_PER_SEC)
}

/// Reads the server's CPU time around a measured phase, when its pid is known.
pub struct CpuMeter {
    pid: Option<u32>,
    start: f64,
}

impl CpuMeter {
    pub fn start(pid: Option<u32>) -> anyhow::Result<Self> {
        let start = pid.map(cpu_seconds).transpose()?.unwrap_or(0.0);
        Ok(Self { pid, start })
    }

    /// CPU seconds since `start`, or None without a pid.
    pub fn stop(&self) -> anyhow::Result<Option<f64>> {
        Ok(self
            .pid
            .map(cpu_seconds)
            .transpose()?
            .map(|now| now - self.start))
    }
}

/// CPU seconds and µs per unit of work, for the JSON line (nulls without a
/// pid) and the human summary (empty without one).
pub fn cpu(seconds: Option<f64>, units: u64, unit: &str) -> (Value, String) {
    match seconds {
        Some(s) => {
            let per = s * 1e6 / units.max(1) as f64;
            (
                serde_json::json!({ "server_cpu_s": s, format!("server_cpu_us_per_{unit}"): per }),
                format!("server CPU {s:.2} s, {per:.1} µs per {unit}"),
            )
        }
        None => (serde_json::json!({}), String::new()),
    }
}

/// Adds the fields of the object `extra` to the object `target`.
pub fn merge(target: &mut Value, extra: Value) {
    if let (Some(target), Value::Object(extra)) = (target.as_object_mut(), extra) {
        target.extend(extra);
    }
}
