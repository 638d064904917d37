//! `GET /api/v1/openapi.json`: the API described as OpenAPI 3.1 (a test keeps the paths in step
//! with the routers, and `docs/api.md` points here).

use axum::Json;
use serde_json::{Value, json};

fn error_responses() -> Value {
    let error = json!({ "$ref": "#/components/responses/Error" });
    json!({
        "400": error, "401": error, "403": error, "404": error, "413": error, "429": error,
        "500": error, "503": error
    })
}

fn op(summary: &str, tag: &str, ok: &Value, params: &Value) -> Value {
    let mut responses = error_responses();
    if let Some(map) = responses.as_object_mut() {
        map.insert(
            "200".into(),
            json!({ "description": "OK", "content": { "application/json": { "schema": ok } } }),
        );
    }
    json!({ "summary": summary, "tags": [tag], "parameters": params, "responses": responses })
}

fn write_op(summary: &str, ok: &str, params: &Value) -> Value {
    let mut responses = error_responses();
    if let Some(map) = responses.as_object_mut() {
        map.insert(ok.into(), json!({ "description": "Done" }));
        map.insert(
            "409".into(),
            json!({ "$ref": "#/components/responses/Error" }),
        );
        map.insert(
            "422".into(),
            json!({ "$ref": "#/components/responses/Error" }),
        );
    }
    json!({ "summary": summary, "tags": ["devices"], "parameters": params, "responses": responses })
}

fn name_param() -> Value {
    json!([{ "name": "name", "in": "path", "required": true, "schema": { "type": "string", "pattern": "^[A-Za-z0-9_.-]{1,64}$" } }])
}

fn object() -> Value {
    json!({ "type": "object" })
}

/// The analytical routes (ClickHouse): viewer token required even on loopback (403 without
/// one), 404 without `[analytics]`, 503 when ClickHouse does not answer.
fn analytics_paths(query: &dyn Fn(&str, Value, &str) -> Value) -> Value {
    use upsight_analytics::api::{BATTERY_PATH, DEVICES_PATH, HISTORY_PATH, OUTAGES_PATH};
    let device = json!({ "name": "device", "in": "path", "required": true, "schema": { "type": "string", "pattern": "^[A-Za-z0-9_.-]{1,64}$" } });
    let from = query(
        "from",
        json!({ "type": "integer", "minimum": 0 }),
        "Unix seconds, inclusive (default: `to` minus 24 h)",
    );
    let to = query(
        "to",
        json!({ "type": "integer", "minimum": 0 }),
        "Unix seconds, exclusive (default: now)",
    );
    let limit = query(
        "limit",
        json!({ "type": "integer", "minimum": 1, "maximum": upsight_analytics::reads::MAX_ROWS }),
        "most rows (default 1000)",
    );
    let mut paths = serde_json::Map::new();
    paths.insert(DEVICES_PATH.into(), json!({ "get": op("Analytics: devices that reported this serial number, with their identity (serial, location, contact, addresses)", "analytics", &object(), &json!([
        { "name": "serial", "in": "query", "required": true, "schema": { "type": "string", "minLength": 1, "maxLength": upsight_analytics::api::MAX_SERIAL_LEN } }
    ])) }));
    paths.insert(HISTORY_PATH.into(), json!({ "get": op("Analytics: every raw variable of every poll of a device over a period", "analytics", &object(), &json!([
        device, from, to, limit, query("variable", json!({ "type": "string" }), "only this variable (NUT name or OID)")
    ])) }));
    paths.insert(BATTERY_PATH.into(), json!({ "get": op("Analytics: battery health per hour or day: average charge, runtime and runtime per full charge", "analytics", &object(), &json!([
        device, from, to, query("bucket", json!({ "enum": ["hour", "day"] }), "bucket size (default day)")
    ])) }));
    paths.insert(OUTAGES_PATH.into(), json!({ "get": op("Analytics: finished outages of this site over a period, summarised and listed (newest first)", "analytics", &object(), &json!([from, to, limit])) }));
    Value::Object(paths)
}

