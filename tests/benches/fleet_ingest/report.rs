//! The Markdown tables: ingest (plane, bare, ratio), scale (memory, saves, start) and growth
//! with the member count (per member, and its ratio between the largest and smallest count).

use std::fmt::Write as _;
use std::time::Duration;

use upsight_store::MAX_FILE_BYTES;

use crate::load::Window;
use crate::phases::{Growth, Ingest, Scale, State};
use crate::state::{Persisted, SaveOutcome};
use crate::{CONNECTIONS, INGEST_MEMBERS, MEMBER_COUNTS, SAVE_WINDOW, SCALE_MEMBERS, WARMUP};

pub(crate) fn markdown(ingest: &Ingest, scale: &Scale, state: &State, window: Duration) -> String {
    let mut tables = String::new();
    ingest_table(&mut tables, ingest, window);
    tables.push('\n');
    let growth = scale_table(&mut tables, scale, state);
    let mut out = String::new();
    aims(&mut out, ingest, &growth);
    out.push_str(&tables);
    out
}

/// The `AIM|` rows `scripts/bench` collects: ingest beside the bare handler (the aim:
/// at least half), the other load during both windows (what decides the ratio on a shared
/// machine), and per-member growth from 1 000 to 100 000 members.
fn aims(out: &mut String, ingest: &Ingest, growth: &[(String, Option<f64>)]) {
    let (plane, bare) = (&ingest.plane, &ingest.bare);
    if bare.rate() > 0.0 {
        let ratio = plane.rate() / bare.rate();
        let _ = writeln!(
            out,
            "AIM|Fleet ingest, state saved, beside a bare axum handler|{ratio:.2}× ({:.0} vs {:.0} heartbeats/s; other load {:.2} / {:.2} CPUs)|aim ≥ 0.5×: {}|",
            plane.rate(),
            bare.rate(),
            plane.other_cores(),
            bare.other_cores(),
            if ratio >= 0.5 { "met" } else { "missed" }
        );
    }
    let faster: Vec<String> = growth
        .iter()
        .filter_map(|(name, r)| r.filter(|r| *r > 1.25).map(|r| format!("{name} {r:.2}×")))
        .collect();
    let worst = growth
        .iter()
        .filter_map(|(_, r)| *r)
        .fold(0.0_f64, f64::max);
    let _ = writeln!(
        out,
        "AIM|Plane per-member cost, {SCALE_MEMBERS} vs {} members (memory, copy, save, open, file)|worst {worst:.2}×|linear or better: {}|",
        MEMBER_COUNTS[0],
        if faster.is_empty() {
            "met".to_owned()
        } else {
            format!("missed by {}", faster.join(", "))
        }
    );
}

fn ingest_table(out: &mut String, ingest: &Ingest, window: Duration) {
    let _ = writeln!(
        out,
        "Heartbeat ingest: {INGEST_MEMBERS} members, {CONNECTIONS} keep-alive connections, \
         {} s warm-up then {} s measured per server, {}-byte bodies (2 devices).\n",
        WARMUP.as_secs(),
        window.as_secs(),
        ingest.body_bytes
    );
    let _ = writeln!(
        out,
        "| Server | Heartbeats/s | p50 | p99 | max | non-204 | server CPU / request | \
         client CPU / request | other load (CPUs) |\n|---|---|---|---|---|---|---|---|---|"
    );
    let (plane, in_memory) = (&ingest.plane, &ingest.in_memory);
    let (hardened, bare) = (&ingest.hardened, &ingest.bare);
    row(out, "`upsight fleet`, state saved", plane);
    row(out, "`upsight fleet`, in memory (no saver)", in_memory);
    row(out, "axum handler in `upsight-http` layers", hardened);
    row(out, "bare axum handler (read body, 204)", bare);
    ratio_row(out, "saved / bare", plane, bare);
    ratio_row(out, "in memory / bare", in_memory, bare);
    ratio_row(out, "layers / bare", hardened, bare);
    let _ = writeln!(
        out,
        "\nRegistering the {INGEST_MEMBERS} members took {} ({:.0} registrations/s).",
        ms(ingest.register),
        INGEST_MEMBERS as f64 / ingest.register.as_secs_f64()
    );
}

fn ratio_row(out: &mut String, name: &str, a: &Window, b: &Window) {
    let ratio = |a: f64, b: f64| {
        if b > 0.0 {
            format!("{:.2}×", a / b)
        } else {
            "n/a".to_owned()
        }
    };
    let at = |w: &Window, p| w.percentile(p).as_secs_f64();
    let _ = writeln!(
        out,
        "| {name} | **{}** | {} | {} | {} | | {} | | |",
        ratio(a.rate(), b.rate()),
        ratio(at(a, 50.0), at(b, 50.0)),
        ratio(at(a, 99.0), at(b, 99.0)),
        ratio(at(a, 100.0), at(b, 100.0)),
        ratio(
            a.server_cpu_per_request().as_secs_f64(),
            b.server_cpu_per_request().as_secs_f64()
        ),
    );
}

