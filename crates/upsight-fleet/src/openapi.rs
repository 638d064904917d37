//! `GET /api/v1/openapi.json`: the plane's HTTP API described as OpenAPI 3.1 (ingest for
//! members, reads for viewers). `docs/fleet-api.md` is rendered from it, and tests keep both
//! in step with the router.

use axum::Json;
use serde_json::{Value, json};

use crate::ingest::{HEARTBEAT_PATH, REGISTER_PATH};

fn error(codes: &[&str]) -> Value {
    let error = json!({ "$ref": "#/components/responses/Error" });
    Value::Object(
        codes
            .iter()
            .map(|c| ((*c).to_owned(), error.clone()))
            .collect(),
    )
}

fn read(summary: &str, params: &Value, ok: &str) -> Value {
    let mut responses = error(&["400", "401", "403", "404", "429", "503"]);
    if let Some(map) = responses.as_object_mut() {
        map.insert(
            "200".into(),
            json!({ "description": ok, "content": { "application/json": { "schema": { "type": "object" } } } }),
        );
    }
    json!({ "summary": summary, "tags": ["read"], "security": [{ "viewer": [] }, { "session": [] }],
            "parameters": params, "responses": responses })
}

fn path_param(name: &str, what: &str) -> Value {
    json!({ "name": name, "in": "path", "required": true, "description": what,
            "schema": { "type": "string", "pattern": "^[A-Za-z0-9_.-]{1,64}$" } })
}

fn query(name: &str, schema: &Value, what: &str) -> Value {
    json!({ "name": name, "in": "query", "required": false, "schema": schema, "description": what })
}

fn analytics_paths() -> Value {
    use upsight_analytics::api::{
        DEVICES_PATH, OUTAGES_PATH, SITE_BATTERY_PATH, SITE_HISTORY_PATH,
    };
    let site = path_param("site", "the site (group)");
    let device = path_param("device", "the device name");
    let from = query(
        "from",
        &json!({ "type": "integer", "minimum": 0 }),
        "Unix seconds, inclusive (default: `to` minus 24 h)",
    );
    let to = query(
        "to",
        &json!({ "type": "integer", "minimum": 0 }),
        "Unix seconds, exclusive (default: now)",
    );
    let limit = query(
        "limit",
        &json!({ "type": "integer", "minimum": 1, "maximum": upsight_analytics::reads::MAX_ROWS }),
        "most rows (default 1000)",
    );
    let site_filter = query(
        "site",
        &json!({ "type": "string" }),
        "one site only (default: every site)",
    );
    let mut paths = serde_json::Map::new();
    paths.insert(DEVICES_PATH.into(), json!({ "get": read(
        "Analytics (ClickHouse): devices that reported this serial number, with their identity; 403 without a viewer token even on loopback, 404 without [analytics]",
        &json!([{ "name": "serial", "in": "query", "required": true, "schema": { "type": "string", "minLength": 1, "maxLength": upsight_analytics::api::MAX_SERIAL_LEN } }, site_filter]),
        "{serial, devices}") }));
    paths.insert(SITE_HISTORY_PATH.into(), json!({ "get": read(
        "Analytics (ClickHouse): every raw variable of every poll of a device over a period",
        &json!([site, device, from, to, limit, query("variable", &json!({ "type": "string" }), "only this variable (NUT name or OID)")]),
        "{site, device, from, to, rows}") }));
    paths.insert(SITE_BATTERY_PATH.into(), json!({ "get": read(
        "Analytics (ClickHouse): battery health per hour or day: average charge, runtime and runtime per full charge",
        &json!([site, device, from, to, query("bucket", &json!({ "enum": ["hour", "day"] }), "bucket size (default day)")]),
        "{site, device, from, to, points}") }));
    paths.insert(OUTAGES_PATH.into(), json!({ "get": read(
        "Analytics (ClickHouse): finished outages per site over a period, summarised and listed (newest first)",
        &json!([from, to, limit, site_filter]),
        "{from, to, sites, outages}") }));
    Value::Object(paths)
}

