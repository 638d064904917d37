#!/usr/bin/env python3
"""The soak run behind scripts/soak: real release binaries on 127.0.0.1 under scenario churn.

Processes: two `upsight sim` NUT servers (one with outage loops, one that is frozen, killed and
restarted), one `upsight fleet` plane, one `upsight exporter` that watches both simulators and
heartbeats to the plane. A client drives churn for the whole run: runtime devices added and
removed through the admin API (some pointing at a closed port), 40 fake members registering,
heartbeating, going silent and registering again, and readers scraping /metrics, the
dashboard, the API and the fleet UI. Every 10 s it samples the exporter's and the plane's RSS
and open file descriptors. At the end it compares the first and last fifths of the samples
(after a warm-up) and exits 1 on drift beyond the bounds, a dead process or a panic in a log.

Loopback only; every loop ends with the run. Standard library only.
"""

import http.client
import json
import os
import secrets
import signal
import socket
import statistics
import subprocess
import sys
import time
from pathlib import Path

MINUTES = float(os.environ.get("UPSIGHT_SOAK_MINUTES", "30"))
BIN = os.environ.get("UPSIGHT_BIN", "target/release/upsight")
OUT = Path(os.environ.get("UPSIGHT_SOAK_DIR", "target/soak"))
SAMPLE_EVERY = 10.0
# Drift bounds between the first and last fifth of the run (medians of each).
RSS_DRIFT_MB = 8.0
FD_DRIFT = 4

OUTAGE_SEQ = """ups.status: OL
battery.charge: 100
battery.runtime: 1800
ups.load: 30
ups.realpower: 250
TIMER 40
ups.status: OB DISCHRG
battery.charge: 80
battery.runtime: 900
TIMER 20
ups.status: OB DISCHRG LB
battery.charge: 15
battery.runtime: 120
TIMER 10
ups.status: OL CHRG
battery.charge: 40
battery.runtime: 600
TIMER 30
"""

STEADY_DEV = """ups.status: OL
battery.charge: 100
battery.runtime: 2400
ups.load: 20
ups.realpower: 180
device.mfr: Soak
device.model: Steady 1500
"""


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def request(port, method, path, token=None, body=None, timeout=5.0):
    """One HTTP exchange on 127.0.0.1; (status, body) or (None, error text)."""
    try:
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
        headers = {"Host": "127.0.0.1"}
        if token:
            headers["Authorization"] = f"Bearer {token}"
        data = None
        if body is not None:
            data = json.dumps(body).encode()
            headers["Content-Type"] = "application/json"
        conn.request(method, path, body=data, headers=headers)
        reply = conn.getresponse()
        text = reply.read().decode("utf-8", "replace")
        conn.close()
        return reply.status, text
    except (OSError, http.client.HTTPException) as error:
        return None, str(error)


def proc_sample(pid):
    """(RSS in MB, open descriptors) of a live process."""
    rss_kb = 0
    with open(f"/proc/{pid}/status") as status:
        for line in status:
            if line.startswith("VmRSS:"):
                rss_kb = int(line.split()[1])
    fds = len(os.listdir(f"/proc/{pid}/fd"))
    return rss_kb / 1024.0, fds


class Run:
    def __init__(self, root: Path):
        self.root = root
        self.procs = {}
        self.logs = {}

    def start(self, name, args):
        log = open(self.root / f"{name}.log", "ab")
        self.logs[name] = self.root / f"{name}.log"
        env = {k: v for k, v in os.environ.items() if not k.startswith("UPSIGHT_")}
        env["RUST_LOG"] = "info"
        self.procs[name] = subprocess.Popen(
            [BIN, *args], stdout=subprocess.DEVNULL, stderr=log, env=env
        )
        return self.procs[name]

    def stop_all(self):
        for proc in self.procs.values():
            if proc.poll() is None:
                proc.send_signal(signal.SIGCONT)  # a frozen simulator cannot act on SIGTERM
                proc.send_signal(signal.SIGTERM)
        deadline = time.time() + 10
        for proc in self.procs.values():
            try:
                proc.wait(timeout=max(0.1, deadline - time.time()))
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()


def wait_ready(port, what):
    deadline = time.time() + 30
    while time.time() < deadline:
        if request(port, "GET", "/healthz", timeout=1)[0] == 200:
            return
        time.sleep(0.1)
    sys.exit(f"soak: the {what} did not answer /healthz on 127.0.0.1:{port} within 30 s")


def heartbeat_body(group, identity, lease, n):
    on_battery = n % 7 == 0
    return {
        "version": 1,
        "identity": identity,
        "lease": lease,
        "group": group,
        "software_version": "0.1.0",
        "uptime_seconds": n * 5,
        "sent_at_unix": int(time.time()),
        "devices": [
            {
                "name": "ups-1",
                "source": "nut",
                "is_up": True,
                "is_stale": False,
                "status": ["OB", "DISCHRG"] if on_battery else ["OL"],
                "charge_ratio": 0.5 if on_battery else 1.0,
                "runtime_seconds": 600.0,
                "load_ratio": 0.3,
                "real_power_watts": 120.0,
                "last_transfer_unix": None,
            }
        ],
    }


