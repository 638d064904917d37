// What the SNMP profiles must decode from each recording in fixtures/snmprec, worked out by hand
// from the recording files (OID|TAG|VALUE lines), not by running the decoder. The e2e test polls
// real snmpsim serving these recordings and compares; upsight-proto's unit tests `include!` this
// file and check `decode(detect(..))` against it when UPSIGHT_DEVICE_CORPUS is set.
//
// Plain `//` comments and std only: the file is also pulled into another crate with `include!`,
// where an inner `//!` doc comment would not compile.
//
// Units are NUT's: percent, seconds, V, A, Hz, W, VA, °C. Tags: 2 Integer, 4 OctetString,
// 4x hex string, 6 OID, 66 Gauge32, 67 TimeTicks (hundredths of a second → ÷100).
// Each entry lists the important readings, not every variable decode emits.

/// The decoded readings one recording must yield.
#[derive(Debug, Clone, Copy)]
pub struct Expected {
    /// Recording file name without `.snmprec` (also the snmpsim community).
    pub recording: &'static str,
    /// The profile `detect` must pick (`Profile::id`).
    pub profile: &'static str,
    /// `(NUT variable, value text in NUT units)`.
    pub vars: &'static [(&'static str, &'static str)],
    /// The whole `ups.status` value.
    pub status: &'static str,
}

