//! Profile tests: tables parse, detection, read plans, and decoding per profile (scaling,
//! sentinels, every status value, 1-line vs 3-line tables, precedence), plus the recorded-device
//! corpus when `UPSIGHT_DEVICE_CORPUS` is set.

use super::*;

fn oid(s: &str) -> Oid {
    s.parse().unwrap()
}

fn int(o: &str, v: i64) -> (Oid, Value) {
    (oid(o), Value::Integer(v))
}

fn gauge(o: &str, v: u32) -> (Oid, Value) {
    (oid(o), Value::Gauge32(v))
}

fn ticks(o: &str, v: u32) -> (Oid, Value) {
    (oid(o), Value::TimeTicks(v))
}

fn text(o: &str, v: &str) -> (Oid, Value) {
    (oid(o), Value::OctetString(v.as_bytes().to_vec()))
}

fn oid_value(o: &str, v: &str) -> (Oid, Value) {
    (oid(o), Value::Oid(oid(v)))
}

fn sys_object_id(v: &str) -> (Oid, Value) {
    oid_value("1.3.6.1.2.1.1.2.0", v)
}

fn decoded(profile: &Profile, values: &[(Oid, Value)]) -> Decoded {
    decode(profile, values).unwrap()
}

/// Asserts each `(name, value)`; `None` means the variable must be absent.
fn assert_vars(d: &Decoded, want: &[(&str, Option<&str>)]) {
    for (name, value) in want {
        assert_eq!(d.get(name), *value, "{name} in {:?}", d.vars);
    }
}

const APC_MODEL: &str = "1.3.6.1.4.1.318.1.1.1.1.1.1.0";
const APC_OUTPUT_STATUS: &str = "1.3.6.1.4.1.318.1.1.1.4.1.1.0";
const XUPS_MODEL: &str = "1.3.6.1.4.1.534.1.1.2.0";
const XUPS_SOURCE: &str = "1.3.6.1.4.1.534.1.4.5.0";
const CPS_MODEL: &str = "1.3.6.1.4.1.3808.1.1.1.1.1.1.0";
const CPS_OUTPUT_STATUS: &str = "1.3.6.1.4.1.3808.1.1.1.4.1.1.0";
const U_MFR: &str = "1.3.6.1.2.1.33.1.1.1.0";
const U_SOURCE: &str = "1.3.6.1.2.1.33.1.4.1.0";

mod apc;
mod arbitrary;
mod corpus;
mod cyberpower;
mod decode;
mod detect;
mod quirks;
mod tables;
mod ups_mib;
mod xups;
