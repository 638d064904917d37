//! Decoding throughput of `LIST VAR` replies: a 60-variable UPS (the shape `usbhid-ups`
//! reports for a rack UPS) and a 478-variable PDU (`snmp-ups` with per-outlet variables), each
//! decoded from one buffer and from 1460-byte TCP segments. Criterion prints MB/s.
//!
//! Run with `cargo bench -p upsight-proto --bench parse`.

use std::hint::black_box;

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use upsight_proto::nut::{Decoder, Expect, Limits, LineBuffer, Reply, Variable, encode_reply};

/// One TCP segment's payload on a 1500-byte MTU link.
const SEGMENT: usize = 1460;

/// The variables of a typical line-interactive rack UPS, as upsd lists them.
const UPS_VARS: &[(&str, &str)] = &[
    ("battery.charge", "100"),
    ("battery.charge.low", "20"),
    ("battery.charge.restart", "0"),
    ("battery.charge.warning", "50"),
    ("battery.date", "2023/04/11"),
    ("battery.mfr.date", "2023/01/09"),
    ("battery.runtime", "2873"),
    ("battery.runtime.low", "180"),
    ("battery.temperature", "27.3"),
    ("battery.type", "PbAc"),
    ("battery.voltage", "54.6"),
    ("battery.voltage.nominal", "48.0"),
    ("device.mfr", "EATON"),
    ("device.model", "Eaton 5PX 1500"),
    ("device.serial", "G123A45678"),
    ("device.type", "ups"),
    ("driver.flag.ignorelb", "enabled"),
    ("driver.name", "usbhid-ups"),
    ("driver.parameter.pollfreq", "30"),
    ("driver.parameter.port", "auto"),
    ("driver.state", "quiet"),
    ("driver.version", "2.8.1"),
    ("driver.version.usb", "libusb-1.0.26 (API: 0x1000109)"),
    ("input.frequency", "50.0"),
    ("input.frequency.nominal", "50"),
    ("input.transfer.boost.low", "185"),
    ("input.transfer.high", "294"),
    ("input.transfer.low", "160"),
    ("input.transfer.trim.high", "265"),
    ("input.voltage", "231.4"),
    ("input.voltage.nominal", "230"),
    ("outlet.1.delay.shutdown", "-1"),
    ("outlet.1.delay.start", "-1"),
    ("outlet.1.desc", "PowerShare Outlet 1"),
    ("outlet.1.id", "1"),
    ("outlet.1.status", "on"),
    ("outlet.1.switchable", "yes"),
    ("outlet.desc", "Main Outlet"),
    ("outlet.id", "0"),
    ("outlet.switchable", "yes"),
    ("output.frequency", "50.0"),
    ("output.frequency.nominal", "50"),
    ("output.voltage", "230.0"),
    ("output.voltage.nominal", "230"),
    ("ups.beeper.status", "enabled"),
    ("ups.delay.shutdown", "20"),
    ("ups.delay.start", "30"),
    ("ups.firmware", "02.14.0026"),
    ("ups.load", "23"),
    ("ups.mfr", "EATON"),
    ("ups.model", "Eaton 5PX 1500"),
    ("ups.power", "389"),
    ("ups.power.nominal", "1500"),
    ("ups.productid", "ffff"),
    ("ups.realpower", "341"),
    ("ups.realpower.nominal", "1350"),
    ("ups.status", "OL CHRG"),
    ("ups.test.result", "Done and passed"),
    ("ups.type", "offline / line interactive"),
    ("ups.vendorid", "0463"),
];

/// The device-wide variables of a switched, metered 24-outlet PDU (`snmp-ups`).
const PDU_VARS: &[(&str, &str)] = &[
    ("device.contact", "noc@example.invalid"),
    ("device.description", "rack 4 feed A"),
    ("device.location", "dc1 hall 2 row C rack 4"),
    ("device.macaddr", "00:20:85:aa:bb:cc"),
    ("device.mfr", "EATON"),
    ("device.model", "EMAB03"),
    ("device.part", "EMAB03"),
    ("device.serial", "ADV1234567"),
    ("device.type", "pdu"),
    ("driver.name", "snmp-ups"),
    ("driver.parameter.mibs", "eaton_epdu"),
    ("driver.parameter.pollinterval", "2"),
    ("driver.parameter.port", "10.0.4.21"),
    ("driver.state", "quiet"),
    ("driver.version", "2.8.1"),
    ("driver.version.data", "eaton_epdu MIB 0.69"),
    ("input.current", "9.84"),
    ("input.frequency", "50.0"),
    ("input.phases", "1"),
    ("input.power", "2270"),
    ("input.realpower", "2131"),
    ("input.voltage", "230.8"),
];

