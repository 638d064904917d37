//! The effective configuration as JSON for `GET /api/v1/config`: every secret replaced by
//! `"***"` when set (never its length or a hint), addresses and names as configured.

use serde_json::{Value, json};

use super::{Config, SnmpSecurity};

const MASK: &str = "***";

fn masked_opt<T>(value: Option<&T>) -> Value {
    value.map_or(Value::Null, |_| Value::from(MASK))
}

/// The masked view.
pub fn masked(config: &Config) -> Value {
    let nut: Vec<Value> = config
        .nut
        .iter()
        .map(|s| {
            json!({
                "address": s.endpoint(),
                "ups": s.ups.as_ref().map(|u| u.iter().map(|n| n.as_str().to_owned()).collect::<Vec<_>>()),
                "prefix": s.prefix,
                "username": s.username,
                "password": masked_opt(s.password.as_ref()),
                "connect_timeout": humantime::format_duration(s.connect_timeout).to_string(),
                "read_timeout": humantime::format_duration(s.read_timeout).to_string(),
                "poll_timeout": humantime::format_duration(s.poll_timeout).to_string(),
            })
        })
        .collect();
    let snmp: Vec<Value> = config
        .snmp
        .iter()
        .map(|d| {
            let security = match &d.security {
                SnmpSecurity::V1 { .. } => json!({ "version": "1", "community": MASK }),
                SnmpSecurity::V2c { .. } => json!({ "version": "2c", "community": MASK }),
                SnmpSecurity::V3(usm) => json!({
                    "version": "3",
                    "username": usm.username,
                    "auth_protocol": usm.auth.as_ref().map(|(p, _)| p.to_string()),
                    "auth_password": masked_opt(usm.auth.as_ref()),
                    "priv_protocol": usm.privacy.as_ref().map(|(p, _)| format!("{p:?}")),
                    "priv_password": masked_opt(usm.privacy.as_ref()),
                    "context": usm.context,
                }),
            };
            json!({
                "name": d.name.as_str(),
                "address": d.endpoint(),
                "security": security,
                "profile": d.profile.unwrap_or("auto"),
                "timeout": humantime::format_duration(d.timeout).to_string(),
                "retries": d.retries,
                "max_repetitions": d.max_repetitions,
                "max_varbinds": d.max_varbinds,
                "poll_timeout": humantime::format_duration(d.poll_timeout).to_string(),
            })
        })
        .collect();
    json!({
        "listen": config.listen.to_string(),
        "interval": humantime::format_duration(config.interval).to_string(),
        "state_dir": config.state_dir.as_ref().map(|d| d.display().to_string()),
        "state_key_file": config.state_key_file.as_ref().map(|p| p.display().to_string()),
        "price_per_kwh": config.price_per_kwh,
        "http": {
            "viewer_token": masked_opt(config.http.viewer.as_ref()),
            "admin_token": masked_opt(config.http.admin.as_ref()),
            "metrics_token": masked_opt(config.http.metrics.as_ref()),
            "trusted_proxies": config.http.trusted_proxies.len(),
            "allowed_origins": config.http.allowed_origins,
            "allowed_hosts": config.http.allowed_hosts.iter().collect::<Vec<_>>(),
            "max_connections": config.http.limits.max_connections,
            "header_read_timeout":
                humantime::format_duration(config.http.limits.header_read_timeout).to_string(),
            "max_header_bytes": config.http.limits.max_header_bytes,
        },
        "nut": nut,
        "snmp": snmp,
        "fleet": config.fleet.as_ref().map(|f| json!({
            "url": f.url.as_str(),
            "group": f.group.as_str(),
            "identity": f.identity.as_ref().map(|i| i.as_str()),
            "token": MASK,
            "scrape_target": f.scrape_target,
            "timeout": humantime::format_duration(f.timeout).to_string(),
        })),
        "analytics": config.analytics.as_ref().map(|a| json!({
            "url": a.settings.url,
            "database": a.settings.database,
            "user": a.settings.user,
            "password": masked_opt(a.settings.password.as_ref()),
            "ca_file": a.settings.ca_file.as_ref().map(|p| p.display().to_string()),
            "timeout": humantime::format_duration(a.settings.timeout).to_string(),
            "site": a.site,
            "queue_rows": a.capacity_rows,
            "batch_rows": a.batch_rows,
            "flush_interval": humantime::format_duration(a.flush_interval).to_string(),
            "retention": a.retention.map(|r| humantime::format_duration(r).to_string()),
        })),
    })
}

/// A runtime device as JSON with every secret replaced by `"***"`.
pub fn masked_runtime(device: &super::RuntimeDevice) -> Value {
    let mut value = serde_json::to_value(device).unwrap_or(Value::Null);
    for section in ["nut", "snmp"] {
        if let Some(map) = value.get_mut(section).and_then(Value::as_object_mut) {
            for key in ["password", "community", "auth_password", "priv_password"] {
                if let Some(v) = map.get_mut(key)
                    && !v.is_null()
                {
                    *v = Value::from(MASK);
                }
            }
        }
    }
    value
}
