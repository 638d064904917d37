//! A JSON object that is checked and dropped: `POST /api/v1/poll` takes any object (nothing in
//! it is used yet), so its body is scanned without building values. Parsed into
//! `serde_json::Value`, a 1 MiB object holding a wide array of empty arrays cost about eight
//! times its size in memory for the length of the request (measured: four at once raised the
//! exporter's peak RSS from 36 to 67 MiB). The scan checks the
//! grammar and the nesting limit; numbers are not converted, so one beyond `f64` passes.

use std::fmt;

use serde::de::{Deserialize, Deserializer, IgnoredAny, MapAccess, Visitor};

/// Whether `body` is one JSON object in UTF-8 (checked up front: the scan skips strings
/// without decoding them).
pub(crate) fn is_object(body: &[u8]) -> bool {
    std::str::from_utf8(body).is_ok() && serde_json::from_slice::<AnyObject>(body).is_ok()
}

/// Proof that a body was one JSON object, whatever it held.
#[derive(Debug, Clone, Copy)]
struct AnyObject;

impl<'de> Deserialize<'de> for AnyObject {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_map(Scan)
    }
}

struct Scan;

impl<'de> Visitor<'de> for Scan {
    type Value = AnyObject;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a JSON object")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<AnyObject, A::Error> {
        while map.next_entry::<IgnoredAny, IgnoredAny>()?.is_some() {}
        Ok(AnyObject)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_objects_pass_and_nesting_is_still_limited() {
        for ok in ["{}", "{\"a\": [[], [1, {\"b\": null}]], \"c\": \"d\"}"] {
            assert!(
                serde_json::from_slice::<AnyObject>(ok.as_bytes()).is_ok(),
                "{ok}"
            );
        }
        let deep = format!("{{\"a\":{}", "[".repeat(10_000));
        for bad in ["[]", "\"s\"", "1", "{", "{\"a\":}", deep.as_str()] {
            assert!(
                serde_json::from_slice::<AnyObject>(bad.as_bytes()).is_err(),
                "{bad}"
            );
        }
    }
}
