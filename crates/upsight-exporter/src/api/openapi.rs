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

fn name_param() -> Value {
    json!([{ "name": "name", "in": "path", "required": true, "schema": { "type": "string", "pattern": "^[A-Za-z0-9_.-]{1,64}$" } }])
}

fn object() -> Value {
    json!({ "type": "object" })
}

/// The document.
pub fn build() -> Value {
    let query = |name: &str, schema: Value, description: &str| json!({ "name": name, "in": "query", "required": false, "schema": schema, "description": description });
    json!({
        "openapi": "3.1.0",
        "info": {
            "title": "upsight exporter API",
            "version": env!("CARGO_PKG_VERSION"),
            "description": "Local UPS devices, events, outages and energy. Viewer token (Bearer or session cookie) for reads, admin token for writes."
        },
        "security": [{ "bearer": [] }, { "session": [] }],
        "paths": {
            "/api/v1/devices": { "get": op("Every device with its latest state", "devices", &object(), &json!([])) },
            "/api/v1/devices/{name}": { "get": op("One device: every reading, flags, counters", "devices", &object(), &name_param()) },
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
    })
}

/// The handler.
pub async fn document() -> Json<Value> {
    Json(build())
}
