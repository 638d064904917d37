//! Every metric name and HELP text the exporter emits, defined once. The measured-value rows
//! follow [`Quantity`] order and carry the NUT variables they come from (from the mapping
//! table); [`render_reference`] renders them as `docs/metrics.md`.

use std::sync::LazyLock;

use upsight_model::Quantity;

use crate::mapping::{self, Labels};

mod reference;

pub use reference::render_reference;

/// `ups_up{ups}`.
pub const UP: &str = "ups_up";
/// `ups_stale{ups}`.
pub const STALE: &str = "ups_stale";
/// `ups_last_success_timestamp_seconds{ups}`.
pub const LAST_SUCCESS: &str = "ups_last_success_timestamp_seconds";
/// `ups_status{ups,flag}`.
pub const STATUS: &str = "ups_status";
/// `ups_status_other{ups}`.
pub const STATUS_OTHER: &str = "ups_status_other";
/// `ups_info{ups,source,driver,manufacturer,model,firmware,type}` (OpenMetrics info family `ups`).
pub const INFO_FAMILY: &str = "ups";
/// `upsight_build_info{version,revision}` (info family `upsight_build`).
pub const BUILD_FAMILY: &str = "upsight_build";
/// `upsight_poll_duration_seconds{ups}`.
pub const POLL_DURATION: &str = "upsight_poll_duration_seconds";
/// `upsight_source_up{source}`.
pub const SOURCE_UP: &str = "upsight_source_up";
/// `upsight_polls_total{ups}` (counter family `upsight_polls`).
pub const POLLS_FAMILY: &str = "upsight_polls";
/// `upsight_poll_failures_total{ups,reason}` (counter family `upsight_poll_failures`).
pub const POLL_FAILURES_FAMILY: &str = "upsight_poll_failures";

/// `ups_transitions_total{ups,event}` (counter family `ups_transitions`).
pub const TRANSITIONS_FAMILY: &str = "ups_transitions";
/// `ups_on_battery_seconds_total{ups}` (counter family `ups_on_battery_seconds`).
pub const ON_BATTERY_FAMILY: &str = "ups_on_battery_seconds";
/// `ups_last_transfer_timestamp_seconds{ups}`.
pub const LAST_TRANSFER: &str = "ups_last_transfer_timestamp_seconds";
/// `ups_energy_joules_total{ups}` (counter family `ups_energy_joules`).
pub const ENERGY_FAMILY: &str = "ups_energy_joules";

/// `upsight_alert_deliveries_total{target,outcome}`.
pub const ALERT_DELIVERIES_FAMILY: &str = "upsight_alert_deliveries";
/// `upsight_alert_failures_total{target,reason}`.
pub const ALERT_FAILURES_FAMILY: &str = "upsight_alert_failures";

/// `upsight_fleet_registered`.
pub const FLEET_REGISTERED: &str = "upsight_fleet_registered";
/// `upsight_fleet_registrations_sent_total{result}` (the plane's own
/// `upsight_fleet_registrations_total` counts what it received).
pub const FLEET_REGISTRATIONS_FAMILY: &str = "upsight_fleet_registrations_sent";
/// `upsight_fleet_heartbeats_sent_total{result}` (the plane's own
/// `upsight_fleet_heartbeats_total` counts what it received).
pub const FLEET_HEARTBEATS_FAMILY: &str = "upsight_fleet_heartbeats_sent";
/// `upsight_fleet_request_failures_total{reason}`.
pub const FLEET_FAILURES_FAMILY: &str = "upsight_fleet_request_failures";
/// `upsight_fleet_last_heartbeat_success_timestamp_seconds`.
pub const FLEET_LAST_SUCCESS: &str = "upsight_fleet_last_heartbeat_success_timestamp_seconds";
/// `upsight_fleet_heartbeat_interval_seconds`.
pub const FLEET_INTERVAL: &str = "upsight_fleet_heartbeat_interval_seconds";

