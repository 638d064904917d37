//! The SNMP source against real snmpsim (Debian's snmpsimd) on 127.0.0.1: every UPS
//! recording read over v2c and v3 authPriv decodes to the values worked out by hand from the
//! recording; a PDU is not taken for a UPS; a device flipped with snmpset shows OB on the next
//! poll; broken devices fail alone, with a reason, and no credential reaches any log line.

use std::io::Write as _;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use upsight_e2e::exporter::Exporter;
use upsight_e2e::snmp_expected::{EXPECTED, Expected, NOT_UPS};
use upsight_e2e::snmpsim::{self, Snmpsim};
use upsight_exporter::config::Config;
use upsight_exporter::mapping::{self, MappingError};
use upsight_exporter::source::snmp::SnmpSource;
use upsight_exporter::source::{DevicePoll, Source};
use upsight_model::{FailureReason, Reading, Source as SourceKind};

/// The project's own recordings (written for these tests), always served.
const OWN: &[(&str, &[u8])] = &[
    (
        "own-eaton-xups",
        include_bytes!("../fixtures/snmp/own-eaton-xups.snmprec"),
    ),
    (
        "own-cyberpower",
        include_bytes!("../fixtures/snmp/own-cyberpower.snmprec"),
    ),
    (
        "own-ups-mib-3phase",
        include_bytes!("../fixtures/snmp/own-ups-mib-3phase.snmprec"),
    ),
    (
        "own-apc",
        include_bytes!("../fixtures/snmp/own-apc.snmprec"),
    ),
    (
        "own-apc-pdu",
        include_bytes!("../fixtures/snmp/own-apc-pdu.snmprec"),
    ),
];

/// Expected readings of the own recordings, worked out by hand from the files above.
const OWN_EXPECTED: &[Expected] = &[
    Expected {
        recording: "own-apc",
        profile: "apc",
        status: "OL",
        vars: &[
            ("battery.charge", "98.7"), // upsHighPrecBatteryCapacity 987 (0.1 %) beats Adv 100
            ("battery.runtime", "2520"), // upsAdvBatteryRunTimeRemaining TimeTicks 252000 / 100
            ("battery.temperature", "27.3"), // HighPrec 273 (0.1 °C) beats Adv 27
            ("battery.voltage", "54.5"), // HighPrec actual voltage 545 (0.1 V)
            ("input.voltage", "229.3"), // upsHighPrecInputLineVoltage 2293
            ("input.frequency", "50"),  // upsHighPrecInputFrequency 500
            ("output.voltage", "230"),  // upsHighPrecOutputVoltage 2300
            ("output.frequency", "50"),
            ("ups.load", "24.3"),      // upsHighPrecOutputLoad 243
            ("output.current", "2.6"), // upsHighPrecOutputCurrent 26
            ("device.model", "Smart-UPS 1500 RM"),
            ("ups.firmware", "UPS 09.3 (ID18)"),
            ("device.uptime", "1234567"), // sysUpTime TimeTicks 123456700
        ],
    },
    Expected {
        recording: "own-eaton-xups",
        profile: "eaton-xups",
        status: "OL",
        vars: &[
            ("battery.runtime", "1830"), // xupsBatTimeRemaining seconds beats UPS-MIB 30 min
            ("battery.voltage", "72"),
            ("battery.charge", "97"),
            ("input.frequency", "49.9"), // xupsInputFrequency 499 (0.1 Hz)
            ("input.voltage", "231"),    // one input phase: whole-device name
            ("input.current", "4"),
            ("input.realpower", "820"),
            ("ups.load", "32"),
            ("output.frequency", "50"),
            ("output.voltage", "230"),
            ("output.current", "3"),
            ("output.realpower", "760"),
            ("device.model", "9PX 3000"),
        ],
    },
    Expected {
        recording: "own-cyberpower",
        profile: "cyberpower",
        status: "OL TRIM", // upsBaseOutputStatus onBuck(10)
        vars: &[
            ("battery.charge", "100"),
            ("battery.voltage", "13.7"), // 137 (0.1 V)
            ("battery.temperature", "31"),
            ("battery.runtime", "3360"), // TimeTicks 336000 / 100
            ("input.voltage", "235.4"),  // 2354 (0.1 VAC)
            ("input.frequency", "50"),   // 500 (0.1 Hz)
            ("output.voltage", "230"),
            ("output.frequency", "50"),
            ("ups.load", "17"),
            ("output.current", "1.5"), // 15 (0.1 A)
            ("device.model", "OR1500ELCDRM1U"),
        ],
    },
    Expected {
        recording: "own-ups-mib-3phase",
        profile: "ups-mib",
        status: "OL",
        vars: &[
            ("battery.runtime", "2520"), // upsEstimatedMinutesRemaining 42 × 60
            ("battery.charge", "100"),
            ("battery.voltage", "218.4"), // 2184 (0.1 V)
            ("battery.current", "-1.2"),  // -12 (0.1 A)
            ("battery.temperature", "24"),
            ("input.frequency", "50"), // line 1: 500 (0.1 Hz)
            ("input.L1-N.voltage", "231"),
            ("input.L2-N.voltage", "229"),
            ("input.L3-N.voltage", "232"),
            ("input.L1.current", "10.5"), // 105 (0.1 A)
            ("input.L3.current", "11.2"),
            ("input.L2.realpower", "2150"),
            ("output.frequency", "50"),
            ("output.L1-N.voltage", "230"),
            ("output.L3-N.voltage", "231"),
            ("output.L2.current", "9"), // 90 (0.1 A)
            ("output.L3.realpower", "2300"),
            ("output.L3.power.percent", "34"),
            ("ups.load", "34"),        // max of 31, 29, 34
            ("ups.realpower", "6350"), // 2100 + 1950 + 2300
            ("input.voltage.nominal", "230"),
            ("output.frequency.nominal", "50"),
            ("ups.power.nominal", "20000"),
            ("ups.realpower.nominal", "18000"),
            ("device.mfr", "Generic Power"),
            ("device.model", "GP-3P-20K"),
        ],
    },
];

