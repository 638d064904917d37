//! RFC 1628 UPS-MIB (`1.3.6.1.2.1.33.1`): the standard tree, read on its own for agents with no
//! vendor MIB we know and as the fallback under every vendor profile. Units per the RFC: battery
//! voltage/current, frequencies and line currents in tenths, runtime in minutes. Status follows
//! NUT's `drivers/ietf-mib.c`.

use super::table::Flag::{Boost, Bypass, Lb, Ob, Off, Ol, Over, Rb, Test, Trim};
use super::table::{Absent, Column, Conv, Flag, Lines, Mib, Quirk, Scalar, StatusSource, Total};

use Conv::{Hundredths, Minutes, NominalHertz, Tenths, Unit};

/// upsIdentManufacturer.0: answers on any UPS-MIB agent worth reading.
pub(crate) const IDENT_MANUFACTURER: &str = "1.3.6.1.2.1.33.1.1.1.0";
/// upsOutputSource.0: answers even where the identity strings are empty (Phoenixtec).
pub(crate) const OUTPUT_SOURCE: &str = "1.3.6.1.2.1.33.1.4.1.0";

const fn num(oid: &'static str, var: &'static str, conv: Conv) -> Scalar {
    Scalar::num(oid, var, conv, Absent::Never)
}

/// The RFC types these as NonNegativeInteger, PositiveInteger or INTEGER (0..100): a negative
/// answer is an agent's "unsupported" (Huawei UPS5000 sends −1), not a reading.
const fn non_negative(oid: &'static str, var: &'static str, conv: Conv) -> Scalar {
    Scalar::num(oid, var, conv, Absent::Negative)
}

const SCALARS: &[Scalar] = &[
    Scalar::text(IDENT_MANUFACTURER, "device.mfr"),
    Scalar::text("1.3.6.1.2.1.33.1.1.2.0", "device.model"),
    Scalar::text("1.3.6.1.2.1.33.1.1.3.0", "ups.firmware"),
    Scalar::text("1.3.6.1.2.1.33.1.1.4.0", "ups.firmware.aux"),
    // Minutes; Eaton cards cap this at 999 and Eaton 93E derives it from a capped 65535 s. Both
    // are kept: the XUPS seconds row wins where the vendor profile reads it.
    non_negative("1.3.6.1.2.1.33.1.2.3.0", "battery.runtime", Minutes),
    non_negative("1.3.6.1.2.1.33.1.2.4.0", "battery.charge", Unit),
    non_negative("1.3.6.1.2.1.33.1.2.5.0", "battery.voltage", Tenths),
    num("1.3.6.1.2.1.33.1.2.6.0", "battery.current", Tenths),
    // Integer32, so a real −5 °C is kept; only the −1 "unsupported" answer is dropped.
    Scalar::num(
        "1.3.6.1.2.1.33.1.2.7.0",
        "battery.temperature",
        Unit,
        Absent::Is(&[-1]),
    ),
    non_negative("1.3.6.1.2.1.33.1.4.2.0", "output.frequency", Tenths),
    non_negative("1.3.6.1.2.1.33.1.5.1.0", "input.bypass.frequency", Tenths),
    non_negative("1.3.6.1.2.1.33.1.9.1.0", "input.voltage.nominal", Unit),
    non_negative(
        "1.3.6.1.2.1.33.1.9.2.0",
        "input.frequency.nominal",
        NominalHertz,
    ),
    non_negative("1.3.6.1.2.1.33.1.9.3.0", "output.voltage.nominal", Unit),
    non_negative(
        "1.3.6.1.2.1.33.1.9.4.0",
        "output.frequency.nominal",
        NominalHertz,
    ),
    non_negative("1.3.6.1.2.1.33.1.9.5.0", "ups.power.nominal", Unit),
    non_negative("1.3.6.1.2.1.33.1.9.6.0", "ups.realpower.nominal", Unit),
    non_negative("1.3.6.1.2.1.33.1.9.7.0", "battery.runtime.low", Minutes),
    non_negative("1.3.6.1.2.1.33.1.9.9.0", "input.transfer.low", Unit),
    non_negative("1.3.6.1.2.1.33.1.9.10.0", "input.transfer.high", Unit),
];

const INPUT: &[Column] = &[
    // NUT has no per-phase input frequency: line 1 is `input.frequency` whatever the count.
    Column::first_line("1.3.6.1.2.1.33.1.3.3.1.2", "input.frequency", Tenths),
    Column::new(
        "1.3.6.1.2.1.33.1.3.3.1.3",
        "input.voltage",
        "input.L{n}-N.voltage",
        Unit,
    ),
    Column::new(
        "1.3.6.1.2.1.33.1.3.3.1.4",
        "input.current",
        "input.L{n}.current",
        Tenths,
    ),
    Column::new(
        "1.3.6.1.2.1.33.1.3.3.1.5",
        "input.realpower",
        "input.L{n}.realpower",
        Unit,
    ),
];