/// `upsight_http_auth_failures_total{surface}` (the plane exports the same family).
pub const HTTP_AUTH_FAILURES_FAMILY: &str = "upsight_http_auth_failures";
/// `upsight_http_rate_limited_total{surface}`.
pub const HTTP_RATE_LIMITED_FAMILY: &str = "upsight_http_rate_limited";
/// `upsight_http_misdirected_total{surface}`.
pub const HTTP_MISDIRECTED_FAMILY: &str = "upsight_http_misdirected";
/// `upsight_http_connections_dropped_total{surface,reason}`.
pub const HTTP_CONNECTIONS_DROPPED_FAMILY: &str = "upsight_http_connections_dropped";
/// `upsight_subsystem_up{subsystem}` (today `analytics`, present only when configured).
pub const SUBSYSTEM_UP: &str = "upsight_subsystem_up";
/// `upsight_analytics_rows_inserted_total`.
pub const ANALYTICS_INSERTED_FAMILY: &str = "upsight_analytics_rows_inserted";
/// `upsight_analytics_rows_dropped_total`.
pub const ANALYTICS_DROPPED_FAMILY: &str = "upsight_analytics_rows_dropped";
/// `upsight_analytics_queue_rows`.
pub const ANALYTICS_QUEUE: &str = "upsight_analytics_queue_rows";
/// `upsight_analytics_queue_capacity_rows`.
pub const ANALYTICS_CAPACITY: &str = "upsight_analytics_queue_capacity_rows";
/// `upsight_analytics_failures_total`.
pub const ANALYTICS_FAILURES_FAMILY: &str = "upsight_analytics_failures";

