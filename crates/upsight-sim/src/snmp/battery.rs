//! The power-outage switch: which objects say "on battery" in each UPS MIB, and how they
//! read on mains and on battery. Only objects a recording has are touched, and each keeps the
//! ASN.1 type the recording gave it.

use tokio::time::Instant;
use upsight_proto::snmp::{Oid, Value};

use super::AgentDevice;

/// `(OID, on mains, on battery)` of the output-source objects.
const POWER_SOURCES: &[(&str, u64, u64)] = &[
    // UPS-MIB upsOutputSource: normal(3), battery(5).
    ("1.3.6.1.2.1.33.1.4.1.0", 3, 5),
    // APC PowerNet upsBasicOutputStatus: onLine(2), onBattery(3).
    ("1.3.6.1.4.1.318.1.1.1.4.1.1.0", 2, 3),
    // CyberPower upsBaseOutputStatus: onLine(2), onBattery(3).
    ("1.3.6.1.4.1.3808.1.1.1.4.1.1.0", 2, 3),
    // Eaton XUPS xupsOutputSource: normal(3), battery(5).
    ("1.3.6.1.4.1.534.1.4.5.0", 3, 5),
];

/// `(OID, units per second)` of the time-on-battery objects (0 on mains).
const TIME_ON_BATTERY: &[(&str, u64)] = &[
    // UPS-MIB upsSecondsOnBattery: seconds.
    ("1.3.6.1.2.1.33.1.2.2.0", 1),
    // APC upsBasicBatteryTimeOnBattery: TimeTicks.
    ("1.3.6.1.4.1.318.1.1.1.2.1.2.0", 100),
    // CyberPower upsBaseBatteryTimeOnBattery: TimeTicks.
    ("1.3.6.1.4.1.3808.1.1.1.2.1.2.0", 100),
];

/// APC upsBasicStateOutputState: 64 `0`/`1` flags, flag 1 leftmost.
const APC_STATE_FLAGS: &str = "1.3.6.1.4.1.318.1.1.1.11.1.1.0";
const APC_FLAG_ON_BATTERY: usize = 2;
const APC_FLAG_ON_LINE: usize = 4;

fn oid(text: &str) -> Oid {
    text.parse().expect("the tables above hold valid OIDs")
}

/// Flips the device's power-source objects; returns how many objects changed.
pub(super) fn set_on_battery(device: &mut AgentDevice, is_on_battery: bool, now: Instant) -> usize {
    let mut changed = 0;
    for (text, mains, battery) in POWER_SOURCES {
        let number = if is_on_battery { *battery } else { *mains };
        changed += usize::from(replace_number(device, &oid(text), number));
    }
    if is_on_battery {
        device.on_battery_since.get_or_insert(now);
    } else {
        device.on_battery_since = None;
    }
    for (text, _) in TIME_ON_BATTERY {
        changed += usize::from(replace_number(device, &oid(text), 0));
    }
    changed += usize::from(set_apc_flags(device, is_on_battery));
    refresh(device, now);
    changed
}

/// Brings the time-on-battery objects up to `now` (called before each request).
pub(super) fn refresh(device: &mut AgentDevice, now: Instant) {
    let Some(since) = device.on_battery_since else {
        return;
    };
    let elapsed = now.saturating_duration_since(since);
    for (text, per_second) in TIME_ON_BATTERY {
        let units = elapsed.as_millis() * u128::from(*per_second) / 1000;
        replace_number(device, &oid(text), u64::try_from(units).unwrap_or(u64::MAX));
    }
}

/// Sets a numeric object to `number` in its own type. False if absent or not a number.
fn replace_number(device: &mut AgentDevice, oid: &Oid, number: u64) -> bool {
    let Some(value) = device.mib.get_mut(oid) else {
        return false;
    };
    let new = match value {
        Value::Integer(_) => Value::Integer(i64::try_from(number).unwrap_or(i64::MAX)),
        Value::Counter32(_) => Value::Counter32(u32::try_from(number).unwrap_or(u32::MAX)),
        Value::Gauge32(_) => Value::Gauge32(u32::try_from(number).unwrap_or(u32::MAX)),
        Value::TimeTicks(_) => Value::TimeTicks(u32::try_from(number).unwrap_or(u32::MAX)),
        Value::Counter64(_) => Value::Counter64(number),
        _ => return false,
    };
    *value = new;
    true
}

