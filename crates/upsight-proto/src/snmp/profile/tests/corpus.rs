//! The recorded-device corpus, checked when `UPSIGHT_DEVICE_CORPUS` is set.

use super::*;

#[allow(unreachable_pub, dead_code)]
mod expected {
    include!("../../../../../../tests/src/snmp_expected.rs");
}

/// A minimal `.snmprec` reader for this test only (`OID|TAG|VALUE`, `4x` hex, `#` comments,
/// CRLF, variation records skipped).
fn parse_snmprec(bytes: &[u8]) -> Vec<(Oid, Value)> {
    let text = String::from_utf8_lossy(bytes);
    let mut out = Vec::new();
    for line in text.lines().map(|l| l.trim_end_matches('\r')) {
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        let mut parts = line.splitn(3, '|');
        let (Some(o), Some(tag), Some(raw)) = (parts.next(), parts.next(), parts.next()) else {
            continue;
        };
        if tag.contains(':') {
            continue;
        }
        let is_hex = tag.ends_with('x');
        let bytes = if is_hex {
            (0..raw.len() / 2)
                .map(|i| u8::from_str_radix(&raw[2 * i..2 * i + 2], 16).unwrap())
                .collect()
        } else {
            raw.as_bytes().to_vec()
        };
        let value = match tag.trim_end_matches('x') {
            "2" => Value::Integer(raw.parse().unwrap()),
            "4" => Value::OctetString(bytes),
            "5" => Value::Null,
            "6" => Value::Oid(oid(raw)),
            "64" if is_hex => Value::IpAddress(bytes.try_into().unwrap()),
            "64" => Value::IpAddress(raw.parse::<std::net::Ipv4Addr>().unwrap().octets()),
            "65" => Value::Counter32(raw.parse().unwrap()),
            "66" => Value::Gauge32(raw.parse().unwrap()),
            "67" => Value::TimeTicks(raw.parse().unwrap()),
            "68" => Value::Opaque(bytes),
            "70" => Value::Counter64(raw.parse().unwrap()),
            other => panic!("tag {other} in {line}"),
        };
        out.push((oid(o), value));
    }
    out
}

/// What an agent serving `recording` answers to GETs of `scalars` and walks of `columns`.
fn answers(recording: &[(Oid, Value)], scalars: &[Oid], columns: &[Oid]) -> Vec<(Oid, Value)> {
    recording
        .iter()
        .filter(|(o, _)| scalars.contains(o) || columns.iter().any(|c| o.suffix_after(c).is_some()))
        .cloned()
        .collect()
}

#[test]
fn recorded_devices_decode_as_worked_out_by_hand() {
    let Some(corpus) = std::env::var_os("UPSIGHT_DEVICE_CORPUS") else {
        eprintln!("UPSIGHT_DEVICE_CORPUS not set: recorded-device check skipped");
        return;
    };
    let dir = std::path::Path::new(&corpus).join("snmprec");
    let load = |name: &str| {
        let path = dir.join(format!("{name}.snmprec"));
        parse_snmprec(&std::fs::read(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display())))
    };
    let probe = [system_oids(), probe_oids()].concat();
    let mut problems = Vec::new();
    for want in expected::EXPECTED {
        let recording = load(want.recording);
        let Some(profile) = detect(&answers(&recording, &probe, &[])) else {
            problems.push(format!("{}: detect found no profile", want.recording));
            continue;
        };
        if profile.id != want.profile {
            problems.push(format!(
                "{}: detected {}, want {}",
                want.recording, profile.id, want.profile
            ));
        }
        let plan = profile.plan();
        let d = decoded(profile, &answers(&recording, &plan.scalars, &plan.columns));
        assert_eq!(
            d,
            decoded(profile, &recording),
            "{}: the plan reads everything",
            want.recording
        );
        let status = ("ups.status", want.status);
        let expected_vars = want.vars.iter().chain(std::iter::once(&status));
        for &(name, value) in expected_vars {
            if d.get(name) != Some(value) {
                problems.push(format!(
                    "{}: {name} = {:?}, want {value:?}",
                    want.recording,
                    d.get(name)
                ));
            }
        }
    }
    for name in expected::NOT_UPS {
        let recording = load(name);
        if let Some(p) = detect(&answers(&recording, &probe, &[])) {
            problems.push(format!("{name}: detected {}, want none", p.id));
        }
    }
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}
