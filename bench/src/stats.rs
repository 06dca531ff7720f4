//! Pure helpers: percentiles, durations in wrk's notation, and wrk's report.

use serde::Serialize;

/// Nearest-rank percentile (`p` in 0..=100) of `sorted` (ascending); `None` when empty.
pub fn percentile(sorted: &[f64], p: f64) -> Option<f64> {
    if sorted.is_empty() {
        return None;
    }
    let rank = ((p / 100.0) * sorted.len() as f64).ceil() as usize;
    Some(sorted[rank.clamp(1, sorted.len()) - 1])
}

/// A duration as wrk prints it (`812.00us`, `4.31ms`, `1.02s`, `2.00m`, `1.00h`), in milliseconds.
pub fn parse_wrk_duration_ms(s: &str) -> Option<f64> {
    let s = s.trim();
    let split = s.find(|c: char| c.is_ascii_alphabetic())?;
    let (num, unit) = s.split_at(split);
    let v: f64 = num.parse().ok()?;
    let factor = match unit {
        "us" => 0.001,
        "ms" => 1.0,
        "s" => 1000.0,
        "m" => 60_000.0,
        "h" => 3_600_000.0,
        _ => return None,
    };
    Some(v * factor)
}

/// What `wrk --latency` reports for one run.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct WrkResult {
    pub p50_ms: Option<f64>,
    pub p75_ms: Option<f64>,
    pub p90_ms: Option<f64>,
    pub p99_ms: Option<f64>,
    pub avg_ms: Option<f64>,
    pub max_ms: Option<f64>,
    pub requests: u64,
    pub requests_per_sec: f64,
    /// Responses with a status other than 2xx/3xx.
    pub non_2xx: u64,
    /// connect + read + write errors.
    pub socket_errors: u64,
    /// Requests that did not answer within wrk's --timeout (left out of the latencies).
    pub timeouts: u64,
}

/// Parse wrk's text output (with `--latency`).
pub fn parse_wrk(out: &str) -> anyhow::Result<WrkResult> {
    let mut r = WrkResult::default();
    let mut in_dist = false;
    let mut saw_rps = false;
    for line in out.lines() {
        let t = line.trim();
        let words: Vec<&str> = t.split_whitespace().collect();
        if t.starts_with("Latency Distribution") {
            in_dist = true;
            continue;
        }
        if in_dist {
            if let [pct, v] = words.as_slice() {
                if let Some(p) = pct.strip_suffix('%') {
                    let ms = parse_wrk_duration_ms(v);
                    match p {
                        "50" => r.p50_ms = ms,
                        "75" => r.p75_ms = ms,
                        "90" => r.p90_ms = ms,
                        "99" => r.p99_ms = ms,
                        _ => {}
                    }
                    continue;
                }
            }
            in_dist = false;
        }
        if words.first() == Some(&"Latency") && words.len() >= 4 {
            r.avg_ms = parse_wrk_duration_ms(words[1]);
            r.max_ms = parse_wrk_duration_ms(words[3]);
        } else if t.starts_with("Requests/sec:") {
            r.requests_per_sec = words.get(1).and_then(|v| v.parse().ok()).ok_or_else(|| anyhow::anyhow!("cannot read `{t}`"))?;
            saw_rps = true;
        } else if t.starts_with("Non-2xx or 3xx responses:") {
            r.non_2xx = words.last().and_then(|v| v.parse().ok()).unwrap_or(0);
        } else if let Some(rest) = t.strip_prefix("Socket errors:") {
            // "connect 0, read 0, write 0, timeout 12"
            for part in rest.split(',') {
                let kv: Vec<&str> = part.split_whitespace().collect();
                if let [k, v] = kv.as_slice() {
                    let n: u64 = v.parse().unwrap_or(0);
                    if *k == "timeout" {
                        r.timeouts = n;
                    } else {
                        r.socket_errors += n;
                    }
                }
            }
        } else if words.len() >= 3 && words[1] == "requests" && words[2] == "in" {
            r.requests = words[0].parse().unwrap_or(0);
        }
    }
    anyhow::ensure!(saw_rps, "wrk printed no `Requests/sec:` line; its output was:\n{out}");
    Ok(r)
}

impl WrkResult {
    /// The `p`th percentile of all requests sent, counting the ones that did not
    /// answer within wrk's timeout (which wrk leaves out of its own percentiles):
    /// `None` when more than (100 − p)% did not answer — the percentile is then
    /// above the timeout. No completed request at all: `None` too.
    pub fn percentile_ms(&self, p: f64) -> Option<f64> {
        let measured = match p as u32 {
            50 => self.p50_ms,
            75 => self.p75_ms,
            90 => self.p90_ms,
            99 => self.p99_ms,
            _ => None,
        };
        if self.requests == 0 {
            return None;
        }
        let unanswered = self.timeouts as f64 / (self.requests + self.timeouts) as f64;
        if unanswered > (100.0 - p) / 100.0 {
            return None;
        }
        measured
    }
}

