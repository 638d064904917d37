//! Fuzz target `fleet_config`: a hostile or mangled fleet plane config file.
//!
//! The text goes through `FleetConfig::parse`, what `FleetConfig::load` runs on the file's
//! contents, with an environment that has no variables. Errors are values, never panics, and
//! never repeat an inline token. An accepted config holds what its validation promises: a
//! registry config the registry accepts, not insecure (only the environment can say so), and
//! no inline token in its `Debug` output; `bind_refusal` answers for it without panicking.
//!
//! Inputs whose `*_file` values name device or proc files are skipped (see
//! `upsight_fuzz::toml_scan`).

#![no_main]

use libfuzzer_sys::fuzz_target;
use upsight_fleet::{FleetConfig, Registry};
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
            FleetConfig::parse(text, &no_env).is_err(),
            "not TOML, yet accepted"
        );
        return;
    };
    if scan.has_unsafe_path {
        return;
    }
    let shown = match FleetConfig::parse(text, &no_env) {
        Ok(config) => {
            check(&config);
            format!("{config:?}")
        }
        Err(errors) => {
            assert!(!errors.0.is_empty(), "an error without a message");
            errors.to_string()
        }
    };
    for secret in &scan.secrets {
        assert!(
            !shown.contains(secret.as_str()),
            "a token is shown: {shown}"
        );
    }
});

fn check(config: &FleetConfig) {
    assert!(
        !config.is_insecure,
        "insecure without UPSIGHT_FLEET_INSECURE"
    );
    Registry::try_new(config.registry.clone()).expect("a validated registry config");
    assert!(config.registry.max_members >= 1);
    let _ = config.bind_refusal();
}
