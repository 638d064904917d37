//! Fuzz target `exporter_config`: a hostile or mangled exporter config file.
//!
//! The text goes through `Config::parse`, what `Config::load` runs on the file's contents,
//! with an environment that has no variables (the target never reads the process's). Errors
//! are values, never panics, and never repeat an inline secret. An accepted config holds what
//! its validation promises: at least one device, unique `ups` labels, the interval in range,
//! every timeout above 0 and within the one above it, SNMP batch sizes the source can use,
//! and no inline secret in its `Debug` output or its masked API view.
//!
//! Inputs whose `*_file` values name device or proc files are skipped (see
//! `upsight_fuzz::toml_scan`): reading `/dev/zero` would only exhaust the harness.

#![no_main]

use std::collections::HashSet;
use std::time::Duration;

use libfuzzer_sys::fuzz_target;
use upsight_exporter::config::{Config, view};
use upsight_fuzz::toml_scan;

fn no_env(_: &str) -> Option<String> {
    None
}

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let Some(scan) = toml_scan::scan(text) else {
        assert!(
            Config::parse(text, &no_env).is_err(),
            "not TOML, yet accepted"
        );
        return;
    };
    if scan.has_unsafe_path {
        return;
    }
    match Config::parse(text, &no_env) {
        Ok(config) => {
            check(&config);
            let shown = [format!("{config:?}"), view::masked(&config).to_string()];
            assert_no_secret(&shown, &scan.secrets);
        }
        Err(errors) => {
            assert!(!errors.0.is_empty(), "an error without a message");
            assert_no_secret(&[errors.to_string()], &scan.secrets);
        }
    }
});

fn assert_no_secret(shown: &[String], secrets: &[String]) {
    for text in shown {
        for secret in secrets {
            assert!(!text.contains(secret.as_str()), "a secret is shown: {text}");
        }
    }
}

fn check(config: &Config) {
    assert!(
        (Duration::from_millis(100)..=Duration::from_secs(3600)).contains(&config.interval),
        "{:?}",
        config.interval
    );
    assert!(!config.nut.is_empty() || !config.snmp.is_empty());
    assert!(
        config
            .price_per_kwh
            .is_none_or(|p| p.is_finite() && p >= 0.0)
    );
    let mut labels = HashSet::new();
    for server in &config.nut {
        assert_ne!(server.port, 0);
        assert_within(server.poll_timeout, config.interval);
        assert_within(server.connect_timeout, server.poll_timeout);
        assert_within(server.read_timeout, server.poll_timeout);
        for name in server.ups.iter().flatten() {
            let label = format!("{}{name}", server.prefix);
            assert!(labels.insert(label.clone()), "label {label} twice");
        }
    }
    for device in &config.snmp {
        assert_ne!(device.port, 0);
        assert_within(device.poll_timeout, config.interval);
        assert_within(device.timeout, device.poll_timeout);
        // The source splits GETs with `chunks(max_varbinds)`, which panics on 0.
        assert!((1..=128).contains(&device.max_varbinds));
        assert!((1..=100).contains(&device.max_repetitions));
        let label = device.name.to_string();
        assert!(labels.insert(label.clone()), "label {label} twice");
    }
}

fn assert_within(value: Duration, limit: Duration) {
    assert!(
        !value.is_zero() && value <= limit,
        "{value:?} not within {limit:?}"
    );
}