/// `a / b` when both are known and `b > 0`.
pub fn ratio(a: Option<f64>, b: Option<f64>) -> Option<f64> {
    match (a, b) {
        (Some(a), Some(b)) if b > 0.0 => Some(a / b),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nearest_rank_percentiles() {
        let v: Vec<f64> = (1..=100).map(f64::from).collect();
        assert_eq!(percentile(&v, 50.0), Some(50.0));
        assert_eq!(percentile(&v, 99.0), Some(99.0));
        assert_eq!(percentile(&v, 100.0), Some(100.0));
        assert_eq!(percentile(&v, 0.0), Some(1.0));
        assert_eq!(percentile(&[7.0], 99.0), Some(7.0));
        assert_eq!(percentile(&[1.0, 2.0, 3.0], 50.0), Some(2.0));
        assert_eq!(percentile(&[], 50.0), None);
    }

    #[test]
    fn wrk_durations() {
        assert_eq!(parse_wrk_duration_ms("812.00us"), Some(0.812));
        assert_eq!(parse_wrk_duration_ms("4.31ms"), Some(4.31));
        assert_eq!(parse_wrk_duration_ms("1.50s"), Some(1500.0));
        assert_eq!(parse_wrk_duration_ms("2.00m"), Some(120_000.0));
        assert_eq!(parse_wrk_duration_ms("abc"), None);
        assert_eq!(parse_wrk_duration_ms("12"), None);
    }

    const WRK: &str = "Running 10s test @ http://127.0.0.1:40121/api/v1/workload?gemeente=GM0344
  2 threads and 50 connections
  Thread Stats   Avg      Stdev     Max   +/- Stdev
    Latency    12.52ms    3.10ms  61.78ms   88.12%
    Req/Sec     2.01k   150.33     2.40k    71.00%
  Latency Distribution
     50%   11.98ms
     75%   13.40ms
     90%   15.71ms
     99%   24.09ms
  40012 requests in 10.01s, 1.52GB read
  Socket errors: connect 0, read 2, write 0, timeout 7
  Non-2xx or 3xx responses: 3
Requests/sec:   3997.21
Transfer/sec:    155.40MB
";

    #[test]
    fn wrk_report() {
        let r = parse_wrk(WRK).unwrap();
        assert_eq!(r.p50_ms, Some(11.98));
        assert_eq!(r.p75_ms, Some(13.40));
        assert_eq!(r.p90_ms, Some(15.71));
        assert_eq!(r.p99_ms, Some(24.09));
        assert_eq!(r.avg_ms, Some(12.52));
        assert_eq!(r.max_ms, Some(61.78));
        assert_eq!(r.requests, 40012);
        assert_eq!(r.requests_per_sec, 3997.21);
        assert_eq!(r.non_2xx, 3);
        assert_eq!(r.socket_errors, 2);
        assert_eq!(r.timeouts, 7);
    }

    #[test]
    fn wrk_microseconds_and_no_errors() {
        let out = "  Latency Distribution\n     50%  512.00us\n     75%  700.00us\n     90%    1.10ms\n     99%    2.00s\n  100 requests in 1.00s, 1.00KB read\nRequests/sec:    100.00\n";
        let r = parse_wrk(out).unwrap();
        assert_eq!(r.p50_ms, Some(0.512));
        assert_eq!(r.p99_ms, Some(2000.0));
        assert_eq!((r.non_2xx, r.socket_errors, r.timeouts), (0, 0, 0));
    }

    #[test]
    fn wrk_without_summary_is_an_error() {
        let e = parse_wrk("unable to connect to 127.0.0.1:1 Connection refused").unwrap_err();
        assert!(e.to_string().contains("Requests/sec"), "{e}");
    }

    #[test]
    fn timeouts_push_percentiles_above_the_timeout() {
        let mut r = parse_wrk(WRK).unwrap();
        // 7 timeouts of 40019: 0.02%, p99 stands.
        assert_eq!(r.percentile_ms(99.0), Some(24.09));
        r.timeouts = 1000; // 2.4% unanswered: p99 is above the timeout, p50 stands
        assert_eq!(r.percentile_ms(99.0), None);
        assert_eq!(r.percentile_ms(50.0), Some(11.98));
        r.requests = 0;
        r.timeouts = 0;
        assert_eq!(r.percentile_ms(50.0), None);
    }

    #[test]
    fn ratios() {
        assert_eq!(ratio(Some(10.0), Some(4.0)), Some(2.5));
        assert_eq!(ratio(Some(10.0), Some(0.0)), None);
        assert_eq!(ratio(None, Some(1.0)), None);
    }
}