/// HELP texts of the fixed families.
pub mod help {
    /// `upsight_http_auth_failures_total`.
    pub const HTTP_AUTH_FAILURES: &str = "Requests refused by authentication (401, or 403 for a role that may not call the route); surface is exporter";
    /// `upsight_http_rate_limited_total`.
    pub const HTTP_RATE_LIMITED: &str =
        "Requests refused with 429 by the per-client rate limit; surface is exporter";
    /// `upsight_http_misdirected_total`.
    pub const HTTP_MISDIRECTED: &str = "Requests refused with 421 because they named a host this server does not answer for (DNS-rebinding check, allowed_hosts); surface is exporter";
    /// `upsight_http_connections_dropped_total`.
    pub const HTTP_CONNECTIONS_DROPPED: &str = "Connections closed without being served normally, by reason: over_cap (max_connections open), header_timeout (no complete request head within header_read_timeout), head_too_large (431), write_stall (the client stopped reading); surface is exporter";
    /// `upsight_subsystem_up`.
    pub const SUBSYSTEM_UP: &str = "1 while an optional subsystem works, else 0. analytics: the ClickHouse schema is in place and the latest insert succeeded (0 while the circuit breaker is open; polling and /metrics are never affected)";
    /// `upsight_analytics_rows_inserted_total`.
    pub const ANALYTICS_INSERTED: &str =
        "Queued rows (raw variables, events, outages) ClickHouse acknowledged";
    /// `upsight_analytics_rows_dropped_total`.
    pub const ANALYTICS_DROPPED: &str = "Rows dropped instead of written: the queue was full (ClickHouse slow or down), or ClickHouse refused the batch three times";
    /// `upsight_analytics_queue_rows`.
    pub const ANALYTICS_QUEUE: &str =
        "Rows waiting for ClickHouse, the batch being written included";
    /// `upsight_analytics_queue_capacity_rows`.
    pub const ANALYTICS_CAPACITY: &str =
        "The queue bound in rows ([analytics] queue_rows); beyond it rows are dropped and counted";
    /// `upsight_analytics_failures_total`.
    pub const ANALYTICS_FAILURES: &str = "Failed ClickHouse inserts, schema attempts and retries";
    /// `ups_up`.
    pub const UP: &str = "1 if the latest poll of the device returned fresh data, else 0. Polling runs in the background (one poll shared by every reader; small UPS cards allow few connections)";
    /// `ups_stale`.
    pub const STALE: &str = "1 if the server answers but reports the device's data as not fresh (NUT DATA-STALE, DRIVER-NOT-CONNECTED or WAIT), else 0";
    /// `ups_last_success_timestamp_seconds`.
    pub const LAST_SUCCESS: &str = "Unix time of the latest poll that returned fresh data";
    /// `ups_status`.
    pub const STATUS: &str =
        "1 if the status flag is set (NUT ups.status token), else 0; only while ups_up is 1";
    /// `ups_status_other`.
    pub const STATUS_OTHER: &str = "Number of ups.status tokens outside the fixed flag set";
    /// `ups_info`.
    pub const INFO: &str = "Device facts that identify no one (NUT driver.name or snmp-<profile>, device.mfr, device.model, ups.firmware, device.type; source nut or snmp); never a serial number or location";
    /// `ups_transitions_total`.
    pub const TRANSITIONS: &str = "Events detected from status transitions (upsmon's vocabulary: on_battery, on_line, low_battery, ...), stamped with the poll's time; kept across restarts with a state directory";
    /// `ups_on_battery_seconds_total`.
    pub const ON_BATTERY: &str = "Seconds the device ran on battery, summed over sample intervals (gaps over five poll intervals are not counted)";
    /// `ups_last_transfer_timestamp_seconds`.
    pub const LAST_TRANSFER: &str =
        "Unix time of the latest transfer to or from battery (on_battery or on_line event)";
    /// `ups_energy_joules_total`.
    pub const ENERGY: &str = "Energy through the UPS output, integrated from real power (trapezoid; gaps over five poll intervals are not integrated)";
    /// `upsight_alert_deliveries_total`.
    pub const ALERT_DELIVERIES: &str =
        "Alerts per target by outcome: sent, failed, dropped (queue full), suppressed (cooldown)";
    /// `upsight_alert_failures_total`.
    pub const ALERT_FAILURES: &str = "Failed alert deliveries per target by reason (refused_address, dns, connect, timeout, http_status, tls)";
    /// `upsight_fleet_registered`.
    pub const FLEET_REGISTERED: &str = "1 while the exporter is registered with the fleet control plane ([fleet]), else 0 (before the first registration, and after the plane answered 404 or 409 until it registers again)";
    /// `upsight_fleet_registrations_sent_total`.
    pub const FLEET_REGISTRATIONS: &str =
        "Registrations sent to the fleet control plane, by result (ok or error)";
    /// `upsight_fleet_heartbeats_sent_total`.
    pub const FLEET_HEARTBEATS: &str = "Heartbeats sent to the fleet control plane, by result (ok: accepted; error: any failure, see upsight_fleet_request_failures_total)";
    /// `upsight_fleet_request_failures_total`.
    pub const FLEET_FAILURES: &str = "Failed registrations and heartbeats by reason (connect, timeout, rate_limited, unauthorized, refused, unknown_member, lease_mismatch, http_status, invalid_response); polling and /metrics are never affected";
    /// `upsight_fleet_last_heartbeat_success_timestamp_seconds`.
    pub const FLEET_LAST_SUCCESS: &str =
        "Unix time of the last heartbeat the fleet control plane accepted; 0 before the first";
    /// `upsight_fleet_heartbeat_interval_seconds`.
    pub const FLEET_INTERVAL: &str = "Heartbeat interval the fleet control plane asked for at the last registration (each heartbeat is sent within +-10 % of it); 0 before the first registration";
    /// `upsight_build_info`.
    pub const BUILD: &str = "upsight version and git revision";
    /// `upsight_poll_duration_seconds`.
    pub const POLL_DURATION: &str = "Wall time of the device's latest poll (a whole NUT server is polled in one pipelined exchange)";
    /// `upsight_source_up`.
    pub const SOURCE_UP: &str = "1 if the latest poll reached the source (a NUT server or an SNMP agent, named by its configuration path such as nut[0] or snmp[1]) and got a valid answer, else 0; absent before the first poll. With LIST UPS discovery this is the only series that shows an unreachable server";
    /// `upsight_polls_total`.
    pub const POLLS: &str = "Polls of the device attempted";
    /// `upsight_poll_failures_total`.
    pub const POLL_FAILURES: &str = "Polls of the device that returned no fresh data, by reason";
}

/// A measured-value metric.
#[derive(Debug, Clone, Copy)]
pub struct Measure {
    /// The quantity it exports.
    pub quantity: Quantity,
    /// Full metric name (unit suffix included).
    pub name: &'static str,
    /// What it means; the NUT variables are appended to form the HELP text.
    pub description: &'static str,
}

const fn m(quantity: Quantity, name: &'static str, description: &'static str) -> Measure {
    Measure {
        quantity,
        name,
        description,
    }
}

use Quantity as Q;

