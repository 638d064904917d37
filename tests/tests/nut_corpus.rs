//! Real upsd 2.8 + dummy-ups serving every device file (the project's own fixtures, plus the
//! real-device corpus in `UPSIGHT_DEVICE_CORPUS` when present): the exporter's values must
//! equal each file's values in SI units.

#![allow(clippy::unwrap_used)] // test helpers may panic: a panic is a test failure

use std::path::{Path, PathBuf};
use std::time::Duration;

use upsight_e2e::exporter::Exporter;
use upsight_e2e::scrape::Samples;
use upsight_e2e::upsd::{DeviceFile, Upsd};
use upsight_model::StatusFlag;
use upsight_proto::nut::parse_number;
use upsight_sim::Device;

fn device_files() -> Vec<PathBuf> {
    let own = Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures/nut");
    let mut files: Vec<PathBuf> = list(&own, "dev");
    match upsight_e2e::device_corpus() {
        Some(corpus) => {
            let found = list(&corpus.join("nut-ddl"), "dev");
            eprintln!(
                "device corpus: {} files from {}",
                found.len(),
                corpus.display()
            );
            assert!(
                !found.is_empty(),
                "UPSIGHT_DEVICE_CORPUS has no nut-ddl/*.dev files"
            );
            files.extend(found);
        }
        None => eprintln!(
            "NOTE: UPSIGHT_DEVICE_CORPUS is not set or absent: checking only the project's own {} fixtures",
            files.len()
        ),
    }
    files
}

fn list(dir: &Path, ext: &str) -> Vec<PathBuf> {
    let mut out: Vec<PathBuf> = std::fs::read_dir(dir)
        .map(|rd| rd.filter_map(Result::ok).map(|e| e.path()).collect())
        .unwrap_or_default();
    out.retain(|p| p.extension().is_some_and(|e| e == ext));
    out.sort();
    out
}

/// dummy-ups mis-parses `key:` lines with no value (real-peers.md, gotcha 8): drop them.
fn clean(text: &str) -> String {
    text.lines()
        .filter(|l| l.trim_start().starts_with('#') || !l.trim_end().ends_with(':'))
        .map(|l| format!("{l}\n"))
        .collect()
}

struct Expected {
    file: PathBuf,
    name: String,
    vars: Vec<(String, String)>,
}

impl Expected {
    fn get(&self, var: &str) -> Option<f64> {
        let value = self
            .vars
            .iter()
            .rev()
            .find(|(k, _)| k == var)
            .map(|(_, v)| v.as_str())?;
        parse_number(value)
    }

    /// dummy-ups serves `OL` when a file sets no (or an empty) `ups.status`.
    fn status(&self) -> Vec<String> {
        let text = self
            .vars
            .iter()
            .rev()
            .find(|(k, _)| k == "ups.status")
            .map(|(_, v)| v.as_str());
        let text = text.filter(|t| !t.trim().is_empty()).unwrap_or("OL");
        text.split_whitespace().map(str::to_owned).collect()
    }
}

fn close(a: f64, b: f64) -> bool {
    (a - b).abs() <= 1e-9 * a.abs().max(b.abs()).max(1.0)
}

/// Every mismatch between one device's scrape and its file, as readable lines.
fn mismatches(e: &Expected, s: &Samples) -> Vec<String> {
    let mut out = Vec::new();
    let ups = [("ups", e.name.as_str())];
    let mut check = |metric: &str, want: Option<f64>| {
        let got = s.get(metric, &ups);
        let same = match (want, got) {
            (Some(w), Some(g)) => close(w, g),
            (None, None) => true,
            _ => false,
        };
        if !same {
            out.push(format!(
                "{metric}: file says {want:?}, exporter says {got:?}"
            ));
        }
    };
    check("ups_up", Some(1.0));
    check(
        "ups_battery_charge_ratio",
        e.get("battery.charge").map(|v| v / 100.0),
    );
    check("ups_battery_runtime_seconds", e.get("battery.runtime"));
    check("ups_input_voltage_volts", e.get("input.voltage"));
    check("ups_load_ratio", e.get("ups.load").map(|v| v / 100.0));
    check("ups_apparent_power_voltamperes", e.get("ups.power"));
    let estimated = match (e.get("ups.realpower.nominal"), e.get("ups.load")) {
        (Some(n), Some(l)) => Some((n * l / 100.0 * 1e6).round() / 1e6),
        _ => None,
    };
    check("ups_real_power_watts", e.get("ups.realpower").or(estimated));
    let tokens = e.status();
    for flag in &StatusFlag::KNOWN {
        let want = if tokens.iter().any(|t| t == flag.as_str()) {
            1.0
        } else {
            0.0
        };
        let got = s.get(
            "ups_status",
            &[("ups", e.name.as_str()), ("flag", flag.as_str())],
        );
        if got != Some(want) {
            out.push(format!(
                "ups_status{{flag={flag}}}: file says {want}, exporter says {got:?}"
            ));
        }
    }
    let others = tokens
        .iter()
        .filter(|t| matches!(StatusFlag::parse(t), StatusFlag::Other(_)))
        .count();
    if s.get("ups_status_other", &ups) != Some(others as f64) {
        out.push(format!("ups_status_other: want {others}"));
    }
    out
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_device_file_reads_correctly_through_real_upsd() {
    let files = device_files();
    let mut devices = Vec::new();
    let mut expected = Vec::new();
    for (i, file) in files.iter().enumerate() {
        let text = clean(&std::fs::read_to_string(file).unwrap());
        let vars = Device::parse(&text)
            .unwrap_or_else(|e| panic!("{}: {e}", file.display()))
            .vars;
        let name = format!("d{i:02}");
        devices.push(DeviceFile {
            name: name.clone(),
            text,
            extension: "dev",
        });
        expected.push(Expected {
            file: file.clone(),
            name,
            vars,
        });
    }
    let Some(upsd) = Upsd::start(&devices, 15).await.unwrap() else {
        return;
    };
    let config = format!(
        "interval = \"1s\"\n[[nut]]\naddress = \"{}\"\n",
        upsd.address()
    );
    let exporter = Exporter::start(&config).await.unwrap();
    let all_up = |s: &Samples| {
        expected
            .iter()
            .all(|e| s.get("ups_up", &[("ups", &e.name)]) == Some(1.0))
    };
    let samples = exporter
        .wait_for(Duration::from_secs(30), "every device up", all_up)
        .await
        .unwrap();
    let mut report = Vec::new();
    for e in &expected {
        for m in mismatches(e, &samples) {
            report.push(format!("{} ({}): {m}", e.file.display(), e.name));
        }
    }
    assert!(
        report.is_empty(),
        "{} mismatches:\n{}",
        report.len(),
        report.join("\n")
    );
    eprintln!(
        "checked {} devices against real upsd, 0 mismatches",
        expected.len()
    );
}