fn recordings() -> Vec<(String, Vec<u8>)> {
    let mut all: Vec<(String, Vec<u8>)> = OWN
        .iter()
        .map(|(n, b)| ((*n).to_owned(), b.to_vec()))
        .collect();
    match upsight_e2e::device_corpus() {
        Some(dir) => {
            all.extend(snmpsim::recordings_in(&dir.join("snmprec")).expect("read the corpus"))
        }
        None => {
            eprintln!("UPSIGHT_DEVICE_CORPUS not set: checking the project's own recordings only")
        }
    }
    all
}

fn expected() -> Vec<&'static Expected> {
    let has_corpus = upsight_e2e::device_corpus().is_some();
    OWN_EXPECTED
        .iter()
        .chain(EXPECTED.iter().filter(|_| has_corpus))
        .collect()
}

fn not_ups() -> Vec<&'static str> {
    let mut out = vec!["own-apc-pdu"];
    if upsight_e2e::device_corpus().is_some() {
        out.extend(NOT_UPS.iter().copied());
    }
    out
}

/// How a test reaches a recording.
#[derive(Debug, Clone, Copy)]
enum Access {
    V2c,
    V1,
    /// snmpsim user `upsmon`: SHA-1 / AES-128.
    V3Sha1Aes128,
    /// snmpsim user `upsmon256`: SHA-256 / AES-256.
    V3Sha256Aes256,
}

fn device_toml(name: &str, endpoint: &str, recording: &str, access: Access, extra: &str) -> String {
    let credentials = match access {
        Access::V2c => format!("community = \"{recording}\""),
        Access::V1 => format!("version = \"1\"\ncommunity = \"{recording}\""),
        Access::V3Sha1Aes128 => format!(
            "version = \"3\"\nusername = \"upsmon\"\nauth_password = \"authpass123\"\npriv_password = \"privpass123\"\ncontext = \"{recording}\""
        ),
        Access::V3Sha256Aes256 => format!(
            "version = \"3\"\nusername = \"upsmon256\"\nauth_protocol = \"SHA-256\"\nauth_password = \"authpass256\"\npriv_protocol = \"AES-256\"\npriv_password = \"privpass256\"\ncontext = \"{recording}\""
        ),
    };
    format!("[[snmp]]\nname = \"{name}\"\naddress = \"{endpoint}\"\n{credentials}\n{extra}\n")
}

