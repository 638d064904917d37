//! APC PowerNet-MIB, UPS branch (`1.3.6.1.4.1.318.1.1.1`). Rows for one variable are listed
//! HighPrec/Extd first, then Adv, then Basic, so the most precise object that answers wins.
//! HighPrec objects are tenths; `TimeTicks` runtimes are converted by type. Status follows NUT's
//! `drivers/apc-mib.c` except where noted.

use super::table::Flag::{
    Alarm, Boost, Bypass, Cal, Chrg, Eco, Lb, Ob, Off, Ol, Over, Rb, Test, Trim,
};
use super::table::{Absent, Conv, Flag, Mib, Scalar, StatusSource};

use Conv::{Tenths, Unit};

/// upsBasicIdentModel.0: the probe. An APC rack PDU shares the sysObjectID prefix but has no
/// UPS branch, so this does not answer there.
pub(crate) const IDENT_MODEL: &str = "1.3.6.1.4.1.318.1.1.1.1.1.1.0";
const OUTPUT_STATUS: &str = "1.3.6.1.4.1.318.1.1.1.4.1.1.0";
const BATTERY_STATUS: &str = "1.3.6.1.4.1.318.1.1.1.2.1.1.0";
const STATE_OUTPUT: &str = "1.3.6.1.4.1.318.1.1.1.11.1.1.0";

const fn num(oid: &'static str, var: &'static str, conv: Conv) -> Scalar {
    Scalar::num(oid, var, conv, Absent::Never)
}

/// Adv objects answer −1 when the UPS does not support them.
const fn adv(oid: &'static str, var: &'static str) -> Scalar {
    Scalar::num(oid, var, Unit, Absent::Is(&[-1]))
}

/// HighPrec gauges never go negative; a negative answer is "unsupported".
const fn high_prec(oid: &'static str, var: &'static str) -> Scalar {
    Scalar::num(oid, var, Tenths, Absent::Negative)
}

const SCALARS: &[Scalar] = &[
    Scalar::text(IDENT_MODEL, "device.model"),
    Scalar::text("1.3.6.1.4.1.318.1.1.1.1.2.1.0", "ups.firmware"),
    Scalar::text("1.3.6.1.4.1.318.1.1.1.1.2.3.0", "device.serial"),
    high_prec("1.3.6.1.4.1.318.1.1.1.2.3.1.0", "battery.charge"),
    adv("1.3.6.1.4.1.318.1.1.1.2.2.1.0", "battery.charge"),
    // Extd may be negative (a cold battery); HighPrec and Adv read 0 below zero, and Adv says
    // 255 when no sensor is present.
    num(
        "1.3.6.1.4.1.318.1.1.1.2.3.13.0",
        "battery.temperature",
        Tenths,
    ),
    high_prec("1.3.6.1.4.1.318.1.1.1.2.3.2.0", "battery.temperature"),
    Scalar::num(
        "1.3.6.1.4.1.318.1.1.1.2.2.2.0",
        "battery.temperature",
        Unit,
        Absent::Is(&[-1, 255]),
    ),
    // TimeTicks (4294967295 = not present, dropped by type); a plain integer would be seconds.
    adv("1.3.6.1.4.1.318.1.1.1.2.2.3.0", "battery.runtime"),
    high_prec("1.3.6.1.4.1.318.1.1.1.2.3.4.0", "battery.voltage"),
    adv("1.3.6.1.4.1.318.1.1.1.2.2.8.0", "battery.voltage"),
    high_prec("1.3.6.1.4.1.318.1.1.1.2.3.3.0", "battery.voltage.nominal"),
    adv("1.3.6.1.4.1.318.1.1.1.2.2.7.0", "battery.voltage.nominal"),
    num("1.3.6.1.4.1.318.1.1.1.2.3.5.0", "battery.current", Tenths),
    adv("1.3.6.1.4.1.318.1.1.1.2.2.9.0", "battery.current"),
    adv("1.3.6.1.4.1.318.1.1.1.2.2.5.0", "battery.packs"),
    adv("1.3.6.1.4.1.318.1.1.1.2.2.6.0", "battery.packs.bad"),
    high_prec("1.3.6.1.4.1.318.1.1.1.3.3.1.0", "input.voltage"),
    adv("1.3.6.1.4.1.318.1.1.1.3.2.1.0", "input.voltage"),
    high_prec("1.3.6.1.4.1.318.1.1.1.3.3.2.0", "input.voltage.maximum"),
    adv("1.3.6.1.4.1.318.1.1.1.3.2.2.0", "input.voltage.maximum"),
    high_prec("1.3.6.1.4.1.318.1.1.1.3.3.3.0", "input.voltage.minimum"),
    adv("1.3.6.1.4.1.318.1.1.1.3.2.3.0", "input.voltage.minimum"),
    high_prec("1.3.6.1.4.1.318.1.1.1.3.3.4.0", "input.frequency"),
    adv("1.3.6.1.4.1.318.1.1.1.3.2.4.0", "input.frequency"),
    adv("1.3.6.1.4.1.318.1.1.1.5.2.3.0", "input.transfer.low"),
    adv("1.3.6.1.4.1.318.1.1.1.5.2.2.0", "input.transfer.high"),
    high_prec("1.3.6.1.4.1.318.1.1.1.4.3.1.0", "output.voltage"),
    adv("1.3.6.1.4.1.318.1.1.1.4.2.1.0", "output.voltage"),
    adv("1.3.6.1.4.1.318.1.1.1.5.2.1.0", "output.voltage.nominal"),
    high_prec("1.3.6.1.4.1.318.1.1.1.4.3.2.0", "output.frequency"),
    adv("1.3.6.1.4.1.318.1.1.1.4.2.2.0", "output.frequency"),
    high_prec("1.3.6.1.4.1.318.1.1.1.4.3.4.0", "output.current"),
    adv("1.3.6.1.4.1.318.1.1.1.4.2.4.0", "output.current"),
    high_prec("1.3.6.1.4.1.318.1.1.1.4.3.3.0", "ups.load"),
    adv("1.3.6.1.4.1.318.1.1.1.4.2.3.0", "ups.load"),
    Scalar::num(
        "1.3.6.1.4.1.318.1.1.1.4.2.8.0",
        "ups.realpower",
        Unit,
        Absent::Negative,
    ),
    Scalar::num(
        "1.3.6.1.4.1.318.1.1.1.4.2.9.0",
        "ups.power",
        Unit,
        Absent::Negative,
    ),
    // Negative values are reason codes (−2 load too low, −4 on battery…), not efficiencies.
    high_prec("1.3.6.1.4.1.318.1.1.1.4.3.5.0", "ups.efficiency"),
];

