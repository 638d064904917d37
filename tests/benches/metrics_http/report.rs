//! The Markdown report, and the `AIM|` rows `scripts/bench` puts in the summary.

use std::fmt::Write as _;
use std::time::Duration;

use crate::inproc::Render;
use crate::{CpuHour, Http};

/// The aim: `/metrics` within 2× of the memory-serving ceiling at 1 000 UPSes.
const AIM_COUNT: usize = 1_000;

pub(crate) fn markdown(renders: &[Render], http: &[Http], cpu: &CpuHour) -> String {
    let mut out = String::new();
    aims(&mut out, renders, http, cpu);
    server_time(&mut out, renders);
    over_http(&mut out, http);
    memory(&mut out, http);
    cpu_hour(&mut out, cpu);
    out
}

/// The in-process table alone (`UPSIGHT_BENCH_RENDER_ONLY`).
pub(crate) fn render_only(renders: &[Render]) -> String {
    let mut out = String::new();
    server_time(&mut out, renders);
    out
}

fn aims(out: &mut String, renders: &[Render], http: &[Http], cpu: &CpuHour) {
    if let Some(h) = http.iter().find(|h| h.count == AIM_COUNT) {
        let ratio = h.exporter_many.per_second / h.ceiling_many.per_second;
        let _ = writeln!(
            out,
            "AIM|/metrics at {} UPSes, wrk -c16, beside the memory-serving ceiling|{:.2}× ({:.0} vs {:.0} req/s)|aim ≥ 0.5× (within 2×): {}|",
            thousands(AIM_COUNT),
            ratio,
            h.exporter_many.per_second,
            h.ceiling_many.per_second,
            verdict(ratio >= 0.5)
        );
    }
    if let Some(large) = renders.last() {
        // Against the cheapest smaller count, not the smallest: fixed costs flatter a
        // comparison with 10 UPSes.
        let cheapest = renders[..renders.len() - 1]
            .iter()
            .min_by(|a, b| per_ups(a.miss, a.count).total_cmp(&per_ups(b.miss, b.count)));
        if let Some(base) = cheapest {
            let growth = per_ups(large.miss, large.count) / per_ups(base.miss, base.count);
            let _ = writeln!(
                out,
                "AIM|Render per UPS, {} UPSes vs the cheapest smaller count ({})|{growth:.2}×|linear or better (≤ 1.25×, noise aside): {}|",
                thousands(large.count),
                thousands(base.count),
                verdict(growth <= 1.25)
            );
        }
        let most = renders.iter().map(|r| r.hit_allocations).max().unwrap_or(0);
        let _ = writeln!(
            out,
            "AIM|Allocations of a cached scrape, 10 to {} UPSes|at most {most}|none per sample once warm: {}|",
            thousands(large.count),
            verdict(renders.iter().all(|r| r.hit_allocations == most))
        );
    }
    if let (Some(first), Some(large)) = (http.first(), http.last()) {
        let per = |h: &Http| {
            h.rss_after.saturating_sub(first.rss_after) as f64 / (h.count - first.count) as f64
        };
        let cheapest = http[1..http.len() - 1]
            .iter()
            .map(per)
            .fold(f64::INFINITY, f64::min);
        let growth = per(large) / cheapest;
        let _ = writeln!(
            out,
            "AIM|Exporter memory per UPS, {} UPSes vs the cheapest smaller count|{:.1} KiB ({growth:.2}×)|linear or better (≤ 1.25×): {}|",
            thousands(large.count),
            per(large) / 1024.0,
            verdict(growth.is_finite() && growth <= 1.25)
        );
    }
    let _ = writeln!(
        out,
        "AIM|CPU of an exporter watching 10 UPSes at the default 5 s, scraped every 15 s|{:.1} CPU-s per hour|{:.3}% of one core|",
        per_hour(cpu),
        per_hour(cpu) / 36.0
    );
}

fn server_time(out: &mut String, renders: &[Render]) {
    out.push_str(
        "### /metrics: server time per scrape (in process)\n\n\
         | UPSes | Bytes | Samples | After a poll: render | per UPS | allocations | per sample | Cached: scrape | allocations |\n\
         |---|---|---|---|---|---|---|---|---|\n",
    );
    for r in renders {
        let _ = writeln!(
            out,
            "| {} | {} | {} | {} | {} | {} | {:.3} | {} | {} |",
            thousands(r.count),
            thousands(r.bytes),
            thousands(r.samples),
            time(r.miss),
            time(Duration::from_secs_f64(per_ups(r.miss, r.count))),
            thousands(r.miss_allocations),
            r.miss_allocations as f64 / r.samples as f64,
            time(r.hit),
            r.hit_allocations,
        );
    }
    out.push('\n');
}

