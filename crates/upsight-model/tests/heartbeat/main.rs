//! The heartbeat wire contract against its golden fixtures (`tests/fixtures/heartbeat/`), the
//! no-PII invariant of `HeartbeatV1::from_snapshot`, and properties of what it builds.

mod fixtures;
mod limits;
mod properties;
mod snapshot;

use std::time::{Duration, SystemTime};

use serde::Serialize;
use serde::de::DeserializeOwned;
use serde_json::Value;
use upsight_model::{ContractError, HeartbeatV1, UpsName};

/// `(file name, contents)` of a fixture in `tests/fixtures/heartbeat/`, by absolute path so it
/// resolves the same from every module of this test binary.
macro_rules! fixture {
    ($name:literal) => {
        (
            $name,
            include_str!(concat!(
                env!("CARGO_MANIFEST_DIR"),
                "/tests/fixtures/heartbeat/",
                $name
            )),
        )
    };
}
use fixture;

const REGISTER_REQUEST: (&str, &str) = fixture!("register-request-v1.json");
const REGISTER_REQUEST_REREGISTER: (&str, &str) = fixture!("register-request-v1-reregister.json");
const REGISTER_RESPONSE: (&str, &str) = fixture!("register-response-v1.json");
const HEARTBEAT: (&str, &str) = fixture!("heartbeat-v1.json");

const IDENTITY: &str = "6f1c2a9e-3b7d-4c1e-9a0f-2d5e8b7c4a13";
const LEASE: &str = "bDk2Zk5xUjhUcFZ3M2JZcUtHZ0xvQQ";
const T0: u64 = 1_767_225_600;

fn unix(seconds: u64) -> SystemTime {
    SystemTime::UNIX_EPOCH + Duration::from_secs(seconds)
}

fn name(s: &str) -> UpsName {
    s.parse().expect("valid device name")
}

/// Deserializes, validates, and re-serializes `json` as `T`; the result must be the same JSON
/// value (field order irrelevant).
fn assert_round_trip<T: Serialize + DeserializeOwned>(
    (file, json): (&str, &str),
    validate: fn(&T) -> Result<(), ContractError>,
) -> T {
    let expected: Value = serde_json::from_str(json).expect("fixture is JSON");
    let value: T = serde_json::from_str(json).unwrap_or_else(|e| panic!("{file}: {e}"));
    validate(&value).unwrap_or_else(|e| panic!("{file}: {e}"));
    let again = serde_json::to_value(&value).expect("serializes");
    assert_eq!(again, expected, "{file} does not round-trip");
    value
}

// === helpers for invalid documents ===

/// Deserializing `json` as `T` fails with a message containing `expected`.
fn assert_refused<T: DeserializeOwned + std::fmt::Debug>(
    (file, json): (&str, &str),
    expected: &str,
) {
    let e = serde_json::from_str::<T>(json).expect_err(file).to_string();
    assert!(e.contains(expected), "{file}: {e}");
}

/// Deserializing `json` as `T` succeeds but `validate` fails with `expected`.
fn assert_invalid<T: DeserializeOwned>(
    (file, json): (&str, &str),
    validate: fn(&T) -> Result<(), ContractError>,
) -> ContractError {
    let value: T = serde_json::from_str(json).unwrap_or_else(|e| panic!("{file}: {e}"));
    validate(&value).expect_err(file)
}

fn golden_heartbeat() -> HeartbeatV1 {
    serde_json::from_str(HEARTBEAT.1).expect("the golden heartbeat deserializes")
}