/// The document.
pub fn build() -> Value {
    let group = path_param("group", "the group (site)");
    let identity = path_param("identity", "the member's identity");
    let ingest = |summary: &str, ok: Value| {
        let mut responses = error(&[
            "400", "401", "403", "404", "409", "413", "415", "422", "429", "503",
        ]);
        if let (Some(map), Value::Object(ok)) = (responses.as_object_mut(), ok) {
            map.extend(ok);
        }
        json!({ "summary": summary, "tags": ["ingest"], "security": [{ "ingest": [] }],
                "requestBody": { "required": true, "content": { "application/json": { "schema": { "type": "object" } } } },
                "responses": responses })
    };
    let mut document = json!({
        "openapi": "3.1.0",
        "info": {
            "title": "upsight fleet control plane API",
            "version": env!("CARGO_PKG_VERSION"),
            "description": "Members (exporters) register and heartbeat with an ingest token; people and Prometheus read with a viewer token. An ingest token can never read."
        },
        "paths": {
            REGISTER_PATH: { "post": ingest(
                "Register a member: RegisterRequestV1 {version, identity, group, software_version, scrape_target?, lease?} → {member_number, lease, heartbeat_interval_seconds, ttl_seconds}; the per-IP limit applies",
                json!({ "200": { "description": "Registered (or registered again with the lease)", "content": { "application/json": { "schema": { "type": "object" } } } } })) },
            HEARTBEAT_PATH: { "post": ingest(
                "Send a heartbeat: HeartbeatV1 {version, identity, lease, group, software_version, uptime_seconds, sent_at_unix, devices}; 404 for an unknown member (register again), 409 for a lease mismatch; the per-member limit applies",
                json!({ "204": { "description": "Accepted" } })) },
            "/api/v1/fleet": { "get": read("Every group with its totals (members up, stale, down; UPSes on battery, low runtime, stale, down)", &json!([]), "the fleet view") },
            "/api/v1/groups/{group}": { "get": read("One group: its members and their UPSes; a flat 404 for a group without members", &json!([group]), "the group view") },
            "/api/v1/members/{group}/{identity}": { "get": read("One member: its health, version, last heartbeat and UPSes", &json!([group, identity]), "the member view") },
            "/api/v1/targets": { "get": read("Prometheus HTTP service discovery: one target group per member with a scrape_target, labelled group and member", &json!([]), "an http_sd target list") },
            "/api/v1/openapi.json": { "get": read("This document", &json!([]), "OpenAPI 3.1") }
        },
        "components": {
            "securitySchemes": {
                "ingest": { "type": "http", "scheme": "bearer", "description": "an ingest (or shared) token" },
                "viewer": { "type": "http", "scheme": "bearer", "description": "a viewer (or shared) token" },
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
        (document["paths"].as_object_mut(), analytics_paths())
    {
        paths.extend(extra);
    }
    document
}

/// The handler.
pub(crate) async fn document() -> Json<Value> {
    Json(build())
}

/// Renders `docs/fleet-api.md` from the document.
pub fn render_reference() -> String {
    let doc = build();
    let mut out = String::from(
        "# Fleet API reference\n\n<!-- Generated from crates/upsight-fleet/src/openapi.rs by \
         `UPSIGHT_BLESS=1 cargo test -p upsight-fleet api_reference`; do not edit. -->\n\n\
         The fleet control plane serves its API under `/api/v1/` on its HTTP port (9956 by \
         default), described as OpenAPI 3.1 at `GET /api/v1/openapi.json`. Members send \
         `Authorization: Bearer` with an ingest token; reads need a viewer token (or a browser \
         session from the UI's login). A shared token works for both; an ingest token can \
         never read. Errors are JSON `{\"error\": \"...\"}` with exact status codes and no \
         detail on 401 and 404. `/healthz`, `/readyz` (503 until the state is loaded) and the \
         viewer-gated `/metrics` sit beside it; see [fleet.md](fleet.md).\n\n\
         | method | path | access | what |\n|---|---|---|---|\n",
    );
    if let Some(paths) = doc["paths"].as_object() {
        for (path, item) in paths {
            for (method, op) in item.as_object().into_iter().flatten() {
                let access = if op["tags"][0] == "ingest" {
                    "ingest"
                } else {
                    "viewer"
                };
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
        let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../../docs/fleet-api.md");
        let want = render_reference();
        if std::env::var_os("UPSIGHT_BLESS").is_some() {
            let mut f = std::fs::File::create(path).unwrap();
            std::io::Write::write_all(&mut f, want.as_bytes()).unwrap();
        }
        let got = std::fs::read_to_string(path).unwrap_or_default();
        assert!(
            got == want,
            "docs/fleet-api.md is stale: run `UPSIGHT_BLESS=1 cargo test -p upsight-fleet api_reference`"
        );
    }

    #[test]
    fn every_routed_api_path_is_documented() {
        let doc = build();
        let source = include_str!("server.rs");
        let mut routed: Vec<String> = source
            .lines()
            .filter_map(|l| l.trim().strip_prefix(".route(\""))
            .filter_map(|l| l.split('"').next())
            .filter(|p| p.starts_with("/api/"))
            .map(str::to_owned)
            .collect();
        assert!(source.contains(".route(ingest::REGISTER_PATH"));
        assert!(source.contains(".route(ingest::HEARTBEAT_PATH"));
        routed.extend([REGISTER_PATH.to_owned(), HEARTBEAT_PATH.to_owned()]);
        routed.extend(upsight_analytics::api::FLEET_PATHS.map(str::to_owned));
        assert!(routed.len() >= 11, "{routed:?}");
        for path in &routed {
            assert!(
                doc["paths"].get(path).is_some(),
                "{path} is routed but not in openapi.json"
            );
        }
        let documented = doc["paths"].as_object().unwrap().len();
        assert_eq!(documented, routed.len(), "a documented path is not routed");
    }
}