/// Every recording the profiles can read.
pub const EXPECTED: &[Expected] = &[
    // APC Smart-UPS RT 3000 XL (AP9619). sysObjectID 1.3.6.1.4.1.318.1.3.2.17 (APC) and
    // upsBasicIdentModel answers → apc. Prefix P = 1.3.6.1.4.1.318.1.1.1.
    //   P.1.1.1.0|4|Smart-UPS RT 3000 XL; P.1.2.1.0|4|4.1; P.1.2.3.0|4|NS083300xxxx
    //   ups.mfr: the profile's "APC" (the MIB has no manufacturer object)
    //   P.2.2.3.0|67|1952600 upsAdvBatteryRunTimeRemaining: TimeTicks ÷100 = 19526 s
    //   P.2.3.1.0|66|1000 upsHighPrecBatteryCapacity 0.1 % → 100
    //   P.2.3.2.0|66|210 upsHighPrecBatteryTemperature 0.1 °C → 21
    //   P.2.3.4.0|2|2180 upsHighPrecBatteryActualVoltage 0.1 V → 218
    //   P.2.2.5.0|2|3 battery packs (P.2.2.6.0|2|-1 bad packs: unsupported, absent)
    //   P.3.3.1.0|66|2230 → 223 V; P.3.3.4.0|66|500 → 50 Hz (HighPrec input)
    //   P.4.3.1.0|66|2300 → 230 V; P.4.3.2.0|66|500 → 50 Hz; P.4.3.4.0|66|40 → 4 A
    //   P.4.1.1.0|2|2 upsBasicOutputStatus onLine → OL; P.2.2.4.0|2|1 no replace → no RB
    Expected {
        recording: "apc_surt3000xl",
        profile: "apc",
        vars: &[
            ("device.model", "Smart-UPS RT 3000 XL"),
            ("ups.firmware", "4.1"),
            ("device.serial", "NS083300xxxx"),
            ("ups.mfr", "APC"),
            ("battery.runtime", "19526"),
            ("battery.charge", "100"),
            ("battery.temperature", "21"),
            ("battery.voltage", "218"),
            ("battery.packs", "3"),
            ("input.voltage", "223"),
            ("input.frequency", "50"),
            ("output.voltage", "230"),
            ("output.frequency", "50"),
            ("output.current", "4"),
            ("device.contact", "<private>"),
            ("device.type", "ups"),
            ("driver.name", "snmp-apc"),
        ],
        status: "OL",
    },
    // CyberPower OL2200RTXL2U. sysObjectID 1.3.6.1.4.1.3808.1.1.3 and upsBaseIdentModel answers
    // → cyberpower. Prefix P = 1.3.6.1.4.1.3808.1.1.1.
    //   P.1.1.1.0|4|OL2200RTXL2U; P.1.2.1.0|4|S1A17; P.1.2.3.0|4|ABCFT1000001
    //   1.3.6.1.2.1.33.1.1.1.0|4|CPS (UPS-MIB fallback → device.mfr); ups.mfr "CyberPower"
    //   P.2.2.1.0|66|100 → 100 %; P.2.2.3.0|66|36 → 36 °C
    //   P.2.2.4.0|67|174000 TimeTicks ÷100 → 1740 s
    //   P.3.2.1.0|66|1195 0.1 VAC → 119.5; P.3.2.4.0|66|600 0.1 Hz → 60
    //   P.4.2.1.0|66|1202 → 120.2 V; P.4.2.2.0|2|600 → 60 Hz; P.4.2.4.0|66|65 0.1 A → 6.5
    //   1.3.6.1.2.1.1.3.0|67|1795221300 ÷100 → 17952213 s
    //   P.4.1.1.0|2|2 onLine → OL; P.2.1.1.0|2|2 normal; P.2.2.5.0|2|1 no replace
    Expected {
        recording: "cyberpower",
        profile: "cyberpower",
        vars: &[
            ("device.model", "OL2200RTXL2U"),
            ("ups.firmware", "S1A17"),
            ("device.serial", "ABCFT1000001"),
            ("device.mfr", "CPS"),
            ("ups.mfr", "CyberPower"),
            ("battery.charge", "100"),
            ("battery.temperature", "36"),
            ("battery.runtime", "1740"),
            ("input.voltage", "119.5"),
            ("input.frequency", "60"),
            ("output.voltage", "120.2"),
            ("output.frequency", "60"),
            ("output.current", "6.5"),
            ("device.uptime", "17952213"),
            ("device.description", "Power Manager"),
            ("driver.name", "snmp-cyberpower"),
        ],
        status: "OL",
    },
    // Eaton PW9130 behind a ConnectUPS card. sysObjectID 1.3.6.1.4.1.534.1 and xupsIdentModel
    // answers → eaton-xups. Prefix P = 1.3.6.1.4.1.534.1.
    //   P.1.2.0|4|"PW9130 1000VA-R" + trailing spaces (trimmed); P.1.3.0|4|"  FP: 0.13  INV: 1.29"
    //   (leading spaces trimmed, inner kept); no xupsIdentManufacturer, so
    //   1.3.6.1.2.1.33.1.1.1.0|4|Eaton Corporation gives device.mfr (and ups.mfr)
    //   P.2.1.0|2|1948 s; P.2.2.0|2|39 V; P.2.4.0|2|100 %
    //   P.3.1.0|2|500 0.1 Hz → 50; input row P.3.4.1.2.1|2|234 (one row) → input.voltage
    //   P.4.1.0|2|35 → ups.load; P.4.2.0|2|500 → 50 Hz; P.4.3.0|2|1 line:
    //   P.4.4.1.2.1|2|229 V, P.4.4.1.3.1|2|2 A, P.4.4.1.4.1|2|246 W (= ups.realpower, one row)
    //   P.5.1.0|2|500 → 50 Hz; P.5.3.1.2.1|2|234 → input.bypass.voltage
    //   P.6.1.0|2|25 xupsEnvAmbientTemp → ups.temperature
    //   P.4.5.0|2|3 xupsOutputSource normal → OL; P.2.5.0|2|4 ABM resting → no token
    Expected {
        recording: "eatonups_eaton-connectups",
        profile: "eaton-xups",
        vars: &[
            ("device.model", "PW9130 1000VA-R"),
            ("ups.firmware", "FP: 0.13  INV: 1.29"),
            ("device.mfr", "Eaton Corporation"),
            ("battery.runtime", "1948"),
            ("battery.voltage", "39"),
            ("battery.charge", "100"),
            ("input.frequency", "50"),
            ("input.voltage", "234"),
            ("ups.load", "35"),
            ("output.frequency", "50"),
            ("output.voltage", "229"),
            ("output.current", "2"),
            ("output.realpower", "246"),
            ("ups.realpower", "246"),
            ("input.bypass.frequency", "50"),
            ("input.bypass.voltage", "234"),
            ("ups.temperature", "25"),
            ("device.description", "ConnectUPS Web/SNMP Card V4.36"),
            ("driver.name", "snmp-eaton-xups"),
        ],
        status: "OL",
    },
    // Eaton 9PX 2200i (partial walk: no system group but sysObjectID, no UPS-MIB).
    // sysObjectID 1.3.6.1.4.1.705.1 (MGE) and xupsIdentModel answers → eaton-xups.
    // Prefix P = 1.3.6.1.4.1.534.1.
    //   P.1.2.0|4x|4561746f6e…3355 = "Eaton 9PX 2200i RT 3U"; P.1.3.0|4x|494e56… = "INV: 01.17.4945"
    //   P.2.1.0|2|17218 s; P.2.2.0|2|78 V; P.2.3.0|2|0 A; P.2.4.0|2|100 %
    //   P.3.1.0|2|500 → 50 Hz; P.3.3.0|2|1 line: P.3.4.1.{2,3,4}.1 = 243 V, 0 A, 0 W
    //   P.4.1.0|2|9 %; P.4.2.0|2|500 → 50 Hz; P.4.3.0|2|1 line: P.4.4.1.{2,3,4}.1 = 231 V, 0 A, 50 W
    //   P.5.1.0|2|500 → 50 Hz; P.5.2.0|2|1 line: P.5.3.1.2.1|2|243 V
    //   P.6.1.0|2|24 → ups.temperature
    //   P.10.1.0|2|230, P.10.2.0|2|230, P.10.3.0|2|2200 W, P.10.4.0|2|500 0.1 Hz → 50
    //   P.4.5.0|2|3 normal → OL; P.2.5.0|2|4 resting → no token
    Expected {
        recording: "eaton-9px-partial",
        profile: "eaton-xups",
        vars: &[
            ("device.model", "Eaton 9PX 2200i RT 3U"),
            ("ups.firmware", "INV: 01.17.4945"),
            ("battery.runtime", "17218"),
            ("battery.voltage", "78"),
            ("battery.current", "0"),
            ("battery.charge", "100"),
            ("input.frequency", "50"),
            ("input.voltage", "243"),
            ("input.current", "0"),
            ("input.realpower", "0"),
            ("ups.load", "9"),
            ("output.frequency", "50"),
            ("output.voltage", "231"),
            ("output.current", "0"),
            ("output.realpower", "50"),
            ("ups.realpower", "50"),
            ("input.bypass.frequency", "50"),
            ("input.bypass.voltage", "243"),
            ("ups.temperature", "24"),
            ("output.voltage.nominal", "230"),
            ("input.voltage.nominal", "230"),
            ("ups.realpower.nominal", "2200"),
            ("output.frequency.nominal", "50"),
        ],
        status: "OL",
    },
    // Eaton 93E 80 kVA, three-phase, XUPS + UPS-MIB. sysObjectID 1.3.6.1.4.1.705.1 (MGE) and
    // xupsIdentModel answers → eaton-xups. X = 1.3.6.1.4.1.534.1, U = 1.3.6.1.2.1.33.1.
    //   X.1.1.0|4|EATON; X.1.2.0|4x = "EATON 93E 80"; X.1.3.0|4x = "INV: 2.08.0011"
    //   U.1.4.0|4x = "Network Management Card V6.00 JH" → ups.firmware.aux
    //   X.2.1.0|2|65535 s wins over U.2.3.0|2|1092 min (= 65520 s); a saturated value, kept
    //   X.2.2.0|2|521 V; X.2.3.0|2|0 A; X.2.4.0|2|100 %; U.2.7.0|2|25 °C (XUPS has none)
    //   X.3.1.0|2|500 → 50 Hz; X.3.3.0|2|3 lines: X.3.4.1.2.{1,2,3} = 227/227/233 V,
    //   X.3.4.1.3.* = 21 A each (U.3.3.1.4.* = 210 × 0.1 A agrees), X.3.4.1.4.* = 0 W
    //   X.4.1.0|2|21 % → ups.load; X.4.2.0|2|490 → 49 Hz; X.4.3.0|2|3 lines:
    //   X.4.4.1.2.* = 220 V; X.4.4.1.3.* = 27/18/15 A; X.4.4.1.4.* = 5100/3600/2700 W,
    //   ups.realpower = 5100 + 3600 + 2700 = 11400
    //   U.4.4.1.5.* = 21/16/12 % → output.L{n}.power.percent (XUPS has no per-line load)
    //   X.5.1.0|2|500 → 50 Hz; X.5.2.0|2|3: X.5.3.1.2.* = 227/230/231 V
    //   X.6.1.0|2|25 → ups.temperature
    //   X.10.1.0 220, X.10.2.0 220, X.10.3.0 72090 W, X.10.4.0|2|500 → 50 Hz;
    //   U.9.5.0|2|80100 VA; U.9.2.0|2|50 in RFC tenths → 5 Hz (the agent's own error, decoded
    //   as the RFC says); U.9.7.0|2|3 min → 180 s
    //   system: 1.3.0|67|67423732 → 674237.32 s; 1.4.0|4x "Computer Room Manager";
    //   1.5.0 DUMSYS-23; 1.6.0|4x "Computer Room"; 1.1.0|4x "EATON 93E 80"
    //   X.4.5.0|2|3 normal → OL; X.2.5.0|2|0 (not an ABM value) → no token
    Expected {
        recording: "eaton-93e-80",
        profile: "eaton-xups",
        vars: &[
            ("device.mfr", "EATON"),
            ("device.model", "EATON 93E 80"),
            ("ups.firmware", "INV: 2.08.0011"),
            ("ups.firmware.aux", "Network Management Card V6.00 JH"),
            ("battery.runtime", "65535"),
            ("battery.voltage", "521"),
            ("battery.current", "0"),
            ("battery.charge", "100"),
            ("battery.temperature", "25"),
            ("input.frequency", "50"),
            ("input.L1-N.voltage", "227"),
            ("input.L2-N.voltage", "227"),
            ("input.L3-N.voltage", "233"),
            ("input.L1.current", "21"),
            ("input.L2.current", "21"),
            ("input.L3.current", "21"),
            ("input.L1.realpower", "0"),
            ("ups.load", "21"),
            ("output.frequency", "49"),
            ("output.L1-N.voltage", "220"),
            ("output.L2-N.voltage", "220"),
            ("output.L3-N.voltage", "220"),
            ("output.L1.current", "27"),
            ("output.L2.current", "18"),
            ("output.L3.current", "15"),
            ("output.L1.realpower", "5100"),
            ("output.L2.realpower", "3600"),
            ("output.L3.realpower", "2700"),
            ("ups.realpower", "11400"),
            ("output.L1.power.percent", "21"),
            ("output.L2.power.percent", "16"),
            ("output.L3.power.percent", "12"),
            ("input.bypass.frequency", "50"),
            ("input.bypass.L1-N.voltage", "227"),
            ("input.bypass.L2-N.voltage", "230"),
            ("input.bypass.L3-N.voltage", "231"),
            ("ups.temperature", "25"),
            ("output.voltage.nominal", "220"),
            ("input.voltage.nominal", "220"),
            ("ups.realpower.nominal", "72090"),
            ("output.frequency.nominal", "50"),
            ("ups.power.nominal", "80100"),
            // upsConfigInputFreq 50: whole hertz, not the RFC's tenths (a raw value below 100).
            ("input.frequency.nominal", "50"),
            ("battery.runtime.low", "180"),
            ("device.uptime", "674237.32"),
            ("device.contact", "Computer Room Manager"),
            ("device.sysname", "DUMSYS-23"),
            ("device.location", "Computer Room"),
            ("device.description", "EATON 93E 80"),
        ],
        status: "OL",
    },
    // EAST EA9080 (iStars card), three-phase UPS-MIB only. sysObjectID 1.3.6.1.4.1.40614 (no
    // vendor profile), upsIdentManufacturer answers → ups-mib. U = 1.3.6.1.2.1.33.1.
    // This agent appends `.0` to table rows (U.3.3.1.3.1.0); the line is the first index arc.
    //   U.1.1.0|4x = "EAST" + spaces; U.1.2.0|4x = "EA9080"; U.1.3.0|4x = "V8.0";
    //   U.1.4.0|4x = "iStars_SWV053"
    //   U.2.3.0|2|0 min → 0 s; U.2.4.0|2|100 %; U.2.5.0|2|2130 0.1 V → 213; U.2.6.0|2|0;
    //   U.2.7.0|2|36 °C
    //   U.3.2.0|2|3 lines: U.3.3.1.2.1.0|2|500 → input.frequency 50 (line 1);
    //   U.3.3.1.3.{1,2,3}.0 = 236/236/234 V; U.3.3.1.4.*.0 = 0 → 0 A
    //   U.4.2.0|2|500 → 50 Hz; U.4.3.0|2|3 lines: U.4.4.1.2.*.0 = 219 V;
    //   U.4.4.1.4.*.0 = 0 W → ups.realpower 0; U.4.4.1.5.*.0 = 20/26/30 % → ups.load 30 (max)
    //   U.5.1.0|2|500 → 50 Hz; U.5.2.0|2|3: U.5.3.1.2.*.0 = 235 V
    //   U.9.1.0 220, U.9.2.0 500 → 50, U.9.3.0 220, U.9.4.0 500 → 50, U.9.5.0 80000 VA,
    //   U.9.6.0 0 W, U.9.9.0 175, U.9.10.0 300
    //   system: 1.3.0|67|1439524052 → 14395240.52 s; 1.4.0 EAST; 1.5.0 DUMSYS-70; 1.6.0 Location
    //   U.4.1.0|2|3 normal → OL; U.2.1.0|2|2 normal; U.6.1.0|2|0 alarms
    Expected {
        recording: "eastpower-istars-swv053",
        profile: "ups-mib",
        vars: &[
            ("device.mfr", "EAST"),
            ("device.model", "EA9080"),
            ("ups.firmware", "V8.0"),
            ("ups.firmware.aux", "iStars_SWV053"),
            ("battery.runtime", "0"),
            ("battery.charge", "100"),
            ("battery.voltage", "213"),
            ("battery.current", "0"),
            ("battery.temperature", "36"),
            ("input.frequency", "50"),
            ("input.L1-N.voltage", "236"),
            ("input.L2-N.voltage", "236"),
            ("input.L3-N.voltage", "234"),
            ("input.L1.current", "0"),
            ("output.frequency", "50"),
            ("output.L1-N.voltage", "219"),
            ("output.L2-N.voltage", "219"),
            ("output.L3-N.voltage", "219"),
            ("output.L1.power.percent", "20"),
            ("output.L2.power.percent", "26"),
            ("output.L3.power.percent", "30"),
            ("ups.load", "30"),
            ("ups.realpower", "0"),
            ("input.bypass.frequency", "50"),
            ("input.bypass.L1-N.voltage", "235"),
            ("input.bypass.L2-N.voltage", "235"),
            ("input.bypass.L3-N.voltage", "235"),
            ("input.voltage.nominal", "220"),
            ("input.frequency.nominal", "50"),
            ("output.voltage.nominal", "220"),
            ("output.frequency.nominal", "50"),
            ("ups.power.nominal", "80000"),
            ("ups.realpower.nominal", "0"),
            ("input.transfer.low", "175"),
            ("input.transfer.high", "300"),
            ("device.uptime", "14395240.52"),
            ("device.contact", "EAST"),
            ("device.sysname", "DUMSYS-70"),
            ("device.location", "Location"),
        ],
        status: "OL",
    },
    // Huawei UPS5000 behind a GSE200M (Linux net-snmp sysObjectID 1.3.6.1.4.1.8072.3.2.10, no
    // vendor profile), upsIdentManufacturer answers → ups-mib. U = 1.3.6.1.2.1.33.1.
    // This agent does not follow RFC 1628's units: it sends line voltages in 0.1 V and
    // frequencies in 0.01 Hz (2369 beside a nominal 380 V; 5000 beside a nominal 50). The
    // UPS-MIB profile's HUAWEI quirk reads them so: 236.9 V, 50 Hz.
    //   U.1.1.0 HUAWEI; U.1.2.0 UPS5000; U.1.3.0 V100R001C10B003SP00
    //   U.2.3.0|2|-1, U.2.4.0|2|-1, U.2.7.0|2|-1: "unsupported", absent
    //   U.2.5.0|2|5385 0.1 V → 538.5; U.2.6.0|2|0 → 0
    //   U.3.2.0|2|1 line: U.3.3.1.2.1|66|5000 0.01 Hz → 50; U.3.3.1.3.1|66|2369 0.1 V → 236.9;
    //   U.3.3.1.4.1|66|152 0.1 A → 15.2
    //   U.4.2.0|2|4999 → 49.99; U.4.3.0|2|1 line: U.4.4.1.2.1|66|2199 → 219.9; U.4.4.1.3.1|66|183 → 18.3;
    //   U.4.4.1.4.1|66|34 W → output.realpower and ups.realpower; U.4.4.1.5.1|66|8 → ups.load
    //   U.5.1.0|2|4997 → 49.97; U.5.2.0|2|1: U.5.3.1.2.1|66|2358 → 235.8, .3.1|66|0 → 0, .4.1|66|34
    //   U.9.2.0|2|50 → 50 Hz (below 100: whole hertz); U.9.3.0|2|380; U.9.4.0|2|50 → 50;
    //   U.9.5.0|2|6 (VA as sent: the card's rating units are not known); U.9.7.0|2|5 min → 300 s
    //   system: 1.1.0|4x = "Linux GSE200M 2.6.27-SPEAr310 #591 Wed Sep 4 16:10:51 CST 2013
    //   armv5tejl"; 1.3.0|67|2003011998 → 20030119.98 s; 1.4.0 Unknow; 1.5.0 DUMSYS-57
    //   U.4.1.0|2|3 normal → OL; U.2.1.0|2|2 normal
    Expected {
        recording: "huawei-gse200m",
        profile: "ups-mib",
        vars: &[
            ("device.mfr", "HUAWEI"),
            ("device.model", "UPS5000"),
            ("ups.firmware", "V100R001C10B003SP00"),
            ("battery.voltage", "538.5"),
            ("battery.current", "0"),
            ("input.frequency", "50"),
            ("input.voltage", "236.9"),
            ("input.current", "15.2"),
            ("output.frequency", "49.99"),
            ("output.voltage", "219.9"),
            ("output.current", "18.3"),
            ("output.realpower", "34"),
            ("ups.realpower", "34"),
            ("ups.load", "8"),
            ("input.bypass.frequency", "49.97"),
            ("input.bypass.voltage", "235.8"),
            ("input.bypass.current", "0"),
            ("input.bypass.realpower", "34"),
            ("input.frequency.nominal", "50"),
            ("output.voltage.nominal", "380"),
            ("output.frequency.nominal", "50"),
            ("ups.power.nominal", "6"),
            ("battery.runtime.low", "300"),
            (
                "device.description",
                "Linux GSE200M 2.6.27-SPEAr310 #591 Wed Sep 4 16:10:51 CST 2013 armv5tejl",
            ),
            ("device.uptime", "20030119.98"),
            ("device.contact", "Unknow"),
            ("device.sysname", "DUMSYS-57"),
            ("device.location", "Unknow"),
        ],
        status: "OL",
    },
    // Santak Array 3A3-90K behind an Ingrasys WebPower card, three-phase UPS-MIB only.
    // sysObjectID 1.3.6.1.4.1.2468.1.2.1 (no vendor profile), upsIdentManufacturer answers
    // → ups-mib. U = 1.3.6.1.2.1.33.1. Several objects arrive as TimeTicks 0: by type, 0 s / 0.
    //   U.1.1.0 Santak; U.1.2.0|4x = "Array-3A3" + spaces; U.1.3.0|4x = "00.00";
    //   U.1.4.0|4x = "WebPower Pro II Mini Card v5.27 (SN 11120051132123)"
    //   U.2.3.0|67|0 → 0 s; U.2.4.0|2|100 %; U.2.5.0|2|2730 0.1 V → 273; U.2.6.0|67|0 → 0;
    //   U.2.7.0|2|32 °C
    //   U.3.2.0|2|3 lines: U.3.3.1.2.1|2|500 → 50 Hz; U.3.3.1.3.{1,2,3} = 228/229/227 V;
    //   U.3.3.1.4.1|67|0, .4.2|2|0, .4.3|2|0 → 0 A
    //   U.4.2.0|67|0 → output.frequency 0; U.4.3.0|2|3 lines: U.4.4.1.2.* = 220 V;
    //   U.4.4.1.3.* = 400/280/410 × 0.1 A → 40/28/41; U.4.4.1.4.* = 7900/5500/7700 W,
    //   ups.realpower = 21100; U.4.4.1.5.* = 33 % each → ups.load 33
    //   U.5.1.0|67|0 → input.bypass.frequency 0; U.5.2.0|2|0 lines → no bypass rows
    //   U.9.1.0 220, U.9.2.0 500 → 50, U.9.3.0 220, U.9.4.0 500 → 50, U.9.5.0 60000 VA,
    //   U.9.6.0 48000 W, U.9.9.0 160, U.9.10.0 300
    //   system: 1.3.0|67|8205439 → 82054.39 s; 1.4.0|4x "Technical Support Team";
    //   1.5.0 DUMSYS-93; 1.6.0 empty → absent
    //   U.4.1.0|2|3 normal → OL; U.2.1.0|2|2 normal; U.7.3.0|2|1 donePass
    Expected {
        recording: "ingrasys-power-switch",
        profile: "ups-mib",
        vars: &[
            ("device.mfr", "Santak"),
            ("device.model", "Array-3A3"),
            ("ups.firmware", "00.00"),
            ("battery.runtime", "0"),
            ("battery.charge", "100"),
            ("battery.voltage", "273"),
            ("battery.current", "0"),
            ("battery.temperature", "32"),
            ("input.frequency", "50"),
            ("input.L1-N.voltage", "228"),
            ("input.L2-N.voltage", "229"),
            ("input.L3-N.voltage", "227"),
            ("input.L1.current", "0"),
            ("input.L2.current", "0"),
            ("output.frequency", "0"),
            ("output.L1-N.voltage", "220"),
            ("output.L1.current", "40"),
            ("output.L2.current", "28"),
            ("output.L3.current", "41"),
            ("output.L1.realpower", "7900"),
            ("output.L2.realpower", "5500"),
            ("output.L3.realpower", "7700"),
            ("ups.realpower", "21100"),
            ("output.L1.power.percent", "33"),
            ("ups.load", "33"),
            ("input.bypass.frequency", "0"),
            ("input.voltage.nominal", "220"),
            ("input.frequency.nominal", "50"),
            ("output.frequency.nominal", "50"),
            ("ups.power.nominal", "60000"),
            ("ups.realpower.nominal", "48000"),
            ("input.transfer.low", "160"),
            ("input.transfer.high", "300"),
            ("device.uptime", "82054.39"),
            ("device.contact", "Technical Support Team"),
            ("device.sysname", "DUMSYS-93"),
        ],
        status: "OL",
    },
    // Phoenixtec (PPC) single-phase UPS, UPS-MIB only; CRLF lines. sysObjectID
    // 1.3.6.1.4.1.935.1.1.1 (no vendor profile); upsIdentManufacturer is empty but
    // upsOutputSource answers → ups-mib. U = 1.3.6.1.2.1.33.1.
    //   U.1.1.0, U.1.2.0, U.1.3.0 empty → absent; U.1.4.0|4|3.6.CY504.c → ups.firmware.aux
    //   U.2.3.0|2|0 min → 0 s; U.2.4.0|2|100 %; U.2.5.0|2|410 0.1 V → 41; U.2.6.0|2|0;
    //   U.2.7.0|2|31 °C
    //   U.3.2.0|2|1 line (rows .2 and .3 are zero padding, ignored): U.3.3.1.2.1|2|500 → 50 Hz,
    //   U.3.3.1.3.1|2|238 V, U.3.3.1.4.1|2|0 A, U.3.3.1.5.1|2|0 W
    //   U.4.2.0|2|500 → 50 Hz; U.4.3.0|2|1 line: U.4.4.1.2.1|2|231 V, .3.1 0 A, .4.1 0 W
    //   (→ ups.realpower 0), .5.1 0 % (→ ups.load 0)
    //   U.5.1.0|2|0 → input.bypass.frequency 0; U.5.2.0|2|0 lines → no bypass rows
    //   U.9.1.0 230, U.9.2.0 500 → 50, U.9.3.0 230, U.9.4.0 500 → 50, U.9.5.0 1150 VA,
    //   U.9.7.0|2|120 min → 7200 s
    //   system: 1.3.0|67|21658542 → 216585.42 s; 1.4.0 Administrator; 1.5.0, 1.6.0, 1.1.0
    //   "My Kert UPS"
    //   U.4.1.0|2|3 normal → OL; U.2.1.0|2|2 normal
    Expected {
        recording: "phoenixtec-power",
        profile: "ups-mib",
        vars: &[
            ("ups.firmware.aux", "3.6.CY504.c"),
            ("battery.runtime", "0"),
            ("battery.charge", "100"),
            ("battery.voltage", "41"),
            ("battery.current", "0"),
            ("battery.temperature", "31"),
            ("input.frequency", "50"),
            ("input.voltage", "238"),
            ("input.current", "0"),
            ("input.realpower", "0"),
            ("output.frequency", "50"),
            ("output.voltage", "231"),
            ("output.current", "0"),
            ("output.realpower", "0"),
            ("ups.realpower", "0"),
            ("ups.load", "0"),
            ("input.bypass.frequency", "0"),
            ("input.voltage.nominal", "230"),
            ("input.frequency.nominal", "50"),
            ("output.voltage.nominal", "230"),
            ("output.frequency.nominal", "50"),
            ("ups.power.nominal", "1150"),
            ("battery.runtime.low", "7200"),
            ("device.uptime", "216585.42"),
            ("device.contact", "Administrator"),
            ("device.sysname", "My Kert UPS"),
            ("device.location", "My Kert UPS"),
            ("device.description", "My Kert UPS"),
        ],
        status: "OL",
    },
];

/// Recordings `detect` must reject: no MIB the profiles read.
// apc-8932: APC rack PDU (sysObjectID 1.3.6.1.4.1.318.1.3.4.6), no 318.1.1.1 UPS branch.
// emerson-network-power (13400), vertiv-power (476), powerwalker (935.10): vendor trees only.
// tripplite-poweralert (850): a transfer switch; its UPS-MIB has only upsIdentAgentSoftwareVersion
// and upsAlarmsPresent, neither probe (upsIdentManufacturer, upsOutputSource) answers.
pub const NOT_UPS: &[&str] = &[
    "apc-8932",
    "emerson-network-power",
    "powerwalker",
    "tripplite-poweralert",
    "vertiv-power",
];