fn source(endpoint: &str, recording: &str, access: Access) -> SnmpSource {
    let text = format!(
        "interval = \"5s\"\n{}",
        device_toml("dev", endpoint, recording, access, "")
    );
    let config = Config::parse(&text, &|_| None).expect("valid config");
    SnmpSource::new(config.snmp[0].clone())
}

async fn read(endpoint: &str, recording: &str, access: Access) -> Result<Reading, String> {
    let mut source = source(endpoint, recording, access);
    let polls: Vec<DevicePoll> = source
        .poll()
        .await
        .map_err(|e| format!("{:?}: {e}", e.reason))?;
    let raw = polls
        .into_iter()
        .next()
        .ok_or("no device polled")?
        .result
        .map_err(|e| format!("{:?}: {e}", e.reason))?;
    mapping::map(raw).map_err(|e| match e {
        MappingError::NotAUps(m) => format!("not a UPS: {m}"),
        MappingError::Waiting => "waiting".to_owned(),
    })
}

fn check(expected: &Expected, reading: &Reading, how: &str) -> Vec<String> {
    let mut problems = Vec::new();
    let who = format!("{} over {how}", expected.recording);
    if reading.source != SourceKind::Snmp {
        problems.push(format!("{who}: source is {:?}", reading.source));
    }
    let status = reading
        .raw
        .iter()
        .find(|(n, _)| n == "ups.status")
        .map(|(_, v)| v.as_str());
    if status != Some(expected.status) {
        problems.push(format!(
            "{who}: ups.status {status:?}, expected {:?}",
            expected.status
        ));
    }
    if reading.info.driver != format!("snmp-{}", expected.profile) {
        problems.push(format!(
            "{who}: driver {:?}, expected profile {}",
            reading.info.driver, expected.profile
        ));
    }
    for (var, want) in expected.vars {
        let got = reading
            .raw
            .iter()
            .find(|(n, _)| n == var)
            .map(|(_, v)| v.as_str());
        let same = match (got, want.parse::<f64>()) {
            (Some(g), Ok(w)) => g
                .parse::<f64>()
                .is_ok_and(|g| (g - w).abs() <= 1e-9 * w.abs().max(1.0)),
            (Some(g), Err(_)) => g == *want,
            (None, _) => false,
        };
        if !same {
            problems.push(format!("{who}: {var} = {got:?}, expected {want:?}"));
        }
    }
    problems
}

#[tokio::test]
async fn every_ups_recording_decodes_to_its_values_over_v2c_v1_and_v3_auth_priv() {
    let Some(sim) = Snmpsim::start(&recordings()).expect("start snmpsim") else {
        return;
    };
    let endpoint = sim.endpoint();
    let expected = expected();
    assert!(!expected.is_empty());
    let mut problems = Vec::new();
    let mut checked = 0;
    for (i, e) in expected.iter().enumerate() {
        // v2c and SHA/AES-128 for every recording; SHA-256/AES-256 and v1 for every other one.
        let mut ways = vec![Access::V2c, Access::V3Sha1Aes128];
        ways.push(if i % 2 == 0 {
            Access::V3Sha256Aes256
        } else {
            Access::V1
        });
        for how in ways {
            match read(&endpoint, e.recording, how).await {
                Ok(reading) => {
                    problems.extend(check(e, &reading, &format!("{how:?}")));
                    checked += 1;
                }
                Err(err) => problems.push(format!("{} over {how:?}: {err}", e.recording)),
            }
        }
    }
    assert!(
        problems.is_empty(),
        "{} problems:\n{}",
        problems.len(),
        problems.join("\n")
    );
    eprintln!("{checked} reads of {} recordings matched", expected.len());
}

#[tokio::test]
async fn devices_that_are_not_ups_are_refused_as_unsupported() {
    let Some(sim) = Snmpsim::start(&recordings()).expect("start snmpsim") else {
        return;
    };
    for name in not_ups() {
        let mut source = source(&sim.endpoint(), name, Access::V2c);
        let outcome = source.poll().await;
        let reason = match &outcome {
            Err(e) => Some(e.reason),
            Ok(polls) => match &polls[0].result {
                Err(e) => Some(e.reason),
                Ok(raw) => mapping::map(raw.clone())
                    .err()
                    .map(|_| FailureReason::Unsupported),
            },
        };
        assert_eq!(
            reason,
            Some(FailureReason::Unsupported),
            "{name}: {outcome:?}"
        );
    }
}