fn over_http(out: &mut String, http: &[Http]) {
    out.push_str(
        "### /metrics over HTTP beside the memory-serving ceiling\n\n\
         | UPSes | Bytes | Server | wrk -c16 req/s (2 s up to 100 UPSes, else 5 s) | p50 | p99 | CPU per scrape | wrk -c1 req/s (3 s) | p50 |\n\
         |---|---|---|---|---|---|---|---|---|\n",
    );
    for h in http {
        for (label, many, one) in [
            ("`upsight exporter`", &h.exporter_many, &h.exporter_one),
            ("ceiling", &h.ceiling_many, &h.ceiling_one),
        ] {
            let _ = writeln!(
                out,
                "| {} | {} | {label} | {:.0} | {} | {} | {} | {:.0} | {} |",
                thousands(h.count),
                thousands(h.bytes),
                many.per_second,
                time(many.p50),
                time(many.p99),
                time(cpu_per_request(many)),
                one.per_second,
                time(one.p50),
            );
        }
        let _ = writeln!(
            out,
            "| {} | | exporter / ceiling | **{:.2}×** | {:.2}× | {:.2}× | {:.2}× | **{:.2}×** | {:.2}× |",
            thousands(h.count),
            h.exporter_many.per_second / h.ceiling_many.per_second,
            ratio(h.exporter_many.p50, h.ceiling_many.p50),
            ratio(h.exporter_many.p99, h.ceiling_many.p99),
            ratio(
                cpu_per_request(&h.exporter_many),
                cpu_per_request(&h.ceiling_many)
            ),
            h.exporter_one.per_second / h.ceiling_one.per_second,
            ratio(h.exporter_one.p50, h.ceiling_one.p50),
        );
    }
    out.push('\n');
}

fn memory(out: &mut String, http: &[Http]) {
    out.push_str(
        "### Exporter memory and poll against UPS count\n\n\
         | UPSes | VmRSS idle | VmRSS after wrk, 3 s idle | VmHWM | per UPS over 10 UPSes | Poll of all UPSes |\n\
         |---|---|---|---|---|---|\n",
    );
    let base = http.first().map(|h| (h.count, h.rss_after));
    for h in http {
        let per = match base {
            Some((count, rss)) if h.count > count => format!(
                "{:.1} KiB",
                h.rss_after.saturating_sub(rss) as f64 / (h.count - count) as f64 / 1024.0
            ),
            _ => String::new(),
        };
        let _ = writeln!(
            out,
            "| {} | {} | {} | {} | {per} | {} |",
            thousands(h.count),
            mib(h.rss_idle),
            mib(h.rss_after),
            mib(h.hwm),
            h.poll
                .map(|s| time(Duration::from_secs_f64(s)))
                .unwrap_or_else(|| "n/a".into()),
        );
    }
    out.push('\n');
}

fn cpu_hour(out: &mut String, cpu: &CpuHour) {
    let _ = writeln!(
        out,
        "### CPU per hour\n\n\
         The exporter watching 10 UPSes at the default interval (5 s), scraped {} times (every 15 s) \
         over {:.0} s: {:.2} CPU-s used, **{:.1} CPU-seconds per hour** ({:.3}% of one core); \
         VmRSS {} at the end.\n",
        cpu.scrapes,
        cpu.window.as_secs_f64(),
        cpu.cpu.as_secs_f64(),
        per_hour(cpu),
        per_hour(cpu) / 36.0,
        mib(cpu.rss),
    );
}

fn per_hour(cpu: &CpuHour) -> f64 {
    cpu.cpu.as_secs_f64() * 3600.0 / cpu.window.as_secs_f64()
}

fn per_ups(time: Duration, count: usize) -> f64 {
    time.as_secs_f64() / count as f64
}

fn cpu_per_request(wrk: &crate::Wrk) -> Duration {
    wrk.server_cpu / u32::try_from(wrk.requests.max(1)).unwrap_or(u32::MAX)
}

fn ratio(a: Duration, b: Duration) -> f64 {
    a.as_secs_f64() / b.as_secs_f64().max(1e-9)
}

fn verdict(is_met: bool) -> &'static str {
    if is_met { "met" } else { "missed" }
}

fn mib(bytes: u64) -> String {
    format!("{:.1} MiB", bytes as f64 / (1024.0 * 1024.0))
}

fn time(d: Duration) -> String {
    let s = d.as_secs_f64();
    if s >= 1.0 {
        format!("{s:.2} s")
    } else if s >= 1e-3 {
        format!("{:.2} ms", s * 1e3)
    } else {
        format!("{:.1} µs", s * 1e6)
    }
}

fn thousands(n: usize) -> String {
    let digits = n.to_string();
    let mut out = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(' ');
        }
        out.push(c);
    }
    out
}