fn row(out: &mut String, name: &str, w: &Window) {
    let errors = if w.errors.is_empty() {
        "0".to_owned()
    } else {
        let by_status: Vec<String> = w.errors.iter().map(|(s, n)| format!("{n}× {s}")).collect();
        by_status.join(", ")
    };
    let _ = writeln!(
        out,
        "| {name} | {:.0} | {} | {} | {} | {errors} | {} | {} | {:.2} |",
        w.rate(),
        ms(w.percentile(50.0)),
        ms(w.percentile(99.0)),
        ms(w.percentile(100.0)),
        us(w.server_cpu_per_request()),
        us(w.client_cpu_per_request()),
        w.other_cores(),
    );
}

fn scale_table(out: &mut String, scale: &Scale, state: &State) -> Vec<(String, Option<f64>)> {
    let _ = writeln!(
        out,
        "| Measurement ({SCALE_MEMBERS} members, 2 devices each) | Result | Notes |\n|---|---|---|"
    );
    plane_rows(out, scale);
    state_rows(out, state);
    out.push('\n');
    growth_table(out, scale, state)
}

/// The plane process at [`SCALE_MEMBERS`]: filling it, its memory, ingest while it saves.
fn plane_rows(out: &mut String, scale: &Scale) {
    let n = SCALE_MEMBERS;
    let rate = |d: Duration| n as f64 / d.as_secs_f64();
    let _ = writeln!(
        out,
        "| Register {n} members ({CONNECTIONS} connections) | {:.0}/s | {} in all; the saver \
         runs meanwhile |",
        rate(scale.register),
        ms(scale.register)
    );
    let _ = writeln!(
        out,
        "| One heartbeat from each member | {:.0}/s | {} in all |",
        rate(scale.heartbeat_once),
        ms(scale.heartbeat_once)
    );
    let (rss, hwm) = largest(&scale.saved);
    let _ = writeln!(
        out,
        "| Plane VmRSS / VmHWM after that, 5 s idle | **{} / {}** | goal: under 300 MiB |",
        mib(rss),
        mib(hwm)
    );
    let (rss, hwm) = largest(&scale.in_memory);
    let _ = writeln!(
        out,
        "| The same without `state_dir` (no saver), VmRSS / VmHWM | {} / {} | registry, \
         limiters and HTTP alone |",
        mib(rss),
        mib(hwm)
    );
    let w = &scale.saving;
    let (written, failed) = scale.saves;
    let _ = writeln!(
        out,
        "| Heartbeat ingest at {n} members, saver busy ({} s) | {:.0}/s, p50 {}, p99 **{}**, \
         max {} | saves in the window: {written} written, {failed} failed; {} non-204 |",
        SAVE_WINDOW.as_secs(),
        w.rate(),
        ms(w.percentile(50.0)),
        ms(w.percentile(99.0)),
        ms(w.percentile(100.0)),
        w.error_count()
    );
    let (rss, hwm) = scale.memory_after;
    let _ = writeln!(
        out,
        "| Plane VmRSS / VmHWM after that load, 5 s idle | {} / {} | |",
        mib(rss),
        mib(hwm)
    );
}

/// VmRSS and VmHWM at the largest member count.
fn largest(growth: &Growth) -> (u64, u64) {
    growth.at.last().map_or((0, 0), |(_, memory)| *memory)
}

/// In-process costs at [`SCALE_MEMBERS`], and the binary's start on the saved file.
fn state_rows(out: &mut String, state: &State) {
    let (register, heartbeat, parse, body) = state.calls;
    let _ = writeln!(
        out,
        "| In process, per call: `Registry::register` / `Registry::heartbeat` / parse + \
         validate a {body}-byte heartbeat | {} / {} / {} | the two registry calls run under \
         the plane's lock |",
        us(register),
        us(heartbeat),
        us(parse)
    );
    if let Some((members, start, rss)) = state.start {
        let _ = writeln!(
            out,
            "| `upsight fleet` start to first `/readyz` 200, {members} members | {} | median \
             of 3; VmRSS when ready {} |",
            ms(start),
            mib(rss)
        );
    }
}