#[tokio::test]
async fn snmpset_on_battery_shows_ob_on_the_next_poll() {
    let Some(sim) = Snmpsim::start(&recordings()).expect("start snmpsim") else {
        return;
    };
    // The real APC recording when the corpus is there, else the project's own.
    let target = if upsight_e2e::device_corpus().is_some() {
        "apc_surt3000xl-rw"
    } else {
        "own-apc-rw"
    };
    let config = format!(
        "interval = \"1s\"\n{}{}",
        device_toml("flip", &sim.endpoint(), target, Access::V2c, ""),
        device_toml(
            "markers",
            &sim.endpoint(),
            "own-apc",
            Access::V3Sha1Aes128,
            ""
        ),
    );
    let exporter = Exporter::start(&config).await.expect("exporter");
    let ob = [("ups", "flip"), ("flag", "OB")];
    let ol = [("ups", "flip"), ("flag", "OL")];
    exporter
        .wait_for(Duration::from_secs(10), "on line", |s| {
            s.get("ups_status", &ol) == Some(1.0) && s.get("ups_status", &ob) == Some(0.0)
        })
        .await
        .expect("on line first");
    // upsBasicOutputStatus := onBattery(3)
    sim.snmpset(target, "1.3.6.1.4.1.318.1.1.1.4.1.1.0", "i", "3")
        .expect("snmpset");
    let set_at = tokio::time::Instant::now();
    exporter
        .wait_for(Duration::from_secs(3), "OB after snmpset", |s| {
            s.get("ups_status", &ob) == Some(1.0)
        })
        .await
        .expect("OB on the next poll");
    let lag = set_at.elapsed();
    assert!(
        lag <= Duration::from_millis(2500),
        "OB took {lag:?}, more than one interval + slack"
    );
    let samples = exporter.scrape().await.expect("scrape");
    assert_eq!(samples.get("ups_status", &ol), Some(0.0));
    let info = samples.series("ups_info");
    assert!(
        info.iter()
            .any(|(k, v)| k.contains("source=\"snmp\"") && k.contains("ups=\"flip\"") && *v == 1.0),
        "ups_info{{source=\"snmp\"}} missing: {info:?}"
    );
    let text = upsight_e2e::scrape::get(exporter.addr, "/metrics")
        .await
        .expect("scrape")
        .body;
    assert!(
        text.contains("ups=\"markers\""),
        "the marker device is exported"
    );
    assert!(!text.contains("MARKER-"), "identity leaked into /metrics");
    eprintln!("OB visible {lag:?} after snmpset");
    exporter.stop().await;
}

/// Our protocol name for an snmpsim one.
fn our_name(snmpsim: &str) -> &str {
    snmpsim.strip_suffix("BLMT").unwrap_or(snmpsim)
}

