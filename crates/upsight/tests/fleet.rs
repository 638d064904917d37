//! `upsight fleet` as an operator runs it: the public-bind refusal, registration and
//! heartbeats over HTTP, token separation, and the state lock. Loopback only, bounded waits.

#![allow(clippy::unwrap_used)] // test helpers may panic: a panic is a test failure

mod fleet_support;

use std::io::Write as _;
use std::net::SocketAddr;
use std::process::Command;
use std::time::{Duration, Instant};

use fleet_support::{INGEST, VIEWER, WAIT, fixture, http, start, start_in};

const PUBLIC: &str = "listen = \"0.0.0.0:0\"\n";
const LOOPBACK: &str = "listen = \"127.0.0.1:0\"\n";

#[test]
fn public_bind_without_tokens_exits_64_naming_what_to_set() {
    let (code, stderr) = start(PUBLIC, &[]).exit();
    assert_eq!(code, 64, "{stderr}");
    assert!(
        stderr.contains(
            "refusing to listen on 0.0.0.0:0 without tokens: set UPSIGHT_FLEET_INGEST_TOKEN and \
             UPSIGHT_FLEET_VIEWER_TOKEN (or UPSIGHT_FLEET_TOKEN for both), or \
             UPSIGHT_FLEET_INSECURE=1 for testing"
        ),
        "{stderr}"
    );
}

#[test]
fn public_bind_with_only_an_ingest_token_exits_64() {
    let (code, stderr) = start(PUBLIC, &[("UPSIGHT_FLEET_INGEST_TOKEN", INGEST)]).exit();
    assert_eq!(code, 64, "{stderr}");
    assert!(
        stderr.contains("set UPSIGHT_FLEET_VIEWER_TOKEN"),
        "{stderr}"
    );
}

#[test]
fn public_bind_with_both_tokens_starts() {
    let env = [
        ("UPSIGHT_FLEET_INGEST_TOKEN", INGEST),
        ("UPSIGHT_FLEET_VIEWER_TOKEN", VIEWER),
    ];
    let mut plane = start(PUBLIC, &env);
    let addr = plane.addr().expect("started");
    let local = SocketAddr::from(([127, 0, 0, 1], addr.port()));
    assert_eq!(http(local, "GET", "/healthz", None, "").0, 200);
}

#[test]
fn public_bind_with_a_shared_token_file_starts() {
    let dir = tempfile::tempdir().unwrap();
    let token_file = dir.path().join("token");
    std::fs::File::create(&token_file)
        .unwrap()
        .write_all(format!("{INGEST}\n").as_bytes())
        .unwrap();
    let token_file = token_file.display().to_string();
    let mut plane = start_in(dir, PUBLIC, &[("UPSIGHT_FLEET_TOKEN_FILE", &token_file)]);
    assert!(plane.addr().is_some(), "{}", plane.stderr);
}

#[test]
fn loopback_without_tokens_starts() {
    let mut plane = start(LOOPBACK, &[]);
    let addr = plane.addr().expect("started");
    assert_eq!(http(addr, "GET", "/healthz", None, "").0, 200);
    assert_eq!(http(addr, "GET", "/readyz", None, "").0, 200);
    assert_eq!(http(addr, "GET", "/api/v1/fleet", None, "").0, 200);
}

#[test]
fn insecure_overrides_the_refusal_loudly() {
    let mut plane = start(PUBLIC, &[("UPSIGHT_FLEET_INSECURE", "1")]);
    assert!(plane.addr().is_some(), "{}", plane.stderr);
    assert!(
        plane.stderr.contains("\"level\":\"WARN\""),
        "{}",
        plane.stderr
    );
    assert!(
        plane.stderr.contains("UPSIGHT_FLEET_INSECURE=1"),
        "{}",
        plane.stderr
    );
}