/// The document.
pub fn build() -> Value {
    let query = |name: &str, schema: Value, description: &str| json!({ "name": name, "in": "query", "required": false, "schema": schema, "description": description });
    let mut document = json!({
        "openapi": "3.1.0",
        "info": {
            "title": "upsight exporter API",
            "version": env!("CARGO_PKG_VERSION"),
            "description": "Local UPS devices, events, outages and energy. Viewer token (Bearer or session cookie) for reads, admin token for writes."
        },
        "security": [{ "bearer": [] }, { "session": [] }],
        "paths": {
            "/api/v1/devices": {
                "get": op("Every device with its latest state", "devices", &object(), &json!([])),
                "post": write_op("Add a device (admin): {\"name\", \"snmp\": {...}} or {\"name\", \"nut\": {...}} with the keys of the file's sections except the *_file ones (422); inline secrets need state_key_file (422 without) and are sealed in the state file; polled at once; secrets are write-only", "201", &json!([]))
            },
            "/api/v1/devices/{name}": {
                "get": op("One device: every reading, flags, counters", "devices", &object(), &name_param()),
                "put": write_op("Replace a device added through the API (admin)", "200", &name_param()),
                "delete": write_op("Remove a device added through the API (admin)", "204", &name_param())
            },
            "/api/v1/devices/{name}/history": { "get": op("Recent readings for charts (memory only)", "devices", &object(), &name_param()) },
            "/api/v1/events": { "get": op("Events, newest last", "events", &object(), &json!([
                query("device", json!({ "type": "string" }), "only this device"),
                query("kind", json!({ "type": "string" }), "event kind such as on_battery"),
                query("severity", json!({ "enum": ["info", "warning", "critical"] }), "only this severity"),
                query("limit", json!({ "type": "integer", "minimum": 1, "maximum": super::MAX_EVENTS }), "most recent N (default 100)")
            ])) },
            "/api/v1/outages": { "get": op("Finished and ongoing outages", "events", &object(), &json!([
                query("device", json!({ "type": "string" }), "only this device")
            ])) },
            "/api/v1/energy": { "get": op("Energy per device with daily totals and cost", "energy", &object(), &json!([])) },
            "/api/v1/diagnostics": { "get": op("Latest poll outcome per device and source", "diagnostics", &object(), &json!([])) },
            "/api/v1/config": { "get": op("Effective configuration, secrets masked", "config", &object(), &json!([])) },
            "/api/v1/alerts": {
                "get": op("Alert targets (URL path, query and token withheld) and delivery counters", "alerts", &object(), &json!([])),
                "put": write_op("Replace the alert configuration (admin): the [alerts] table as JSON without token_file or ca_file (422); validated and SSRF-checked; kept in the state file, tokens and Slack or Discord URLs only sealed (they need state_key_file, 422 without); tokens write-only", "200", &json!([]))
            },
            "/api/v1/alerts/test": { "post": {
                "summary": "Send a test notice, to one target ({\"target\": name}) or all (admin); 429 within the test cooldown", "tags": ["alerts"],
                "responses": { "202": { "description": "Sending" }, "404": { "$ref": "#/components/responses/Error" }, "409": { "$ref": "#/components/responses/Error" }, "429": { "$ref": "#/components/responses/Error" }, "503": { "$ref": "#/components/responses/Error" } }
            } },
            "/api/v1/openapi.json": { "get": op("This document", "meta", &object(), &json!([])) },
            "/api/v1/poll": { "post": {
                "summary": "Poll every source now (admin)", "tags": ["devices"],
                "responses": { "202": { "description": "Polling started" }, "401": { "$ref": "#/components/responses/Error" }, "403": { "$ref": "#/components/responses/Error" }, "429": { "$ref": "#/components/responses/Error" } }
            } }
        },
        "components": {
            "securitySchemes": {
                "bearer": { "type": "http", "scheme": "bearer" },
                "session": { "type": "apiKey", "in": "cookie", "name": "upsight_session" }
            },
            "responses": {
                "Error": {
                    "description": "Error",
                    "content": { "application/json": { "schema": {
                        "type": "object", "required": ["error"], "properties": { "error": { "type": "string" } }
                    } } }
                }
            }
        }
    });
    if let (Some(paths), Value::Object(extra)) =
        (document["paths"].as_object_mut(), analytics_paths(&query))
    {
        paths.extend(extra);
    }
    document
}

