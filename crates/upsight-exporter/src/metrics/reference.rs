//! Renders `docs/metrics.md` from the metric tables; a test keeps the file current.

use std::fmt::Write as _;

use upsight_model::{FailureReason, StatusFlag};

use super::{
    LAST_SUCCESS, MEASURES, POLL_DURATION, SOURCE_UP, STALE, STATUS, STATUS_OTHER, UP,
    extra_labels, help, nut_vars,
};

/// Renders `docs/metrics.md` from the tables above.
pub fn render_reference() -> String {
    let mut out = String::from(
        "# Metrics reference\n\n<!-- Generated from crates/upsight-exporter/src/metrics.rs and \
         mapping/nut.rs by `UPSIGHT_BLESS=1 cargo test -p upsight-exporter metrics_reference`; \
         do not edit. -->\n\nEvery device series carries the label `ups` (the configured or \
         discovered device name, with the server's `prefix`). Values are in base SI units; \
         percentages are exported as ratios 0..1. No sample timestamps are sent. No serial \
         number, location, contact, MAC or IP address, host name, user name or free-text \
         description ever appears in names or values.\n\n## Device state\n\n\
         | metric | type | labels | meaning |\n|---|---|---|---|\n",
    );
    let fixed = [
        (UP, "gauge", "ups", help::UP),
        (STALE, "gauge", "ups", help::STALE),
        (LAST_SUCCESS, "gauge", "ups", help::LAST_SUCCESS),
        (STATUS, "gauge", "ups, flag", help::STATUS),
        (STATUS_OTHER, "gauge", "ups", help::STATUS_OTHER),
        (
            "ups_info",
            "info",
            "ups, source, driver, manufacturer, model, firmware, type",
            help::INFO,
        ),
    ];
    for (name, kind, labels, text) in fixed {
        let _ = writeln!(out, "| `{name}` | {kind} | {labels} | {text} |");
    }
    let flags: Vec<_> = StatusFlag::KNOWN.iter().map(|f| format!("`{f}`")).collect();
    let _ = write!(
        out,
        "\n`flag` takes exactly these values: {}. Any other token counts in `ups_status_other`.\n\
         \n## Measured values\n\nExported only while `ups_up` is 1.\n\n\
         | metric | labels | meaning | NUT variables |\n|---|---|---|---|\n",
        flags.join(", ")
    );
    for m in MEASURES {
        let labels = match extra_labels(m.quantity) {
            "" => "ups".to_owned(),
            extra => format!("ups, {extra}"),
        };
        let _ = writeln!(
            out,
            "| `{}` | {labels} | {} | {} |",
            m.name,
            m.description,
            nut_vars(m.quantity)
        );
    }
    let events: Vec<_> = upsight_model::EventKind::ALL
        .iter()
        .map(|k| format!("`{}`", k.as_str()))
        .collect();
    let _ = write!(
        out,
        "\n## Events, outages and energy\n\nDerived from the polls (see \
         [operations.md](operations.md)); kept across restarts when `state_dir` is set.\n\n\
         | metric | type | labels | meaning |\n|---|---|---|---|\n\
         | `{}_total` | counter | ups, event | {} |\n\
         | `{}_total` | counter | ups | {} |\n\
         | `{}` | gauge | ups | {} |\n\
         | `{}_total` | counter | ups | {} |\n\
         \n`event` takes exactly these values: {}.\n",
        super::TRANSITIONS_FAMILY,
        help::TRANSITIONS,
        super::ON_BATTERY_FAMILY,
        help::ON_BATTERY,
        super::LAST_TRANSFER,
        help::LAST_TRANSFER,
        super::ENERGY_FAMILY,
        help::ENERGY,
        events.join(", ")
    );
    let reasons: Vec<_> = FailureReason::ALL
        .iter()
        .map(|r| format!("`{}`", r.as_str()))
        .collect();
    let dropped: Vec<_> = upsight_http::DropReason::ALL
        .iter()
        .map(|r| format!("`{}`", r.as_str()))
        .collect();
    let _ = write!(
        out,
        "\n## Exporter self metrics\n\n| metric | type | labels | meaning |\n|---|---|---|---|\n\
         | `upsight_build_info` | info | version, revision | {} |\n\
         | `{SOURCE_UP}` | gauge | source | {} |\n\
         | `{POLL_DURATION}` | gauge | ups | {} |\n\
         | `upsight_polls_total` | counter | ups | {} |\n\
         | `upsight_poll_failures_total` | counter | ups, reason | {} |\n\
         | `upsight_alert_deliveries_total` | counter | target, outcome | {} |\n\
         | `upsight_alert_failures_total` | counter | target, reason | {} |\n\
         | `upsight_http_auth_failures_total` | counter | surface | {} |\n\
         | `upsight_http_rate_limited_total` | counter | surface | {} |\n\
         | `upsight_http_misdirected_total` | counter | surface | {} |\n\
         | `upsight_http_connections_dropped_total` | counter | surface, reason | {} |\n\
         \nThe `reason` of `upsight_poll_failures_total` takes exactly these values: {}. The \
         `reason` of `upsight_http_connections_dropped_total` takes exactly these values: {}.\n",
        help::BUILD,
        help::SOURCE_UP,
        help::POLL_DURATION,
        help::POLLS,
        help::POLL_FAILURES,
        help::ALERT_DELIVERIES,
        help::ALERT_FAILURES,
        help::HTTP_AUTH_FAILURES,
        help::HTTP_RATE_LIMITED,
        help::HTTP_MISDIRECTED,
        help::HTTP_CONNECTIONS_DROPPED,
        reasons.join(", "),
        dropped.join(", ")
    );
    render_fleet(&mut out);
    render_analytics(&mut out);
    render_snmp_profiles(&mut out);
    out
}