/// Measured-value metrics, in [`Quantity`] order.
pub const MEASURES: &[Measure] = &[
    m(
        Q::BatteryCharge,
        "ups_battery_charge_ratio",
        "Battery charge, 0..1",
    ),
    m(
        Q::BatteryChargeLow,
        "ups_battery_charge_low_ratio",
        "Charge at which the UPS reports low battery, 0..1",
    ),
    m(
        Q::BatteryChargeWarning,
        "ups_battery_charge_warning_ratio",
        "Charge at which the UPS warns, 0..1",
    ),
    m(
        Q::BatteryRuntime,
        "ups_battery_runtime_seconds",
        "Estimated runtime on battery",
    ),
    m(
        Q::BatteryRuntimeLow,
        "ups_battery_runtime_low_seconds",
        "Runtime at which the UPS reports low battery",
    ),
    m(
        Q::BatteryVoltage,
        "ups_battery_voltage_volts",
        "Battery voltage",
    ),
    m(
        Q::BatteryVoltageNominal,
        "ups_battery_voltage_nominal_volts",
        "Nominal battery voltage",
    ),
    m(
        Q::BatteryCurrent,
        "ups_battery_current_amperes",
        "Battery current",
    ),
    m(
        Q::BatteryTemperature,
        "ups_battery_temperature_celsius",
        "Battery temperature",
    ),
    m(
        Q::InputVoltage,
        "ups_input_voltage_volts",
        "Input voltage, per phase where reported",
    ),
    m(
        Q::InputVoltageNominal,
        "ups_input_voltage_nominal_volts",
        "Nominal input voltage",
    ),
    m(
        Q::InputFrequency,
        "ups_input_frequency_hertz",
        "Input frequency",
    ),
    m(
        Q::InputFrequencyNominal,
        "ups_input_frequency_nominal_hertz",
        "Nominal input frequency",
    ),
    m(
        Q::InputCurrent,
        "ups_input_current_amperes",
        "Input current, per phase where reported",
    ),
    m(
        Q::InputCurrentNominal,
        "ups_input_current_nominal_amperes",
        "Nominal input current",
    ),
    m(
        Q::InputTransferLow,
        "ups_input_transfer_low_volts",
        "Input voltage below which the UPS transfers to battery",
    ),
    m(
        Q::InputTransferHigh,
        "ups_input_transfer_high_volts",
        "Input voltage above which the UPS transfers to battery",
    ),
    m(
        Q::InputRealPower,
        "ups_input_real_power_watts",
        "Input real power",
    ),
    m(
        Q::InputApparentPower,
        "ups_input_apparent_power_voltamperes",
        "Input apparent power",
    ),
    m(
        Q::InputBypassVoltage,
        "ups_input_bypass_voltage_volts",
        "Bypass input voltage",
    ),
    m(
        Q::InputBypassFrequency,
        "ups_input_bypass_frequency_hertz",
        "Bypass input frequency",
    ),
    m(
        Q::OutputVoltage,
        "ups_output_voltage_volts",
        "Output voltage, per phase where reported",
    ),
    m(
        Q::OutputVoltageNominal,
        "ups_output_voltage_nominal_volts",
        "Nominal output voltage",
    ),
    m(
        Q::OutputFrequency,
        "ups_output_frequency_hertz",
        "Output frequency",
    ),
    m(
        Q::OutputFrequencyNominal,
        "ups_output_frequency_nominal_hertz",
        "Nominal output frequency",
    ),
    m(
        Q::OutputCurrent,
        "ups_output_current_amperes",
        "Output current, per phase where reported",
    ),
    m(
        Q::OutputCurrentNominal,
        "ups_output_current_nominal_amperes",
        "Nominal output current",
    ),
    m(
        Q::OutputRealPower,
        "ups_output_real_power_watts",
        "Output real power, per phase where reported",
    ),
    m(
        Q::OutputApparentPower,
        "ups_output_apparent_power_voltamperes",
        "Output apparent power, per phase where reported",
    ),
    m(
        Q::OutputPowerFactor,
        "ups_output_power_factor_ratio",
        "Output power factor, 0..1",
    ),
    m(
        Q::Load,
        "ups_load_ratio",
        "Load relative to the UPS's capacity, 0..1, per phase where reported",
    ),
    m(
        Q::RealPower,
        "ups_real_power_watts",
        "Real power drawn by the load; when the device does not measure it, ups.realpower.nominal x ups.load",
    ),
    m(
        Q::RealPowerNominal,
        "ups_real_power_nominal_watts",
        "Nominal real power capacity",
    ),
    m(
        Q::ApparentPower,
        "ups_apparent_power_voltamperes",
        "Apparent power drawn by the load (NUT ups.power is VA, not W)",
    ),
    m(
        Q::ApparentPowerNominal,
        "ups_apparent_power_nominal_voltamperes",
        "Nominal apparent power capacity",
    ),
    m(
        Q::Efficiency,
        "ups_efficiency_ratio",
        "Efficiency (output / input real power), 0..1",
    ),
    m(
        Q::UpsTemperature,
        "ups_temperature_celsius",
        "UPS internal temperature",
    ),
    m(
        Q::AmbientTemperature,
        "ups_ambient_temperature_celsius",
        "Ambient temperature",
    ),
    m(
        Q::AmbientHumidity,
        "ups_ambient_humidity_ratio",
        "Ambient relative humidity, 0..1",
    ),
    m(
        Q::OutletVoltage,
        "ups_outlet_voltage_volts",
        "Outlet voltage",
    ),
    m(
        Q::OutletCurrent,
        "ups_outlet_current_amperes",
        "Outlet current",
    ),
    m(
        Q::OutletRealPower,
        "ups_outlet_real_power_watts",
        "Outlet real power",
    ),
    m(
        Q::OutletApparentPower,
        "ups_outlet_apparent_power_voltamperes",
        "Outlet apparent power",
    ),
    m(
        Q::DeviceUptime,
        "ups_device_uptime_seconds",
        "Time since the device last started",
    ),
];

