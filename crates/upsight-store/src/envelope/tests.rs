use std::path::Path;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

use super::{clip, decode, encode, format_rfc3339};
use crate::{MigrationError, Schema, StoreError};

#[derive(Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct Meter {
    watt_hours: f64,
}

impl Schema for Meter {
    const NAME: &'static str = "meter";
    const VERSION: u32 = 2;

    fn migrate(from: u32, data: Value) -> Result<Value, MigrationError> {
        match from {
            1 => Ok(json!({ "watt_hours": data["kwh"].as_f64().unwrap_or(0.0) * 1000.0 })),
            _ => Err(MigrationError::Unsupported { from }),
        }
    }
}

/// Whether an error is the one a case expects.
type IsExpected = fn(&StoreError) -> bool;

fn path() -> &'static Path {
    Path::new("/state/meter.json")
}

fn decode_meter(text: &str) -> Result<Meter, StoreError> {
    decode::<Meter>(path(), text.as_bytes()).map(|loaded| loaded.state)
}

#[test]
fn decodes_current_and_migrates_old_versions() {
    let current = r#"{"schema":"meter","version":2,"saved_at":"2025-01-01T00:00:00Z","data":{"watt_hours":1.5}}"#;
    let loaded = decode::<Meter>(path(), current.as_bytes()).unwrap();
    assert_eq!((loaded.state.watt_hours, loaded.version), (1.5, 2));

    let old = r#"{"schema":"meter","version":1,"saved_at":1700000000,"data":{"kwh":2.0}}"#;
    let loaded = decode::<Meter>(path(), old.as_bytes()).unwrap();
    assert_eq!((loaded.state.watt_hours, loaded.version), (2000.0, 1));

    let without_saved_at = r#"{"schema":"meter","version":2,"data":{"watt_hours":0}}"#;
    assert_eq!(decode_meter(without_saved_at).unwrap(), Meter::default());
}

#[test]
fn refusals_are_typed() {
    let cases: &[(&str, &str, IsExpected)] = &[
        (
            "empty",
            "",
            |e| matches!(e, StoreError::Corrupt { detail, .. } if detail.contains("empty")),
        ),
        ("blank", " \n\t", |e| {
            matches!(e, StoreError::Corrupt { .. })
        }),
        ("not json", "hello", |e| {
            matches!(e, StoreError::Corrupt { .. })
        }),
        (
            "truncated",
            r#"{"schema":"meter","version":2,"data":{"watt"#,
            |e| matches!(e, StoreError::Corrupt { .. }),
        ),
        (
            "trailing garbage",
            r#"{"schema":"meter","version":2,"data":{"watt_hours":1}} x"#,
            |e| matches!(e, StoreError::Corrupt { .. }),
        ),
        ("array", "[1,2]", |e| {
            matches!(e, StoreError::Corrupt { .. })
        }),
        (
            "missing version",
            r#"{"schema":"meter","data":{}}"#,
            |e| matches!(e, StoreError::Corrupt { detail, .. } if detail.contains("version")),
        ),
        (
            "version 0",
            r#"{"schema":"meter","version":0,"data":{}}"#,
            |e| matches!(e, StoreError::Corrupt { detail, .. } if detail.contains("version 0")),
        ),
        (
            "negative version",
            r#"{"schema":"meter","version":-1,"data":{}}"#,
            |e| matches!(e, StoreError::Corrupt { .. }),
        ),
        (
            "string version",
            r#"{"schema":"meter","version":"2","data":{}}"#,
            |e| matches!(e, StoreError::Corrupt { .. }),
        ),
        ("missing schema", r#"{"version":2,"data":{}}"#, |e| {
            matches!(e, StoreError::Corrupt { .. })
        }),
        ("missing data", r#"{"schema":"meter","version":2}"#, |e| {
            matches!(e, StoreError::Corrupt { .. })
        }),
        (
            "unknown envelope field",
            r#"{"schema":"meter","version":2,"data":{},"extra":1}"#,
            |e| matches!(e, StoreError::Corrupt { .. }),
        ),
        (
            "duplicate version",
            r#"{"schema":"meter","version":2,"version":2,"data":{}}"#,
            |e| matches!(e, StoreError::Corrupt { .. }),
        ),
        (
            "bad saved_at",
            r#"{"schema":"meter","version":2,"saved_at":[],"data":{"watt_hours":1}}"#,
            |e| matches!(e, StoreError::Corrupt { detail, .. } if detail.contains("saved_at")),
        ),
        (
            "negative saved_at",
            r#"{"schema":"meter","version":2,"saved_at":-5,"data":{"watt_hours":1}}"#,
            |e| matches!(e, StoreError::Corrupt { .. }),
        ),
        (
            "wrong types",
            r#"{"schema":"meter","version":2,"data":{"watt_hours":"many"}}"#,
            |e| matches!(e, StoreError::Corrupt { detail, .. } if detail.contains("does not match")),
        ),
        (
            "other schema",
            r#"{"schema":"fleet","version":2,"data":{}}"#,
            |e| matches!(e, StoreError::UnknownSchema { found, expected: "meter", .. } if found == "fleet"),
        ),
        (
            "future",
            r#"{"schema":"meter","version":3,"data":{}}"#,
            |e| {
                matches!(
                    e,
                    StoreError::FutureVersion {
                        found: 3,
                        supported: 2,
                        ..
                    }
                )
            },
        ),
        (
            "far future",
            r#"{"schema":"meter","version":99999999999,"data":{}}"#,
            |e| {
                matches!(
                    e,
                    StoreError::FutureVersion {
                        found: 99_999_999_999,
                        ..
                    }
                )
            },
        ),
    ];
    for (name, text, is_expected) in cases {
        let err = decode_meter(text).expect_err(name);
        assert!(is_expected(&err), "{name}: unexpected {err:?}");
        assert_eq!(err.exit_code(), 73, "{name}");
        let message = err.to_string();
        assert!(message.contains("/state/meter.json"), "{name}: {message}");
    }
}