#[tokio::test]
async fn every_usm_protocol_and_security_level_reads_the_same_values() {
    let Some(sim) = Snmpsim::start(&recordings()).expect("start snmpsim") else {
        return;
    };
    let endpoint = sim.endpoint();
    let reference = read(&endpoint, "own-apc", Access::V2c)
        .await
        .expect("v2c read");
    let mut failures = Vec::new();
    for (user, auth, auth_key, privacy, priv_key) in snmpsim::V3_USERS {
        let level = match (auth.is_empty(), privacy.is_empty()) {
            (true, _) => "noAuthNoPriv",
            (false, true) => "authNoPriv",
            (false, false) => "authPriv",
        };
        let mut keys = format!("security_level = \"{level}\"\n");
        if !auth.is_empty() {
            keys.push_str(&format!(
                "auth_protocol = \"{auth}\"\nauth_password = \"{auth_key}\"\n"
            ));
        }
        if !privacy.is_empty() {
            let privacy = our_name(privacy);
            keys.push_str(&format!(
                "priv_protocol = \"{privacy}\"\npriv_password = \"{priv_key}\"\n"
            ));
        }
        let text = format!(
            "[[snmp]]\nname = \"dev\"\naddress = \"{endpoint}\"\nversion = \"3\"\nusername = \"{user}\"\ncontext = \"own-apc\"\n{keys}"
        );
        let config = Config::parse(&text, &|_| None).expect("valid v3 config");
        let mut source = SnmpSource::new(config.snmp[0].clone());
        let reading = match source.poll().await {
            Ok(mut polls) => polls
                .remove(0)
                .result
                .map_err(|e| e.to_string())
                .and_then(|raw| mapping::map(raw).map_err(|e| e.to_string())),
            Err(e) => Err(format!("{:?}: {e}", e.reason)),
        };
        match reading {
            Ok(r) if r.samples == reference.samples && r.status == reference.status => {}
            Ok(r) => failures.push(format!(
                "{user} ({auth}/{privacy}): different reading {:?}",
                r.samples
            )),
            Err(e) => failures.push(format!("{user} ({auth}/{privacy}): {e}")),
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

/// A `tracing` writer that keeps everything, at every level, for the credential check.
#[derive(Clone, Default)]
struct Captured(Arc<Mutex<Vec<u8>>>);

impl std::io::Write for Captured {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.lock().expect("log buffer").extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

#[tokio::test(flavor = "current_thread")]
async fn broken_devices_fail_alone_with_a_reason_and_no_credential_is_logged() {
    let Some(sim) = Snmpsim::start(&recordings()).expect("start snmpsim") else {
        return;
    };
    let logs = Captured::default();
    let writer = logs.clone();
    let subscriber = tracing_subscriber::fmt()
        .with_max_level(tracing::Level::TRACE)
        .with_ansi(false)
        .with_writer(move || writer.clone())
        .finish();
    let _guard = tracing::subscriber::set_default(subscriber);
    // Other tests in this binary may have cached "no interest" for these call sites before
    // this subscriber existed (tracing caches interest per call site): recompute it.
    tracing::callsite::rebuild_interest_cache();
    // An agent that never answers: a bound UDP socket nobody reads.
    let silent = std::net::UdpSocket::bind("127.0.0.1:0").expect("bind");
    let silent_addr = silent.local_addr().expect("addr").to_string();
    let endpoint = sim.endpoint();
    let extra = "timeout = \"300ms\"\nretries = 1";
    let config = format!(
        "interval = \"1s\"\n{}{}{}{}",
        device_toml("good", &endpoint, "own-apc", Access::V2c, extra),
        device_toml(
            "badcommunity",
            &endpoint,
            "Wr0ngCommunity-secret",
            Access::V2c,
            extra
        ),
        device_toml("badkeys", &endpoint, "own-apc", Access::V3Sha1Aes128, extra)
            .replace("authpass123", "Wr0ngAuthKey-secret"),
        device_toml("silent", &silent_addr, "own-apc", Access::V2c, extra),
    );
    let exporter = Exporter::start(&config).await.expect("exporter");
    let failed = |s: &upsight_e2e::scrape::Samples, ups: &str, reason: &str| {
        s.get(
            "upsight_poll_failures_total",
            &[("ups", ups), ("reason", reason)],
        )
        .is_some_and(|v| v >= 1.0)
    };
    let samples = exporter
        .wait_for(Duration::from_secs(15), "every device to settle", |s| {
            s.get("ups_up", &[("ups", "good")]) == Some(1.0)
                && failed(s, "badcommunity", "timeout")
                && failed(s, "badkeys", "access_denied")
                && failed(s, "silent", "timeout")
        })
        .await
        .expect("failures isolated");
    for ups in ["badcommunity", "badkeys", "silent"] {
        assert_eq!(samples.get("ups_up", &[("ups", ups)]), Some(0.0), "{ups}");
    }
    // The good device keeps polling while the others fail.
    let before = samples.get("ups_last_success_timestamp_seconds", &[("ups", "good")]);
    exporter
        .wait_for(Duration::from_secs(5), "good keeps polling", |s| {
            s.get("ups_last_success_timestamp_seconds", &[("ups", "good")]) > before
        })
        .await
        .expect("good device still polled");
    exporter.stop().await;
    drop(silent);
    let text = String::from_utf8_lossy(&logs.0.lock().expect("log buffer")).into_owned();
    assert!(
        text.contains("TRACE") || text.contains("DEBUG"),
        "logs were captured at all levels"
    );
    for secret in [
        "Wr0ngCommunity-secret",
        "Wr0ngAuthKey-secret",
        "privpass123",
        "authpass123",
        "own-apc\"",
    ] {
        assert!(
            !text.contains(secret),
            "{secret:?} appeared in the logs:\n{text}"
        );
    }
    let _ = std::io::stderr().flush();
}