/// The measure of a quantity (MEASURES is in Quantity order; a test keeps it so).
pub fn measure(quantity: Quantity) -> &'static Measure {
    &MEASURES[quantity as usize]
}

/// HELP text per measure: description plus the NUT variables it comes from.
pub static MEASURE_HELP: LazyLock<Vec<String>> = LazyLock::new(|| {
    MEASURES
        .iter()
        .map(|m| format!("{} (NUT {})", m.description, nut_vars(m.quantity)))
        .collect()
});

/// The NUT variables behind a quantity, as written in HELP and docs.
pub fn nut_vars(quantity: Quantity) -> String {
    let rows = mapping::nut::TABLE
        .iter()
        .filter(|r| r.quantity == quantity);
    let names: Vec<String> = rows
        .map(|r| match r.labels {
            Labels::None => r.var.to_owned(),
            Labels::Phase => format!("{}, {}", r.var, r.var.replacen('.', ".<phase>.", 1)),
            Labels::PhaseOnly => r.var.replacen('.', ".<phase>.", 1),
            Labels::Outlet => r.var.replacen('.', ".<n>.", 1),
        })
        .collect();
    names.join(", ")
}

/// The labels a measure can carry besides `ups`.
pub fn extra_labels(quantity: Quantity) -> &'static str {
    let rows = || {
        mapping::nut::TABLE
            .iter()
            .filter(move |r| r.quantity == quantity)
    };
    if rows().any(|r| r.labels == Labels::Outlet) {
        "outlet"
    } else if rows().any(|r| matches!(r.labels, Labels::Phase | Labels::PhaseOnly)) {
        "phase (optional)"
    } else {
        ""
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn measures_follow_quantity_order() {
        for (i, m) in MEASURES.iter().enumerate() {
            assert_eq!(m.quantity as usize, i, "{} is out of order", m.name);
        }
    }

    #[test]
    fn every_mapped_quantity_has_a_measure_with_its_unit_suffix() {
        use upsight_model::Unit;
        for row in mapping::nut::TABLE {
            let m = measure(row.quantity);
            let suffix = match row.quantity.unit() {
                Unit::Ratio => "_ratio",
                Unit::Seconds => "_seconds",
                Unit::Volts => "_volts",
                Unit::Amperes => "_amperes",
                Unit::Hertz => "_hertz",
                Unit::Watts => "_watts",
                Unit::VoltAmperes => "_voltamperes",
                Unit::Celsius => "_celsius",
            };
            assert!(
                m.name.ends_with(suffix),
                "{} should end in {suffix}",
                m.name
            );
        }
    }
}
