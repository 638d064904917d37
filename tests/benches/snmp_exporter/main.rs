//! One device poll by our `SnmpSource` beside one scrape of prometheus-snmp-exporter (Debian's
//! 0.21 binary), in the same run, against the same snmpsim agent and the same OIDs. For each
//! recording and version (v2c, v3 authPriv SHA/AES-128) it reports wall time (median, p90),
//! CPU time, and UDP packets and bytes per poll, plus the ratios ours / snmp_exporter. Nothing
//! here asserts a time; a poll that returns no data is reported as an error row and makes the
//! run fail.
//!
//! How: snmpsim serves two recordings on 127.0.0.1. Each client talks to it through its own
//! counting UDP relay (a thread of this process with its own runtime), so packets and bytes
//! are counted per client on the wire, both directions. Our sources poll once (profile
//! detection), then their plan (`Profile::plan()`) becomes an snmp_exporter module: `get:` the
//! scalars, `walk:` the table columns, so both tools read exactly the same OIDs. Then each tool
//! does N sequential polls (`UPSIGHT_BENCH_SNMP_POLLS`, default 200). CPU is the on-CPU time
//! of every thread over the loop (`/proc/PID/task/*/schedstat`, in ns: `/proc/PID/stat` counts
//! 10 ms ticks, too coarse for a sub-millisecond poll): this process's threads except the
//! relay thread for ours, the snmp_exporter process for theirs.
//!
//! What differs by design: ours is one `Source::poll()` (raw varbinds, no HTTP, no rendering)
//! on a warm session; snmp_exporter's is one HTTP GET of `/snmp` on a fresh TCP connection, and
//! it opens a fresh UDP socket per scrape (and, for v3, rediscovers the engine each time) and
//! renders the exposition.
//!
//! Run with `UPSIGHT_DEVICE_CORPUS=/work/shared/fixtures cargo bench -p upsight-e2e --bench
//! snmp_exporter`. Without the corpus it uses the project's own recordings. Without snmpsim or
//! snmp_exporter it says so and exits non-zero. Markdown goes to stdout, progress to stderr.

#![allow(clippy::print_stdout)] // the table on stdout is this bench's output

mod case;
mod comparison;
mod cpu;
mod exporter;
mod measurement;
mod module;
mod relay;
mod report;

use std::process::ExitCode;

use crate::comparison::run;

fn main() -> ExitCode {
    match run() {
        Ok(true) => ExitCode::SUCCESS,
        Ok(false) => {
            eprintln!("snmp_exporter bench: at least one measurement is broken (ERROR rows above)");
            ExitCode::FAILURE
        }
        Err(error) => {
            eprintln!("snmp_exporter bench: {error:#}");
            ExitCode::FAILURE
        }
    }
}