/// Memory, state copy, save, load and file size at each member count, per member, and the
/// ratio of the per-member costs at the largest and the smallest count.
fn growth_table(out: &mut String, scale: &Scale, state: &State) -> Vec<(String, Option<f64>)> {
    let _ = writeln!(
        out,
        "Growth with the member count (2 devices each). Per member: the figure divided by the \
         members; for memory, the growth over the empty plane.\n\n\
         | Measurement | Members | Result | Per member |\n|---|---|---|---|"
    );
    let mut ratios = Vec::new();
    for (name, growth) in [
        ("Plane VmRSS / VmHWM, state saved", &scale.saved),
        ("Plane VmRSS / VmHWM, no `state_dir`", &scale.in_memory),
    ] {
        let (rss0, hwm0) = growth.empty;
        let _ = writeln!(out, "| {name} | 0 | {} / {} | |", mib(rss0), mib(hwm0));
        let mut per_member = Vec::new();
        for &(n, (rss, hwm)) in &growth.at {
            let per = |now: u64, empty: u64| now.saturating_sub(empty) as f64 / n as f64;
            let (rss_per, hwm_per) = (per(rss, rss0), per(hwm, hwm0));
            let _ = writeln!(
                out,
                "| {name} | {n} | {} / {} | {} / {} |",
                mib(rss),
                mib(hwm),
                bytes(rss_per),
                bytes(hwm_per)
            );
            per_member.push((n, rss_per));
        }
        ratios.push((format!("{name} (VmRSS)"), growth_ratio(&per_member)));
    }
    persisted_rows(out, &state.persisted, &mut ratios);
    let listed: Vec<String> = ratios
        .iter()
        .map(|(name, ratio)| match ratio {
            Some(r) => format!("{name} **{r:.2}×**"),
            None => format!("{name} n/a"),
        })
        .collect();
    let (first, last) = (MEMBER_COUNTS[0], SCALE_MEMBERS);
    let _ = writeln!(
        out,
        "\nPer-member cost at {last} members over that at {first} (1.00× is linear growth; \
         above it, faster than linear): {}.",
        listed.join(", ")
    );
    ratios
}

/// The `FleetState::of`, `Store::save`, `Store::open` and file-size rows, collecting the
/// growth ratio of each.
fn persisted_rows(
    out: &mut String,
    persisted: &[Persisted],
    ratios: &mut Vec<(String, Option<f64>)>,
) {
    let per = |d: Duration, n: usize| d.as_secs_f64() / n.max(1) as f64;
    let mut series: [Vec<(usize, f64)>; 4] = Default::default();
    for p in persisted {
        let m = p.members;
        let _ = writeln!(
            out,
            "| `FleetState::of` (the saver's copy, under the registry lock; median of 3) | {m} \
             | {} | {} |",
            ms(p.snapshot),
            us_f(per(p.snapshot, m))
        );
        series[0].push((m, per(p.snapshot, m)));
        match &p.outcome {
            SaveOutcome::Saved {
                save,
                open,
                file_bytes,
            } => {
                let _ = writeln!(
                    out,
                    "| `Store::save` / `Store::open` (medians of 3) | {m} | **{} / {}** | {} / \
                     {} |",
                    ms(*save),
                    ms(*open),
                    us_f(per(*save, m)),
                    us_f(per(*open, m))
                );
                let _ = writeln!(
                    out,
                    "| State file | {m} | {} | {} |",
                    mib(*file_bytes),
                    bytes(*file_bytes as f64 / m.max(1) as f64)
                );
                series[1].push((m, per(*save, m)));
                series[2].push((m, per(*open, m)));
                series[3].push((m, *file_bytes as f64 / m.max(1) as f64));
            }
            SaveOutcome::TooLarge { size, after } => {
                let _ = writeln!(
                    out,
                    "| `Store::save` | {m} | **refused** after {} | encodes to {} ({} bytes per \
                     member), over the store's {} limit |",
                    ms(*after),
                    mib(*size),
                    size / m.max(1) as u64,
                    mib(MAX_FILE_BYTES)
                );
            }
        }
    }
    let names = [
        "`FleetState::of`",
        "`Store::save`",
        "`Store::open`",
        "state file",
    ];
    for (name, points) in names.into_iter().zip(&series) {
        ratios.push((name.to_owned(), growth_ratio(points)));
    }
}

/// Per-member cost at [`SCALE_MEMBERS`] over that at the smallest of [`MEMBER_COUNTS`].
fn growth_ratio(points: &[(usize, f64)]) -> Option<f64> {
    let at = |n: usize| points.iter().find(|(m, _)| *m == n).map(|(_, v)| *v);
    let (first, last) = (at(MEMBER_COUNTS[0])?, at(SCALE_MEMBERS)?);
    (first > 0.0).then(|| last / first)
}

fn ms(d: Duration) -> String {
    let ms = d.as_secs_f64() * 1e3;
    if ms >= 100.0 {
        format!("{ms:.0} ms")
    } else {
        format!("{ms:.2} ms")
    }
}

fn us(d: Duration) -> String {
    format!("{:.1} µs", d.as_secs_f64() * 1e6)
}

fn us_f(seconds: f64) -> String {
    format!("{:.2} µs", seconds * 1e6)
}

fn bytes(n: f64) -> String {
    if n >= 10_240.0 {
        format!("{:.1} KiB", n / 1024.0)
    } else {
        format!("{n:.0} B")
    }
}

fn mib(bytes: u64) -> String {
    format!("{:.1} MiB", bytes as f64 / (1024.0 * 1024.0))
}
