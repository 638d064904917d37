//! Eaton/Powerware XUPS-MIB (`1.3.6.1.4.1.534.1`), also served by MGE-era Eaton cards. Runtime
//! is seconds (it wins over UPS-MIB minutes), frequencies are tenths, line values are whole
//! volts/amps/watts. Object numbers, units and the alarm OIDs follow NUT's
//! `drivers/powerware-mib.c`; the recordings agree (Eaton 93E: xupsOutputCurrent 27 A where
//! UPS-MIB says 270 × 0.1 A).

use super::table::Flag::{Bypass, Chrg, Dischrg, Eco, Lb, Ob, Off, Ol, Over, Rb};
use super::table::{Absent, Column, Conv, Flag, Lines, Mib, Scalar, StatusSource, Total};
use super::ups_mib::OUTPUT_SOURCE_MAP;

use Conv::{Tenths, Unit};

/// xupsIdentModel.0: the probe.
pub(crate) const IDENT_MODEL: &str = "1.3.6.1.4.1.534.1.1.2.0";
const IDENT_MANUFACTURER: &str = "1.3.6.1.4.1.534.1.1.1.0";
const OUTPUT_SOURCE: &str = "1.3.6.1.4.1.534.1.4.5.0";
const ABM_STATUS: &str = "1.3.6.1.4.1.534.1.2.5.0";

const fn num(oid: &'static str, var: &'static str, conv: Conv) -> Scalar {
    Scalar::num(oid, var, conv, Absent::Never)
}

const SCALARS: &[Scalar] = &[
    Scalar::text(IDENT_MANUFACTURER, "device.mfr"),
    Scalar::text(IDENT_MODEL, "device.model"),
    Scalar::text("1.3.6.1.4.1.534.1.1.3.0", "ups.firmware"),
    // Seconds. Some cards saturate at 65535 (Eaton 93E); kept, like UPS-MIB's 999-minute cap.
    num("1.3.6.1.4.1.534.1.2.1.0", "battery.runtime", Unit),
    num("1.3.6.1.4.1.534.1.2.2.0", "battery.voltage", Unit),
    // The MIB says amps; NUT scales this by 0.1 on some cards. Unverified here: both recordings
    // send 0.
    num("1.3.6.1.4.1.534.1.2.3.0", "battery.current", Unit),
    num("1.3.6.1.4.1.534.1.2.4.0", "battery.charge", Unit),
    num("1.3.6.1.4.1.534.1.3.1.0", "input.frequency", Tenths),
    num("1.3.6.1.4.1.534.1.4.1.0", "ups.load", Unit),
    num("1.3.6.1.4.1.534.1.4.2.0", "output.frequency", Tenths),
    num("1.3.6.1.4.1.534.1.5.1.0", "input.bypass.frequency", Tenths),
    // xupsEnvAmbientTemp is the card's own sensor; NUT calls it ups.temperature and keeps
    // ambient.* for the remote probe.
    num("1.3.6.1.4.1.534.1.6.1.0", "ups.temperature", Unit),
    num("1.3.6.1.4.1.534.1.6.5.0", "ambient.temperature", Unit),
    num("1.3.6.1.4.1.534.1.6.6.0", "ambient.humidity", Unit),
    num("1.3.6.1.4.1.534.1.10.1.0", "output.voltage.nominal", Unit),
    num("1.3.6.1.4.1.534.1.10.2.0", "input.voltage.nominal", Unit),
    num("1.3.6.1.4.1.534.1.10.3.0", "ups.realpower.nominal", Unit),
    // Tenths, as NUT reads it; both Eaton recordings send 500 for 50 Hz.
    num(
        "1.3.6.1.4.1.534.1.10.4.0",
        "output.frequency.nominal",
        Tenths,
    ),
];