#[test]
fn found_schema_is_clipped() {
    let text = format!(
        r#"{{"schema":"{}","version":1,"data":{{}}}}"#,
        "x".repeat(10_000)
    );
    let Err(StoreError::UnknownSchema { found, .. }) = decode_meter(&text) else {
        panic!("expected UnknownSchema");
    };
    assert_eq!(found.len(), 64);
}

#[test]
fn corrupt_detail_is_clipped() {
    let text = format!(
        r#"{{"schema":"meter","version":2,"data":{{"watt_hours":"{}"}}}}"#,
        "é".repeat(10_000)
    );
    let Err(StoreError::Corrupt { detail, .. }) = decode_meter(&text) else {
        panic!("expected Corrupt");
    };
    assert!(detail.chars().count() <= 301, "{}", detail.len());
    assert_eq!(clip("short"), "short");
}

#[test]
fn encode_then_decode_round_trips() {
    let now = UNIX_EPOCH + Duration::from_secs(1_763_827_500);
    let state = Meter {
        watt_hours: 0.1 + 0.2,
    };
    let bytes = encode(path(), &state, now).unwrap();
    let text = std::str::from_utf8(&bytes).unwrap();
    assert!(text.ends_with("}\n"));
    let value: Value = serde_json::from_str(text).unwrap();
    assert_eq!(value["schema"], "meter");
    assert_eq!(value["version"], 2);
    assert_eq!(value["saved_at"], "2025-11-22T16:05:00Z");
    assert_eq!(decode_meter(text).unwrap(), state);
}

#[test]
fn encode_refuses_state_that_would_not_load_back() {
    let err = encode(
        path(),
        &Meter {
            watt_hours: f64::NAN,
        },
        SystemTime::now(),
    )
    .unwrap_err();
    assert!(matches!(err, StoreError::Encode { .. }), "{err:?}");
    assert_eq!(err.exit_code(), 70);
}

#[test]
fn formats_rfc3339_utc() {
    let cases = [
        (0, "1970-01-01T00:00:00Z"),
        (951_782_400, "2000-02-29T00:00:00Z"),
        (951_868_799, "2000-02-29T23:59:59Z"),
        (951_868_800, "2000-03-01T00:00:00Z"),
        (1_735_689_599, "2024-12-31T23:59:59Z"),
        (4_107_542_400, "2100-03-01T00:00:00Z"),
        (253_402_300_799, "9999-12-31T23:59:59Z"),
    ];
    for (secs, expected) in cases {
        assert_eq!(
            format_rfc3339(UNIX_EPOCH + Duration::from_secs(secs)),
            expected
        );
    }
    let before_epoch = UNIX_EPOCH - Duration::from_secs(10);
    assert_eq!(format_rfc3339(before_epoch), "1970-01-01T00:00:00Z");
}
