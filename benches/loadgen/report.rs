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
