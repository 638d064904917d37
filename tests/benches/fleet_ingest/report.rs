//! The Markdown tables: ingest (plane, bare, ratio) and scale (memory, saves, start).

use std::fmt::Write as _;
use std::time::Duration;

use upsight_store::MAX_FILE_BYTES;

use crate::load::Window;
use crate::phases::{Ingest, Scale, State};
use crate::state::{Persisted, SaveOutcome};
use crate::{CONNECTIONS, INGEST_MEMBERS, SAVE_WINDOW, SCALE_MEMBERS, WARMUP};

pub(crate) fn markdown(ingest: &Ingest, scale: &Scale, state: &State, window: Duration) -> String {
    let mut out = String::new();
    ingest_table(&mut out, ingest, window);
    out.push('\n');
    scale_table(&mut out, scale, state);
    out
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

fn scale_table(out: &mut String, scale: &Scale, state: &State) {
    let _ = writeln!(
        out,
        "| Measurement ({SCALE_MEMBERS} members, 2 devices each) | Result | Notes |\n|---|---|---|"
    );
    plane_rows(out, scale);
    state_rows(out, state);
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
    let (rss, hwm) = scale.memory;
    let _ = writeln!(
        out,
        "| Plane VmRSS / VmHWM after that, 5 s idle | **{} / {}** | goal: under 300 MiB |",
        mib(rss),
        mib(hwm)
    );
    let (rss, hwm) = scale.in_memory;
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

/// In-process costs, save and load, and the binary's start on the saved file.
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
    for persisted in &state.persisted {
        persisted_rows(out, persisted);
    }
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

fn persisted_rows(out: &mut String, p: &Persisted) {
    let m = p.members;
    let _ = writeln!(
        out,
        "| `FleetState::of`, {m} members (the saver's copy, taken under the registry lock) | \
         {} | median of 3; ingest waits this long once per save |",
        ms(p.snapshot)
    );
    match &p.outcome {
        SaveOutcome::Saved {
            save,
            open,
            file_bytes,
        } => {
            let _ = writeln!(
                out,
                "| `Store::save` / `Store::open`, {m} members | **{} / {}** | medians of 3; \
                 file {} |",
                ms(*save),
                ms(*open),
                mib(*file_bytes)
            );
        }
        SaveOutcome::TooLarge { size, after } => {
            let _ = writeln!(
                out,
                "| `Store::save`, {m} members | **refused** after {} | encodes to {} \
                 ({} bytes per member), over the store's {} limit |",
                ms(*after),
                mib(*size),
                size / m.max(1) as u64,
                mib(MAX_FILE_BYTES)
            );
        }
    }
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

fn mib(bytes: u64) -> String {
    format!("{:.1} MiB", bytes as f64 / (1024.0 * 1024.0))
}