/// upsBasicOutputStatus. NUT's mapping, except: bypass states also say OL (the load is fed from
/// the mains) and the two test states say TEST. NUT maps softwareBypass(6) to OFF; kept.
/// chargerOnly(26) and distributedEnergyReserve(27) are unknown to NUT: no token.
const OUTPUT_STATUS_MAP: &[(i64, &[Flag])] = &[
    (2, &[Ol]),          // onLine
    (3, &[Ob]),          // onBattery
    (4, &[Ol, Boost]),   // onSmartBoost
    (5, &[Off]),         // timedSleeping
    (6, &[Off]),         // softwareBypass
    (7, &[Off]),         // off
    (9, &[Ol, Bypass]),  // switchedBypass
    (10, &[Ol, Bypass]), // hardwareFailureBypass
    (11, &[Off]),        // sleepingUntilPowerReturn
    (12, &[Ol, Trim]),   // onSmartTrim
    (13, &[Ol, Eco]),    // ecoMode
    (14, &[Ol]),         // hotStandby
    (15, &[Ol, Test]),   // onBatteryTest
    (16, &[Ol, Bypass]), // emergencyStaticBypass
    (17, &[Ol, Bypass]), // staticBypassStandby
    (19, &[Ol]),         // spotMode
    (20, &[Ol, Eco]),    // eConversion
    (21, &[Ol]),         // chargerSpotmode
    (22, &[Ol]),         // inverterSpotmode
    (24, &[Ol]),         // batteryDischargeSpotmode
    (25, &[Ol]),         // inverterStandby
    (28, &[Ol, Test]),   // selfTest
];

/// upsBasicStateOutputState flags (1 = leftmost character).
const STATE_OUTPUT_BITS: &[(usize, &[Flag])] = &[
    (1, &[Alarm]),   // Abnormal Condition Present
    (2, &[Ob]),      // On Battery
    (3, &[Lb]),      // Low Battery
    (4, &[Ol]),      // On Line
    (5, &[Rb]),      // Replace Battery
    (7, &[Boost]),   // AVR Boost Active
    (8, &[Trim]),    // AVR Trim Active
    (9, &[Over]),    // Overload
    (10, &[Cal]),    // Runtime Calibration
    (12, &[Bypass]), // Bypass Manual
    (13, &[Bypass]), // Bypass Software
    (29, &[Test]),   // Self Test In Progress
    (58, &[Off]),    // Off
];

const STATUS: &[StatusSource] = &[
    StatusSource::Enum {
        oid: OUTPUT_STATUS,
        map: OUTPUT_STATUS_MAP,
    },
    // upsBasicBatteryStatus: batteryLow(3).
    StatusSource::Enum {
        oid: BATTERY_STATUS,
        map: &[(3, &[Lb])],
    },
    // upsAdvBatteryReplaceIndicator: batteryNeedsReplacing(2).
    StatusSource::Enum {
        oid: "1.3.6.1.4.1.318.1.1.1.2.2.4.0",
        map: &[(2, &[Rb])],
    },
    // upsAdvBatteryChargerStatus: boostCharging(5), equalizationCharging(8).
    StatusSource::Enum {
        oid: "1.3.6.1.4.1.318.1.1.1.2.2.17.0",
        map: &[(5, &[Chrg]), (8, &[Chrg])],
    },
    // upsAdvTestDiagnosticsResults: testInProgress(4).
    StatusSource::Enum {
        oid: "1.3.6.1.4.1.318.1.1.1.7.2.3.0",
        map: &[(4, &[Test])],
    },
    // upsAdvTestCalibrationResults: inProgress(3) (NUT's APCC_OID_CAL_RESULTS).
    StatusSource::Enum {
        oid: "1.3.6.1.4.1.318.1.1.1.7.2.6.0",
        map: &[(3, &[Cal])],
    },
    StatusSource::Bits {
        oid: STATE_OUTPUT,
        map: STATE_OUTPUT_BITS,
    },
];

/// The APC UPS branch.
pub(crate) const MIB: Mib = Mib {
    scalars: SCALARS,
    lines: &[],
    status: STATUS,
    presence: &[IDENT_MODEL, OUTPUT_STATUS, BATTERY_STATUS, STATE_OUTPUT],
    quirks: &[],
};