#[test]
fn register_heartbeat_and_read_back_with_separate_tokens() {
    let dir = tempfile::tempdir().unwrap();
    // The golden request's scrape target is a host name: listed only when the plane lists it.
    let config = format!(
        "{LOOPBACK}state_dir = \"{}\"\ndiscovery_hosts = [\"Exporter-01.example\"]\n",
        dir.path().join("state").display()
    );
    let env = [
        ("UPSIGHT_FLEET_INGEST_TOKEN", INGEST),
        ("UPSIGHT_FLEET_VIEWER_TOKEN", VIEWER),
    ];
    let mut plane = start_in(dir, &config, &env);
    let addr = plane.addr().expect("started");

    let register = fixture("register-request-v1.json").to_string();
    assert_eq!(
        http(addr, "POST", "/api/v1/register", None, &register).0,
        401
    );
    let (status, _) = http(addr, "POST", "/api/v1/register", Some(VIEWER), &register);
    assert_eq!(status, 401, "a viewer token cannot register");
    let (status, body) = http(addr, "POST", "/api/v1/register", Some(INGEST), &register);
    assert_eq!(status, 200, "{body}");
    let response: serde_json::Value = serde_json::from_str(&body).unwrap();
    assert_eq!(response["member_number"], 1);
    assert_eq!(response["heartbeat_interval_seconds"], 15);
    assert_eq!(response["ttl_seconds"], 45);
    let lease = response["lease"].as_str().unwrap().to_owned();

    let mut hb = fixture("heartbeat-v1.json");
    hb["lease"] = lease.into();
    let (status, body) = http(
        addr,
        "POST",
        "/api/v1/heartbeat",
        Some(INGEST),
        &hb.to_string(),
    );
    assert_eq!(status, 204, "{body}");
    let mut wrong = hb.clone();
    wrong["lease"] = "not-the-lease".into();
    let (status, _) = http(
        addr,
        "POST",
        "/api/v1/heartbeat",
        Some(INGEST),
        &wrong.to_string(),
    );
    assert_eq!(status, 409);
    let mut unknown = hb.clone();
    unknown["identity"] = "someone-else".into();
    let (status, _) = http(
        addr,
        "POST",
        "/api/v1/heartbeat",
        Some(INGEST),
        &unknown.to_string(),
    );
    assert_eq!(status, 404);
    let (status, _) = http(
        addr,
        "POST",
        "/api/v1/heartbeat",
        Some(VIEWER),
        &hb.to_string(),
    );
    assert_eq!(status, 401, "a viewer token cannot heartbeat");

    // A known, live identity without its lease is a mismatch.
    let (status, _) = http(addr, "POST", "/api/v1/register", Some(INGEST), &register);
    assert_eq!(status, 409);
    let v2 = fixture("heartbeat-v2.json").to_string();
    let (status, body) = http(addr, "POST", "/api/v1/heartbeat", Some(INGEST), &v2);
    assert_eq!(status, 400);
    assert!(body.contains("version"), "{body}");
    let bad = fixture("register-request-v1-unknown-field.json").to_string();
    let (status, body) = http(addr, "POST", "/api/v1/register", Some(INGEST), &bad);
    assert_eq!(status, 400);
    assert!(body.contains("field"), "{body}");

    assert_eq!(http(addr, "GET", "/api/v1/fleet", Some(INGEST), "").0, 401);
    assert_eq!(
        http(addr, "GET", "/api/v1/targets", Some(INGEST), "").0,
        401
    );
    let (status, body) = http(addr, "GET", "/api/v1/fleet", Some(VIEWER), "");
    assert_eq!(status, 200, "{body}");
    let view: serde_json::Value = serde_json::from_str(&body).unwrap();
    assert_eq!(view["groups"][0]["group"], "site-a", "{body}");
    let (status, body) = http(addr, "GET", "/api/v1/targets", Some(VIEWER), "");
    assert_eq!(status, 200, "{body}");
    let targets: serde_json::Value = serde_json::from_str(&body).unwrap();
    assert_eq!(
        targets[0]["targets"][0], "exporter-01.example:9199",
        "{body}"
    );
    assert_eq!(targets[0]["labels"]["group"], "site-a", "{body}");
    assert_eq!(targets.as_array().unwrap().len(), 1, "{body}");
    assert_eq!(
        targets[0]["labels"]["member"], "6f1c2a9e-3b7d-4c1e-9a0f-2d5e8b7c4a13",
        "{body}"
    );
}

#[test]
fn a_second_instance_on_the_same_state_dir_exits_73() {
    let dir = tempfile::tempdir().unwrap();
    let state = dir.path().join("state");
    let config = format!("{LOOPBACK}state_dir = \"{}\"\n", state.display());
    let mut first = start_in(dir, &config, &[]);
    assert!(first.addr().is_some(), "{}", first.stderr);
    let deadline = Instant::now() + WAIT;
    while !state.join("fleet.json").exists() {
        assert!(Instant::now() < deadline, "the lease key is saved at start");
        std::thread::sleep(Duration::from_millis(20));
    }
    let (code, stderr) = start(&config, &[]).exit();
    assert_eq!(code, 73, "{stderr}");

    // SIGTERM: a clean exit with a final save holding the member.
    let addr = first.addr.unwrap();
    let register = fixture("register-request-v1.json").to_string();
    assert_eq!(
        http(addr, "POST", "/api/v1/register", None, &register).0,
        200
    );
    let pid = first.child.id().to_string();
    let killed = Command::new("kill").args(["-TERM", &pid]).status().unwrap();
    assert!(killed.success());
    let (code, stderr) = first.exit();
    assert_eq!(code, 0, "{stderr}");
    let saved = std::fs::read_to_string(state.join("fleet.json")).unwrap();
    assert!(
        saved.contains("6f1c2a9e-3b7d-4c1e-9a0f-2d5e8b7c4a13"),
        "{saved}"
    );
}