const OUTPUT: &[Column] = &[
    Column::new(
        "1.3.6.1.2.1.33.1.4.4.1.2",
        "output.voltage",
        "output.L{n}-N.voltage",
        Unit,
    ),
    Column::new(
        "1.3.6.1.2.1.33.1.4.4.1.3",
        "output.current",
        "output.L{n}.current",
        Tenths,
    ),
    Column::new(
        "1.3.6.1.2.1.33.1.4.4.1.4",
        "output.realpower",
        "output.L{n}.realpower",
        Unit,
    )
    .with_total(Total::Sum("ups.realpower")),
    // Percent of rated load per line; the device's load is the busiest line.
    Column::per_line(
        "1.3.6.1.2.1.33.1.4.4.1.5",
        "output.L{n}.power.percent",
        Unit,
    )
    .with_total(Total::Max("ups.load")),
];

const BYPASS: &[Column] = &[
    Column::new(
        "1.3.6.1.2.1.33.1.5.3.1.2",
        "input.bypass.voltage",
        "input.bypass.L{n}-N.voltage",
        Unit,
    ),
    Column::new(
        "1.3.6.1.2.1.33.1.5.3.1.3",
        "input.bypass.current",
        "input.bypass.L{n}.current",
        Tenths,
    ),
    Column::new(
        "1.3.6.1.2.1.33.1.5.3.1.4",
        "input.bypass.realpower",
        "input.bypass.L{n}.realpower",
        Unit,
    ),
];

const LINES: &[Lines] = &[
    Lines {
        count: Some("1.3.6.1.2.1.33.1.3.2.0"),
        columns: INPUT,
    },
    Lines {
        count: Some("1.3.6.1.2.1.33.1.4.3.0"),
        columns: OUTPUT,
    },
    Lines {
        count: Some("1.3.6.1.2.1.33.1.5.2.0"),
        columns: BYPASS,
    },
];

/// upsOutputSource: other(1), none(2), normal(3), bypass(4), battery(5), booster(6), reducer(7).
pub(crate) const OUTPUT_SOURCE_MAP: &[(i64, &[Flag])] = &[
    (2, &[Off]),
    (3, &[Ol]),
    (4, &[Ol, Bypass]),
    (5, &[Ob]),
    (6, &[Ol, Boost]),
    (7, &[Ol, Trim]),
];

const STATUS: &[StatusSource] = &[
    StatusSource::Enum {
        oid: OUTPUT_SOURCE,
        map: OUTPUT_SOURCE_MAP,
    },
    // upsBatteryStatus: batteryLow(3), batteryDepleted(4).
    StatusSource::Enum {
        oid: "1.3.6.1.2.1.33.1.2.1.0",
        map: &[(3, &[Lb]), (4, &[Lb])],
    },
    // upsTestResultsSummary: inProgress(5).
    StatusSource::Enum {
        oid: "1.3.6.1.2.1.33.1.7.3.0",
        map: &[(5, &[Test])],
    },
    // upsAlarmDescr values point into upsWellKnownAlarms (RFC 1628 §upsWellKnownAlarms).
    StatusSource::Alarms {
        column: "1.3.6.1.2.1.33.1.6.2.1.2",
        known: "1.3.6.1.2.1.33.1.6.3",
        map: &[
            (1, &[Rb]),     // upsAlarmBatteryBad
            (2, &[Ob]),     // upsAlarmOnBattery
            (3, &[Lb]),     // upsAlarmLowBattery
            (4, &[Lb]),     // upsAlarmDepletedBattery
            (8, &[Over]),   // upsAlarmOutputOverload
            (9, &[Bypass]), // upsAlarmOnBypass
            (11, &[Off]),   // upsAlarmOutputOffAsRequested
            (12, &[Off]),   // upsAlarmUpsOffAsRequested
            (14, &[Off]),   // upsAlarmUpsOutputOff
            (15, &[Off]),   // upsAlarmUpsSystemOff
            (24, &[Test]),  // upsAlarmTestInProgress
        ],
        quiet: &[],
    },
];

/// Huawei UPS5000 cards (recorded: V100R001C10) send line voltages in 0.1 V and frequencies in
/// 0.01 Hz: input 2369 and output 2199 beside a nominal 380 V, frequencies 5000/4999/4997
/// beside a nominal 50. Read as the RFC says they would be 2369 V and 500 Hz.
const QUIRKS: &[Quirk] = &[Quirk {
    ident_oid: IDENT_MANUFACTURER,
    ident_prefix: "HUAWEI",
    units: &[
        ("1.3.6.1.2.1.33.1.3.3.1.2", Hundredths), // upsInputFrequency
        ("1.3.6.1.2.1.33.1.3.3.1.3", Tenths),     // upsInputVoltage
        ("1.3.6.1.2.1.33.1.4.2.0", Hundredths),   // upsOutputFrequency
        ("1.3.6.1.2.1.33.1.4.4.1.2", Tenths),     // upsOutputVoltage
        ("1.3.6.1.2.1.33.1.5.1.0", Hundredths),   // upsBypassFrequency
        ("1.3.6.1.2.1.33.1.5.3.1.2", Tenths),     // upsBypassVoltage
    ],
}];

/// The whole UPS-MIB.
pub(crate) const MIB: Mib = Mib {
    scalars: SCALARS,
    lines: LINES,
    status: STATUS,
    presence: &[
        IDENT_MANUFACTURER,
        "1.3.6.1.2.1.33.1.1.2.0",
        OUTPUT_SOURCE,
        "1.3.6.1.2.1.33.1.2.1.0",
    ],
    quirks: QUIRKS,
};