def main():
    # SIGTERM (or Ctrl-C) ends the run through `finally`, which stops every child process.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    if not Path(BIN).is_file():
        sys.exit(f"soak: {BIN} not found; build it with `cargo build --release`")
    stamp = time.strftime("%Y%m%dT%H%M%SZ", time.gmtime())
    root = OUT / stamp
    (root / "state-exporter").mkdir(parents=True)
    (root / "state-fleet").mkdir()
    (root / "outage.seq").write_text(OUTAGE_SEQ)
    (root / "steady.dev").write_text(STEADY_DEV)
    (root / "backup.dev").write_text(STEADY_DEV)

    viewer, admin, ingest, fleet_viewer = (secrets.token_hex(24) for _ in range(4))
    sim_a, sim_b, plane_port, exporter_port = (free_port() for _ in range(4))
    closed_port = free_port()  # nothing listens here: devices on it are down
    (root / "fleet.toml").write_text(
        f'listen = "127.0.0.1:{plane_port}"\nstate_dir = "{root / "state-fleet"}"\n'
        'heartbeat_interval = "5s"\nttl = "15s"\nmax_members = 1000\n'
        f'[tokens]\ningest = "{ingest}"\nviewer = "{fleet_viewer}"\n'
        "[http]\nrate_limit_per_minute = 60000\nrate_limit_burst = 10000\n"
        "heartbeat_limit_per_minute = 600\nheartbeat_limit_burst = 100\n"
    )
    (root / "exporter.toml").write_text(
        f'listen = "127.0.0.1:{exporter_port}"\ninterval = "2s"\n'
        f'state_dir = "{root / "state-exporter"}"\n'
        f'[http]\nviewer_token = "{viewer}"\nadmin_token = "{admin}"\n'
        "rate_limit_per_minute = 60000\nrate_limit_burst = 10000\n"
        f'[[nut]]\naddress = "127.0.0.1:{sim_a}"\nprefix = "a-"\n'
        f'[[nut]]\naddress = "127.0.0.1:{sim_b}"\nprefix = "b-"\n'
        f'[fleet]\nurl = "http://127.0.0.1:{plane_port}"\ngroup = "soak-site"\n'
        f'token = "{ingest}"\nscrape_target = "127.0.0.1:{exporter_port}"\n'
    )

    run = Run(root)
    try:
        run.start("sim-a", ["sim", "--listen", f"127.0.0.1:{sim_a}", str(root / "outage.seq"),
                            str(root / "steady.dev")])
        sim_b_args = ["sim", "--listen", f"127.0.0.1:{sim_b}", str(root / "backup.dev")]
        run.start("sim-b", sim_b_args)
        plane = run.start("fleet", ["fleet", "--config", str(root / "fleet.toml")])
        wait_ready(plane_port, "plane")
        exporter = run.start("exporter", ["exporter", "--config", str(root / "exporter.toml")])
        wait_ready(exporter_port, "exporter")
        print(f"soak: {MINUTES:g} min, files in {root}", flush=True)

        members = {f"fake-{i:02d}": None for i in range(40)}  # identity -> lease
        sent = {"hb": 0, "reg": 0, "dev": 0, "reads": 0, "errors": 0}
        refused = {}  # answer kind -> count, for the report
        samples = []
        start = time.time()
        end = start + MINUTES * 60
        next_sample = start
        tick = 0
        sim_b_state = "running"
        while time.time() < end:
            tick += 1
            now = time.time()
            minute = int((now - start) // 60)

            # Faults on sim-b, on a 60 s cycle: frozen 15 s (a tarpit upsd), killed at 30 s
            # and restarted at 40 s (a restarting upsd).
            phase = (now - start) % 60
            proc_b = run.procs["sim-b"]
            if 10 <= phase < 25 and sim_b_state == "running":
                proc_b.send_signal(signal.SIGSTOP)
                sim_b_state = "frozen"
            elif 25 <= phase < 30 and sim_b_state == "frozen":
                proc_b.send_signal(signal.SIGCONT)
                sim_b_state = "running"
            elif 30 <= phase < 40 and sim_b_state == "running":
                proc_b.kill()
                proc_b.wait()
                sim_b_state = "dead"
            elif phase >= 40 and sim_b_state == "dead":
                run.start("sim-b", sim_b_args)
                sim_b_state = "running"

            # Runtime devices: add one every 3 s, remove the oldest beyond 6; every fourth
            # points at a port where nothing listens.
            if tick % 3 == 0:
                n = tick // 3
                port = closed_port if n % 4 == 0 else sim_a
                body = {"name": f"rt-{n}", "nut": {"address": f"127.0.0.1:{port}",
                                                   "prefix": f"rt{n}-"}}
                status, _ = request(exporter_port, "POST", "/api/v1/devices", admin, body)
                sent["dev"] += 1
                sent["errors"] += status != 201
                if n > 6:
                    status, _ = request(exporter_port, "DELETE", f"/api/v1/devices/rt-{n - 6}",
                                        admin)
                    sent["errors"] += status != 204

            # Fake members: each heartbeats about every 5 s; a third go silent for a minute
            # in turn (stale, then down); lost or refused leases register again.
            for i, (identity, lease) in enumerate(members.items()):
                if (tick + i) % 5 != 0 or (i % 3 == minute % 3 and minute % 2 == 1):
                    continue
                if lease is None:
                    reg = {"version": 1, "identity": identity, "group": f"soak-{i % 4}",
                           "software_version": "0.1.0",
                           "scrape_target": f"127.0.0.1:{10000 + i}", "lease": None}
                    status, text = request(plane_port, "POST", "/api/v1/register", ingest, reg)
                    sent["reg"] += 1
                    if status == 200:
                        members[identity] = json.loads(text)["lease"]
                    else:
                        sent["errors"] += 1
                        key = f"register {status}: {text[:120]}"
                        refused[key] = refused.get(key, 0) + 1
                    continue
                body = heartbeat_body(f"soak-{i % 4}", identity, lease, tick)
                status, text = request(plane_port, "POST", "/api/v1/heartbeat", ingest, body)
                sent["hb"] += 1
                if status is None or not 200 <= status < 300:
                    sent["errors"] += 1
                    key = f"heartbeat {status}: {text[:120]}"
                    refused[key] = refused.get(key, 0) + 1
                if status == 404:
                    members[identity] = None  # forgotten: register again

            # Readers: Prometheus-like scrapes, the dashboard, the API and the fleet UI.
            for port, path, token in (
                (exporter_port, "/metrics", None),
                (exporter_port, "/", viewer),
                (exporter_port, "/api/v1/devices", viewer),
                (exporter_port, "/api/v1/events", viewer),
                (plane_port, "/api/v1/fleet", fleet_viewer),
                (plane_port, "/", fleet_viewer),
                (plane_port, "/metrics", fleet_viewer),
            ):
                status, _ = request(port, "GET", path, token)
                sent["reads"] += 1
                if status != 200:
                    sent["errors"] += 1

            for name in ("exporter", "fleet"):
                if run.procs[name].poll() is not None:
                    sys.exit(f"soak: the {name} exited with {run.procs[name].returncode}")

            if now >= next_sample:
                next_sample += SAMPLE_EVERY
                ex_rss, ex_fds = proc_sample(exporter.pid)
                pl_rss, pl_fds = proc_sample(plane.pid)
                samples.append((now - start, ex_rss, ex_fds, pl_rss, pl_fds))
                with open(root / "samples.csv", "a") as csv:
                    if len(samples) == 1:
                        csv.write("seconds,exporter_rss_mb,exporter_fds,plane_rss_mb,plane_fds\n")
                    csv.write("%.0f,%.2f,%d,%.2f,%d\n" % samples[-1])
            time.sleep(max(0.0, 1.0 - (time.time() - now)))
        if sim_b_state == "frozen":
            run.procs["sim-b"].send_signal(signal.SIGCONT)
    finally:
        run.stop_all()

    return report(root, samples, sent, refused, run)


def report(root, samples, sent, refused, run):
    failures = []
    for name, path in run.logs.items():
        text = path.read_text(errors="replace")
        if "panicked" in text:
            failures.append(f"{name} panicked (see {path})")
    # Warm-up: the first fifth (allocators, caches and the members' first registrations).
    fifth = max(1, len(samples) // 5)
    first, last = samples[fifth:2 * fifth], samples[-fifth:]
    if len(samples) < 10:
        failures.append(f"only {len(samples)} samples: run longer (UPSIGHT_SOAK_MINUTES)")
        first = last = samples
    rows = []
    for column, label, bound in ((1, "exporter RSS MB", RSS_DRIFT_MB), (2, "exporter fds", FD_DRIFT),
                                 (3, "plane RSS MB", RSS_DRIFT_MB), (4, "plane fds", FD_DRIFT)):
        a = statistics.median(s[column] for s in first)
        b = statistics.median(s[column] for s in last)
        peak = max(s[column] for s in samples)
        rows.append((label, a, b, b - a, peak, bound))
        if b - a > bound:
            failures.append(f"{label} drifted by {b - a:.1f} (bound {bound})")
    lines = [
        f"soak: {len(samples)} samples over {samples[-1][0] / 60 if samples else 0:.1f} min; "
        f"{sent['hb']} heartbeats, {sent['reg']} registrations, {sent['dev']} device adds, "
        f"{sent['reads']} reads, {sent['errors']} non-2xx answers (faults and restarts can cause some)",
        "| measure | early median | late median | drift | peak | bound |",
        "|---|---:|---:|---:|---:|---:|",
    ]
    for label, a, b, d, peak, bound in rows:
        lines.append(f"| {label} | {a:.1f} | {b:.1f} | {d:+.1f} | {peak:.1f} | {bound} |")
    for kind, count in sorted(refused.items(), key=lambda kv: -kv[1])[:10]:
        lines.append(f"- {count} x {kind}")
    text = "\n".join(lines)
    print(text)
    (root / "report.md").write_text(text + "\n")
    if failures:
        print("soak FAILED: " + "; ".join(failures), file=sys.stderr)
        return 1
    print(f"soak passed; samples in {root / 'samples.csv'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