/// The per-outlet variables of a switched, metered PDU (`snmp-ups`).
const OUTLET_VARS: &[(&str, &str)] = &[
    ("current", "0.42"),
    ("current.high.critical", "16.00"),
    ("current.high.warning", "12.80"),
    ("current.status", "good"),
    ("delay.shutdown", "0"),
    ("delay.start", "0"),
    ("desc", "srv-rack4-u12 psu \"A\""),
    ("id", "0"),
    ("name", "A0"),
    ("power", "97"),
    ("powerfactor", "0.94"),
    ("realpower", "91"),
    ("status", "on"),
    ("switchable", "yes"),
    ("type", "iec-60320-c13"),
    ("voltage", "230.8"),
    ("energy", "1473820"),
    ("timer.shutdown", "-1"),
    ("timer.start", "-1"),
];

/// A `LIST VAR` reply in upsd's wire form, and its expectation.
fn wire(ups: &str, vars: Vec<Variable>) -> (Vec<u8>, Expect) {
    let mut out = Vec::new();
    let reply = Reply::VarList {
        ups: ups.to_owned(),
        vars,
    };
    encode_reply(&reply, &mut out).expect("benchmark reply is valid");
    (
        out,
        Expect::VarList {
            ups: ups.to_owned(),
        },
    )
}

fn var(name: String, value: &str) -> Variable {
    Variable {
        name,
        value: value.to_owned(),
    }
}

fn ups_reply() -> (Vec<u8>, Expect) {
    let vars = UPS_VARS
        .iter()
        .map(|(n, v)| var((*n).to_owned(), v))
        .collect();
    wire("rack4-ups", vars)
}

/// 22 device-wide variables plus 24 outlets × 19 = 478 variables.
fn pdu_reply() -> (Vec<u8>, Expect) {
    let mut vars: Vec<Variable> = PDU_VARS
        .iter()
        .map(|(n, v)| var((*n).to_owned(), v))
        .collect();
    for outlet in 1..=24 {
        for (n, v) in OUTLET_VARS {
            vars.push(var(format!("outlet.{outlet}.{n}"), v));
        }
    }
    assert_eq!(vars.len(), 478);
    wire("rack4-pdu", vars)
}

/// Decodes one reply fed in `chunk`-sized reads; returns the variable count.
fn decode(input: &[u8], chunk: usize, expect: &Expect) -> usize {
    let limits = Limits::default();
    let mut lines = LineBuffer::new(limits);
    let mut decoder = Decoder::new(expect.clone(), limits);
    for read in input.chunks(chunk) {
        lines.extend(read);
        while let Some(line) = lines.next_line().expect("line within the cap") {
            if let Some(Reply::VarList { vars, .. }) = decoder.push_line(line).expect("valid") {
                return vars.len();
            }
        }
    }
    panic!("reply did not complete");
}

fn bench_list_var(c: &mut Criterion) {
    for (name, (input, expect), count) in [
        ("ups_60_vars", ups_reply(), 60),
        ("pdu_478_vars", pdu_reply(), 478),
    ] {
        assert_eq!(decode(&input, input.len(), &expect), count);
        let mut group = c.benchmark_group(format!("list_var/{name}"));
        group.throughput(Throughput::Bytes(input.len() as u64));
        group.bench_function("one_buffer", |b| {
            b.iter(|| decode(black_box(&input), input.len(), &expect));
        });
        group.bench_function("tcp_segments", |b| {
            b.iter(|| decode(black_box(&input), SEGMENT, &expect));
        });
        group.finish();
    }
}

criterion_group!(benches, bench_list_var);
criterion_main!(benches);