/// The handler.
pub async fn document() -> Json<Value> {
    Json(build())
}

/// Renders `docs/api.md` from the document: one section per path and method.
pub fn render_reference() -> String {
    let doc = build();
    let mut out = String::from(
        "# API reference\n\n<!-- Generated from crates/upsight-exporter/src/api/openapi.rs by \
         `UPSIGHT_BLESS=1 cargo test -p upsight-exporter api_reference`; do not edit. -->\n\n\
         The exporter serves a JSON API under `/api/v1/` on its HTTP port, described as \
         OpenAPI 3.1 at `GET /api/v1/openapi.json`. Reads need the viewer token (or the admin \
         token), writes the admin token, sent as `Authorization: Bearer TOKEN` or through a \
         browser session (`POST /login`, or a `?token=` link). Errors are JSON \
         `{\"error\": \"...\"}` with exact status codes: 400 bad parameters, 401 missing or \
         wrong token (with `WWW-Authenticate`), 403 not allowed (a viewer on an admin route, or \
         a non-loopback bind without a viewer token), 404, 413 body over 1 MiB, 421 a `Host` \
         that is not a loopback name or an `allowed_hosts` entry on a loopback bind \
         ([security.md](security.md#host-check-and-dns-rebinding)), 429 rate limited (with \
         `Retry-After`), 431 request head over `max_header_bytes` (written by the HTTP layer, \
         without a body), 503 over the request deadline. Times are RFC 3339 UTC; \
         values are in SI units with the unit in the field name.\n\n\
         | method | path | access | what |\n|---|---|---|---|\n",
    );
    if let Some(paths) = doc["paths"].as_object() {
        for (path, item) in paths {
            let Some(methods) = item.as_object() else {
                continue;
            };
            for (method, op) in methods {
                let access = if method == "get" { "viewer" } else { "admin" };
                let summary = op["summary"].as_str().unwrap_or_default();
                out.push_str(&format!(
                    "| {} | `{path}` | {access} | {summary} |\n",
                    method.to_ascii_uppercase()
                ));
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn api_reference_is_current() {
        let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../../docs/api.md");
        let want = render_reference();
        if std::env::var_os("UPSIGHT_BLESS").is_some() {
            let mut f = std::fs::File::create(path).unwrap();
            std::io::Write::write_all(&mut f, want.as_bytes()).unwrap();
        }
        let got = std::fs::read_to_string(path).unwrap_or_default();
        assert!(
            got == want,
            "docs/api.md is stale: run `UPSIGHT_BLESS=1 cargo test -p upsight-exporter api_reference`"
        );
    }

    #[test]
    fn every_routed_path_is_documented() {
        let doc = build();
        let source = include_str!("../api.rs");
        let routed: Vec<&str> = source
            .lines()
            .filter_map(|l| l.trim().strip_prefix(".route(\""))
            .filter_map(|l| l.split('"').next())
            .collect();
        assert!(routed.len() >= 10, "{routed:?}");
        for path in routed
            .into_iter()
            .chain(upsight_analytics::api::EXPORTER_PATHS)
        {
            assert!(
                doc["paths"].get(path).is_some(),
                "{path} is routed but not in openapi.json"
            );
        }
    }
}