/// Sets the On Battery and On Line flags if the string looks like the 64-flag field.
fn set_apc_flags(device: &mut AgentDevice, is_on_battery: bool) -> bool {
    let Some(Value::OctetString(flags)) = device.mib.get_mut(&oid(APC_STATE_FLAGS)) else {
        return false;
    };
    if flags.len() < APC_FLAG_ON_LINE || !flags.iter().all(|b| matches!(b, b'0' | b'1')) {
        return false;
    }
    let flag = |on: bool| if on { b'1' } else { b'0' };
    flags[APC_FLAG_ON_BATTERY - 1] = flag(is_on_battery);
    flags[APC_FLAG_ON_LINE - 1] = flag(!is_on_battery);
    true
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::*;

    fn device(entries: &[(&str, Value)]) -> AgentDevice {
        AgentDevice {
            mib: entries.iter().map(|(o, v)| (oid(o), v.clone())).collect(),
            fault: None,
            on_battery_since: None,
        }
    }

    #[test]
    fn flips_upsmib_and_counts_seconds() {
        let mut d = device(&[
            ("1.3.6.1.2.1.33.1.4.1.0", Value::Integer(3)),
            ("1.3.6.1.2.1.33.1.2.2.0", Value::Integer(0)),
            ("1.3.6.1.2.1.1.5.0", Value::OctetString(b"x".to_vec())),
        ]);
        let t0 = Instant::now();
        assert_eq!(set_on_battery(&mut d, true, t0), 2);
        assert_eq!(d.mib[&oid("1.3.6.1.2.1.33.1.4.1.0")], Value::Integer(5));
        refresh(&mut d, t0 + Duration::from_millis(2_500));
        assert_eq!(d.mib[&oid("1.3.6.1.2.1.33.1.2.2.0")], Value::Integer(2));
        // Staying on battery keeps counting from the first switch.
        set_on_battery(&mut d, true, t0 + Duration::from_secs(3));
        assert_eq!(d.mib[&oid("1.3.6.1.2.1.33.1.2.2.0")], Value::Integer(3));
        assert_eq!(
            set_on_battery(&mut d, false, t0 + Duration::from_secs(9)),
            2
        );
        assert_eq!(d.mib[&oid("1.3.6.1.2.1.33.1.4.1.0")], Value::Integer(3));
        assert_eq!(d.mib[&oid("1.3.6.1.2.1.33.1.2.2.0")], Value::Integer(0));
    }

    #[test]
    fn flips_apc_status_ticks_and_flags() {
        let flags = format!("0001010000000000001{}", "0".repeat(45));
        let mut d = device(&[
            ("1.3.6.1.4.1.318.1.1.1.4.1.1.0", Value::Integer(2)),
            ("1.3.6.1.4.1.318.1.1.1.2.1.2.0", Value::TimeTicks(0)),
            (
                APC_STATE_FLAGS,
                Value::OctetString(flags.clone().into_bytes()),
            ),
        ]);
        let t0 = Instant::now();
        assert_eq!(set_on_battery(&mut d, true, t0), 3);
        refresh(&mut d, t0 + Duration::from_millis(1_234));
        assert_eq!(
            d.mib[&oid("1.3.6.1.4.1.318.1.1.1.4.1.1.0")],
            Value::Integer(3)
        );
        assert_eq!(
            d.mib[&oid("1.3.6.1.4.1.318.1.1.1.2.1.2.0")],
            Value::TimeTicks(123)
        );
        let Value::OctetString(on_battery) = &d.mib[&oid(APC_STATE_FLAGS)] else {
            panic!("flags changed type");
        };
        assert_eq!(&on_battery[..6], b"010001");
        set_on_battery(&mut d, false, t0);
        assert_eq!(
            d.mib[&oid(APC_STATE_FLAGS)],
            Value::OctetString(flags.into_bytes())
        );
    }

    #[test]
    fn leaves_other_mibs_and_odd_types_alone() {
        let mut d = device(&[
            (
                "1.3.6.1.4.1.3808.1.1.1.4.1.1.0",
                Value::OctetString(b"2".to_vec()),
            ),
            (APC_STATE_FLAGS, Value::OctetString(b"UNKNOWN".to_vec())),
            ("1.3.6.1.4.1.534.1.4.5.0", Value::Gauge32(3)),
        ]);
        assert_eq!(set_on_battery(&mut d, true, Instant::now()), 1);
        assert_eq!(d.mib[&oid("1.3.6.1.4.1.534.1.4.5.0")], Value::Gauge32(5));
    }
}
