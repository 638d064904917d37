//! CyberPower CPS-MIB, UPS branch (`1.3.6.1.4.1.3808.1.1.1`). Battery voltage, line voltages,
//! frequencies and output current are tenths; runtime is `TimeTicks`. Status follows NUT's
//! `drivers/cyberpower-mib.c` plus the CPS-MIB v2.11 output states NUT leaves out.

use super::table::Flag::{Boost, Bypass, Cal, Eco, Lb, Ob, Off, Ol, Over, Rb, Trim};
use super::table::{Absent, Conv, Flag, Mib, Scalar, StatusSource};

use Conv::{Tenths, Unit};

/// upsBaseIdentModel.0: the probe.
pub(crate) const IDENT_MODEL: &str = "1.3.6.1.4.1.3808.1.1.1.1.1.1.0";
const OUTPUT_STATUS: &str = "1.3.6.1.4.1.3808.1.1.1.4.1.1.0";
const BATTERY_STATUS: &str = "1.3.6.1.4.1.3808.1.1.1.2.1.1.0";

const fn num(oid: &'static str, var: &'static str, conv: Conv) -> Scalar {
    Scalar::num(oid, var, conv, Absent::Never)
}

const SCALARS: &[Scalar] = &[
    Scalar::text(IDENT_MODEL, "device.model"),
    Scalar::text("1.3.6.1.4.1.3808.1.1.1.1.2.1.0", "ups.firmware"),
    Scalar::text("1.3.6.1.4.1.3808.1.1.1.1.2.3.0", "device.serial"),
    num("1.3.6.1.4.1.3808.1.1.1.2.2.1.0", "battery.charge", Unit),
    num("1.3.6.1.4.1.3808.1.1.1.2.2.2.0", "battery.voltage", Tenths),
    num(
        "1.3.6.1.4.1.3808.1.1.1.2.2.3.0",
        "battery.temperature",
        Unit,
    ),
    // TimeTicks on every card seen; a plain integer is taken as seconds.
    num("1.3.6.1.4.1.3808.1.1.1.2.2.4.0", "battery.runtime", Unit),
    num("1.3.6.1.4.1.3808.1.1.1.2.2.7.0", "battery.current", Tenths),
    num("1.3.6.1.4.1.3808.1.1.1.3.2.1.0", "input.voltage", Tenths),
    num("1.3.6.1.4.1.3808.1.1.1.3.2.4.0", "input.frequency", Tenths),
    num("1.3.6.1.4.1.3808.1.1.1.4.2.1.0", "output.voltage", Tenths),
    num("1.3.6.1.4.1.3808.1.1.1.4.2.2.0", "output.frequency", Tenths),
    num("1.3.6.1.4.1.3808.1.1.1.4.2.3.0", "ups.load", Unit),
    num("1.3.6.1.4.1.3808.1.1.1.4.2.4.0", "output.current", Tenths),
    num("1.3.6.1.4.1.3808.1.1.1.4.2.5.0", "ups.realpower", Unit),
];

/// upsBaseOutputStatus: unknown(1), onLine(2), onBattery(3), onBoost(4), onSleep(5), off(6),
/// rebooting(7), onECO(8), onBypass(9), onBuck(10), onOverload(11).
const OUTPUT_STATUS_MAP: &[(i64, &[Flag])] = &[
    (2, &[Ol]),
    (3, &[Ob]),
    (4, &[Ol, Boost]),
    (5, &[Off]),
    (6, &[Off]),
    (8, &[Ol, Eco]),
    (9, &[Ol, Bypass]),
    (10, &[Ol, Trim]),
    (11, &[Ol, Over]),
];

const STATUS: &[StatusSource] = &[
    StatusSource::Enum {
        oid: OUTPUT_STATUS,
        map: OUTPUT_STATUS_MAP,
    },
    // upsBaseBatteryStatus: batteryLow(3).
    StatusSource::Enum {
        oid: BATTERY_STATUS,
        map: &[(3, &[Lb])],
    },
    // upsAdvanceBatteryReplaceIndicator: batteryNeedsReplacing(2).
    StatusSource::Enum {
        oid: "1.3.6.1.4.1.3808.1.1.1.2.2.5.0",
        map: &[(2, &[Rb])],
    },
    // upsAdvanceTestCalibrationResults: inProgress(3).
    StatusSource::Enum {
        oid: "1.3.6.1.4.1.3808.1.1.1.7.2.7.0",
        map: &[(3, &[Cal])],
    },
];

/// The CyberPower UPS branch.
pub(crate) const MIB: Mib = Mib {
    scalars: SCALARS,
    lines: &[],
    status: STATUS,
    presence: &[IDENT_MODEL, OUTPUT_STATUS, BATTERY_STATUS],
    quirks: &[],
};