/// The heartbeat client's series (only with `[fleet]`).
fn render_fleet(out: &mut String) {
    use crate::fleet::Reason;
    let reasons: Vec<_> = Reason::ALL
        .iter()
        .map(|r| format!("`{}`", r.as_str()))
        .collect();
    let _ = write!(
        out,
        "\n## Fleet heartbeat client\n\nPresent only when `[fleet]` is configured (see \
         [operations.md](operations.md#joining-a-fleet)). No URL, identity or group is a label: \
         the plane knows them, and Prometheus adds the target's own labels.\n\n\
         | metric | type | labels | meaning |\n|---|---|---|---|\n\
         | `{}` | gauge | | {} |\n\
         | `{}_total` | counter | result | {} |\n\
         | `{}_total` | counter | result | {} |\n\
         | `{}_total` | counter | reason | {} |\n\
         | `{}` | gauge | | {} |\n\
         | `{}` | gauge | | {} |\n\
         \n`result` takes exactly the values `ok` and `error`; `reason` exactly these: {}. \
         These count what the exporter sent (hence `_sent`); \
         the plane counts what it received in its own series.\n",
        super::FLEET_REGISTERED,
        help::FLEET_REGISTERED,
        super::FLEET_REGISTRATIONS_FAMILY,
        help::FLEET_REGISTRATIONS,
        super::FLEET_HEARTBEATS_FAMILY,
        help::FLEET_HEARTBEATS,
        super::FLEET_FAILURES_FAMILY,
        help::FLEET_FAILURES,
        super::FLEET_LAST_SUCCESS,
        help::FLEET_LAST_SUCCESS,
        super::FLEET_INTERVAL,
        help::FLEET_INTERVAL,
        reasons.join(", ")
    );
}