const INPUT: &[Column] = &[
    Column::new(
        "1.3.6.1.4.1.534.1.3.4.1.2",
        "input.voltage",
        "input.L{n}-N.voltage",
        Unit,
    ),
    Column::new(
        "1.3.6.1.4.1.534.1.3.4.1.3",
        "input.current",
        "input.L{n}.current",
        Unit,
    ),
    Column::new(
        "1.3.6.1.4.1.534.1.3.4.1.4",
        "input.realpower",
        "input.L{n}.realpower",
        Unit,
    ),
];

const OUTPUT: &[Column] = &[
    Column::new(
        "1.3.6.1.4.1.534.1.4.4.1.2",
        "output.voltage",
        "output.L{n}-N.voltage",
        Unit,
    ),
    Column::new(
        "1.3.6.1.4.1.534.1.4.4.1.3",
        "output.current",
        "output.L{n}.current",
        Unit,
    ),
    Column::new(
        "1.3.6.1.4.1.534.1.4.4.1.4",
        "output.realpower",
        "output.L{n}.realpower",
        Unit,
    )
    .with_total(Total::Sum("ups.realpower")),
];

const BYPASS: &[Column] = &[Column::new(
    "1.3.6.1.4.1.534.1.5.3.1.2",
    "input.bypass.voltage",
    "input.bypass.L{n}-N.voltage",
    Unit,
)];

const LINES: &[Lines] = &[
    Lines {
        count: Some("1.3.6.1.4.1.534.1.3.3.0"),
        columns: INPUT,
    },
    Lines {
        count: Some("1.3.6.1.4.1.534.1.4.3.0"),
        columns: OUTPUT,
    },
    Lines {
        count: Some("1.3.6.1.4.1.534.1.5.2.0"),
        columns: BYPASS,
    },
];

/// xupsOutputSource: UPS-MIB's values 1–7 plus parallelCapacity(8), parallelRedundant(9),
/// highEfficiencyMode(10). Later values (maintenance bypass, ESS) are unverified: no token.
const OUTPUT_SOURCE_EXTRA: &[(i64, &[Flag])] = &[(8, &[Ol]), (9, &[Ol]), (10, &[Ol, Eco])];

const STATUS: &[StatusSource] = &[
    StatusSource::Enum {
        oid: OUTPUT_SOURCE,
        map: OUTPUT_SOURCE_MAP,
    },
    StatusSource::Enum {
        oid: OUTPUT_SOURCE,
        map: OUTPUT_SOURCE_EXTRA,
    },
    // xupsBatteryAbmStatus: batteryCharging(1), batteryDischarging(2).
    StatusSource::Enum {
        oid: ABM_STATUS,
        map: &[(1, &[Chrg]), (2, &[Dischrg])],
    },
    // xupsAlarmDescr values are OIDs under xupsAlarm (`.7.K`), as in NUT's pw_alarms.
    StatusSource::Alarms {
        column: "1.3.6.1.4.1.534.1.7.2.1.2",
        known: "1.3.6.1.4.1.534.1.7",
        map: &[
            (3, &[Ob]),      // xupsOnBattery
            (4, &[Lb]),      // xupsLowBattery
            (7, &[Over]),    // xupsOutputOverload
            (11, &[Bypass]), // xupsOnBypass
            (13, &[Off]),    // xupsOutputOff
            (23, &[Rb]),     // xupsAlarmBatteryBad
            (24, &[Off]),    // xupsOutputOffAsRequested
            (44, &[Bypass]), // xupsOnMaintenanceBypass
        ],
        // xupsUtilityPowerRestored, xupsReturnFromLowBattery, xupsOnInverter: events that
        // report the normal state coming back, not conditions.
        quiet: &[5, 6, 17],
    },
];

/// The XUPS-MIB.
pub(crate) const MIB: Mib = Mib {
    scalars: SCALARS,
    lines: LINES,
    status: STATUS,
    presence: &[IDENT_MANUFACTURER, IDENT_MODEL, OUTPUT_SOURCE, ABM_STATUS],
    quirks: &[],
};