fn render_analytics(out: &mut String) {
    let _ = write!(
        out,
        "\n## Analytics sink\n\nPresent only when `[analytics]` is configured (see \
         [analytics.md](analytics.md)). The detail itself (raw variables, serial numbers, \
         locations) goes to ClickHouse only; none of it is a label or a value here.\n\n\
         | metric | type | labels | meaning |\n|---|---|---|---|\n\
         | `{}` | gauge | subsystem | {} |\n\
         | `{}_total` | counter | | {} |\n\
         | `{}_total` | counter | | {} |\n\
         | `{}_total` | counter | | {} |\n\
         | `{}` | gauge | | {} |\n\
         | `{}` | gauge | | {} |\n\
         \n`subsystem` takes the value `analytics`.\n",
        super::SUBSYSTEM_UP,
        help::SUBSYSTEM_UP,
        super::ANALYTICS_INSERTED_FAMILY,
        help::ANALYTICS_INSERTED,
        super::ANALYTICS_DROPPED_FAMILY,
        help::ANALYTICS_DROPPED,
        super::ANALYTICS_FAILURES_FAMILY,
        help::ANALYTICS_FAILURES,
        super::ANALYTICS_QUEUE,
        help::ANALYTICS_QUEUE,
        super::ANALYTICS_CAPACITY,
        help::ANALYTICS_CAPACITY,
    );
}

/// How SNMP devices reach the same metrics: each profile's objects and the NUT variable each
/// one feeds (the table above then applies).
fn render_snmp_profiles(out: &mut String) {
    use upsight_proto::snmp::profile;
    let _ = write!(
        out,
        "\n## SNMP devices\n\nAn SNMP device is read with a MIB profile that turns each object into \
         the NUT variable it corresponds to, in NUT units; the tables above then apply unchanged, \
         so an SNMP UPS has exactly the metrics of a NUT UPS, with `ups_info{{source=\"snmp\"}}` \
         and `driver` = `snmp-<profile>`. A `TimeTicks` value is always hundredths of a second, \
         whatever the object. `N` is the line (phase) number. The system group (sysDescr, \
         sysObjectID, sysUpTime, sysContact, sysName, sysLocation) is read on every poll; only \
         sysUpTime becomes a metric (`ups_device_uptime_seconds`), the others are identity and \
         never leave the analytical path.\n"
    );
    for p in profile::ALL.iter().copied() {
        render_profile(out, p);
    }
}

fn render_profile(out: &mut String, p: &upsight_proto::snmp::profile::Profile) {
    let chosen = if p.sys_object_ids().is_empty() {
        "Read on its own when no vendor profile answers (any UPS-MIB agent), and under every \
         vendor profile for what the vendor MIB lacks."
            .to_owned()
    } else {
        let ids: Vec<_> = p
            .sys_object_ids()
            .iter()
            .map(|s| format!("`{s}`"))
            .collect();
        format!(
            "Chosen when sysObjectID starts with {} and its identity object answers, or when its \
             identity object answers on an agent with another sysObjectID. {}",
            ids.join(" or "),
            if p.has_ups_mib_fallback() {
                "The RFC 1628 rows below are read as well and fill what this MIB does not give."
            } else {
                ""
            }
        )
    };
    let _ = write!(
        out,
        "\n### {} (`profile = \"{}\"`)\n\n{chosen}\n\n| object | NUT variable | conversion |\n|---|---|---|\n",
        p.name, p.id
    );
    for row in p.describe() {
        let _ = writeln!(out, "| `{}` | {} | {} |", row.oid, row.vars, row.conversion);
    }
    for (vendor, units) in p.quirks() {
        let list: Vec<_> = units
            .iter()
            .map(|(oid, c)| format!("`{oid}` {c}"))
            .collect();
        let _ = write!(
            out,
            "\nWhen the identity starts with `{vendor}`, these objects use other units: {}.\n",
            list.join(", ")
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn metrics_reference_is_current() {
        let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../../docs/metrics.md");
        let want = render_reference();
        if std::env::var_os("UPSIGHT_BLESS").is_some() {
            let mut f = std::fs::File::create(path).unwrap();
            std::io::Write::write_all(&mut f, want.as_bytes()).unwrap();
        }
        let got = std::fs::read_to_string(path).unwrap_or_default();
        assert!(
            got == want,
            "docs/metrics.md is stale: run `UPSIGHT_BLESS=1 cargo test -p upsight-exporter metrics_reference`"
        );
    }
}
