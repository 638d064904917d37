//! The exporter's HTTP contract as a client sees it, over real TCP: exact status codes and
//! headers for missing and wrong tokens, roles, oversized bodies (sized and chunked), bursts,
//! unknown paths and the public-bind policy, with the security headers on every response;
//! and the JSON API's answers after a simulated outage.

#![allow(clippy::unwrap_used)] // test helpers may panic: a panic is a test failure

use std::net::SocketAddr;
use std::time::Duration;

use upsight_e2e::exporter::Exporter;
use upsight_e2e::scrape::{self, Body, Response};
use upsight_sim::{Device, SimHandle, Simulator};

const VIEWER: &str = "viewer-token-0123456789abcdefghijklmnop";
const ADMIN: &str = "admin-token-0123456789abcdefghijklmnopqr";

async fn sim() -> SimHandle {
    let device = Device::parse(
        "ups.status: OL\nups.realpower: 250\nbattery.charge: 100\nbattery.runtime: 1800\n",
    )
    .unwrap();
    Simulator::new()
        .with_device("rack".into(), device)
        .bind("127.0.0.1:0")
        .await
        .unwrap()
}

fn config(sim: &SimHandle, http: &str) -> String {
    format!(
        "interval = \"200ms\"\n[http]\n{http}\n[[nut]]\naddress = \"{}\"\n",
        sim.addr()
    )
}

fn tokens() -> String {
    format!("viewer_token = \"{VIEWER}\"\nadmin_token = \"{ADMIN}\"\n")
}

fn assert_security_headers(r: &Response, what: &str) {
    for (name, want) in [
        ("x-content-type-options", "nosniff"),
        ("x-frame-options", "DENY"),
        ("referrer-policy", "no-referrer"),
    ] {
        assert_eq!(
            r.header(name),
            Some(want),
            "{what}: {name} in {:?}",
            r.headers
        );
    }
    let csp = r.header("content-security-policy").unwrap_or_default();
    assert!(
        csp.contains("frame-ancestors 'none'") && csp.contains("script-src 'self'"),
        "{what}: CSP {csp:?}"
    );
    assert!(r.header("server").is_none(), "{what}: no server banner");
}

fn bearer(token: &str) -> String {
    format!("Bearer {token}")
}

async fn call(
    addr: SocketAddr,
    method: &str,
    path: &str,
    token: Option<&str>,
    body: Body<'_>,
) -> Response {
    let auth = token.map(bearer);
    let headers: Vec<(&str, &str)> = auth.iter().map(|a| ("Authorization", a.as_str())).collect();
    scrape::request(addr, method, path, &headers, body)
        .await
        .unwrap()
}

fn error_text(r: &Response) -> String {
    let v: serde_json::Value =
        serde_json::from_str(&r.body).unwrap_or_else(|e| panic!("not JSON ({e}): {:?}", r.body));
    v["error"]
        .as_str()
        .unwrap_or_else(|| panic!("no error field: {}", r.body))
        .to_owned()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn tokens_roles_and_error_contract() {
    let sim = sim().await;
    let exporter = Exporter::start(&config(&sim, &tokens())).await.unwrap();
    let addr = exporter.addr;

    let r = call(addr, "GET", "/api/v1/devices", None, Body::Empty).await;
    assert_eq!(r.status, 401, "missing token");
    assert_eq!(
        r.header("www-authenticate"),
        Some("Bearer realm=\"upsight\"")
    );
    assert_security_headers(&r, "401");
    error_text(&r);

    let r = call(
        addr,
        "GET",
        "/api/v1/devices",
        Some("x".repeat(40).as_str()),
        Body::Empty,
    )
    .await;
    assert_eq!(r.status, 401, "wrong token");
    assert!(r.header("www-authenticate").is_some());
    assert_security_headers(&r, "401 wrong");

    let r = call(addr, "GET", "/api/v1/devices", Some(VIEWER), Body::Empty).await;
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(r.header("content-type"), Some("application/json"));
    assert_security_headers(&r, "200");

    let r = call(addr, "POST", "/api/v1/poll", Some(VIEWER), Body::Empty).await;
    assert_eq!(r.status, 403, "viewer on an admin route");
    assert_security_headers(&r, "403");
    error_text(&r);

    let r = call(addr, "POST", "/api/v1/poll", Some(ADMIN), Body::Empty).await;
    assert_eq!(r.status, 202, "{}", r.body);

    // The refusals are counted in the exporter's own security counters.
    let samples = scrape::metrics(addr).await.unwrap();
    let refused = samples
        .get(
            "upsight_http_auth_failures_total",
            &[("surface", "exporter")],
        )
        .unwrap();
    assert!(refused >= 2.0, "two 401s counted, got {refused}");
    assert!(
        samples
            .get(
                "upsight_http_rate_limited_total",
                &[("surface", "exporter")]
            )
            .is_some()
    );

    let r = call(
        addr,
        "GET",
        "/api/v1/nothing-here",
        Some(VIEWER),
        Body::Empty,
    )
    .await;
    assert_eq!(r.status, 404);
    assert_eq!(error_text(&r), "not found");
    assert_security_headers(&r, "404");

    let page = [("Accept", "text/html,application/xhtml+xml")];
    let r = scrape::request(addr, "GET", "/devices/rack?x=1", &page, Body::Empty)
        .await
        .unwrap();
    assert_eq!(
        r.status, 303,
        "a browser without a session goes to the login form"
    );
    assert_eq!(
        r.header("location"),
        Some("/login?next=/devices/rack%3Fx%3D1")
    );
    assert_security_headers(&r, "303");
    let r = scrape::request(addr, "GET", "/api/v1/devices", &page, Body::Empty)
        .await
        .unwrap();
    assert_eq!(r.status, 401, "the API never redirects");
    let r = scrape::request(
        addr,
        "GET",
        "/login?next=/devices/rack%3Fx%3D1",
        &page,
        Body::Empty,
    )
    .await
    .unwrap();
    assert_eq!(r.status, 200, "the login form is open");
    assert!(r.body.contains("<form"), "{}", r.body);

    let r = call(addr, "GET", "/no/such/path", None, Body::Empty).await;
    assert_eq!(r.status, 404, "unknown path, no token: flat 404");
    assert_security_headers(&r, "404 anonymous");

    let r = call(
        addr,
        "GET",
        "/api/v1/events?limit=0",
        Some(VIEWER),
        Body::Empty,
    )
    .await;
    assert_eq!(r.status, 400);
    assert!(error_text(&r).contains("limit"), "{}", r.body);
    let r = call(
        addr,
        "GET",
        "/api/v1/events?colour=red",
        Some(VIEWER),
        Body::Empty,
    )
    .await;
    assert_eq!(r.status, 400, "unknown query parameter");

    let big = vec![b'a'; 2 * 1024 * 1024];
    let r = call(addr, "POST", "/api/v1/poll", Some(ADMIN), Body::Sized(&big)).await;
    assert_eq!(r.status, 413, "2 MiB with Content-Length");
    assert_security_headers(&r, "413");
    let r = call(
        addr,
        "POST",
        "/api/v1/poll",
        Some(ADMIN),
        Body::Chunked(&big),
    )
    .await;
    assert_eq!(r.status, 413, "2 MiB chunked");
    assert_security_headers(&r, "413 chunked");

    let r = call(addr, "GET", "/metrics", None, Body::Empty).await;
    assert_eq!(r.status, 200, "/metrics stays open without a metrics token");
    assert_security_headers(&r, "metrics");
    let r = call(addr, "GET", "/healthz", None, Body::Empty).await;
    assert_eq!(r.status, 200);
    assert_security_headers(&r, "healthz");
    exporter.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_burst_gets_429_with_retry_after() {
    let sim = sim().await;
    let text = config(
        &sim,
        &format!(
            "{}rate_limit_per_minute = 60\nrate_limit_burst = 5\n",
            tokens()
        ),
    );
    // Exporter::start lifts the rate limit for polling tests; this one runs the binary's path.
    let mut parsed = upsight_exporter::Config::parse(&text, &|_| None).unwrap();
    assert_eq!(
        parsed.http.rate_limit,
        upsight_http::RateLimitConfig::try_new(Duration::from_secs(1), 5, 10_000).unwrap()
    );
    parsed.listen = "127.0.0.1:0".parse().unwrap();
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let stop = tokio_util::sync::CancellationToken::new();
    let cancel = stop.clone();
    let task = tokio::spawn(upsight_exporter::run(parsed, listener, async move {
        cancel.cancelled().await
    }));
    let mut limited = None;
    for _ in 0..20 {
        let r = call(addr, "GET", "/api/v1/devices", Some(VIEWER), Body::Empty).await;
        if r.status == 429 {
            limited = Some(r);
            break;
        }
        assert_eq!(r.status, 200);
    }
    let r = limited.expect("a burst of 20 is limited");
    let retry: u64 = r.header("retry-after").unwrap().parse().unwrap();
    assert!(retry >= 1, "Retry-After {retry}");
    assert_security_headers(&r, "429");
    error_text(&r);
    // Limited before auth: a request without a token is limited too, not answered 401.
    let r = call(addr, "GET", "/api/v1/devices", None, Body::Empty).await;
    assert_eq!(r.status, 429);
    stop.cancel();
    let _ = task.await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_public_bind_without_a_viewer_token_closes_the_api_not_metrics() {
    let sim = sim().await;
    let exporter = Exporter::start_on(&config(&sim, ""), "0.0.0.0:0")
        .await
        .unwrap();
    let r = call(exporter.addr, "GET", "/api/v1/devices", None, Body::Empty).await;
    assert_eq!(r.status, 403, "{}", r.body);
    assert!(error_text(&r).contains("viewer token"), "{}", r.body);
    assert_security_headers(&r, "403 closed");
    let r = call(exporter.addr, "GET", "/metrics", None, Body::Empty).await;
    assert_eq!(r.status, 200);
    exporter.stop().await;

    // On loopback without tokens, the API is open (a local tool, nothing exposed).
    let exporter = Exporter::start(&config(&sim, "")).await.unwrap();
    let r = call(exporter.addr, "GET", "/api/v1/devices", None, Body::Empty).await;
    assert_eq!(r.status, 200, "{}", r.body);
    exporter.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_api_reports_an_outage_its_events_and_energy() {
    let sim = sim().await;
    let exporter = Exporter::start(&config(&sim, &tokens())).await.unwrap();
    let addr = exporter.addr;
    let json = |r: &Response| serde_json::from_str::<serde_json::Value>(&r.body).unwrap();
    let devices =
        async || json(&call(addr, "GET", "/api/v1/devices", Some(VIEWER), Body::Empty).await);
    for _ in 0..50 {
        if devices().await["devices"][0]["is_up"] == true {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert!(sim.set_var("rack", "ups.status", "OB DISCHRG"));
    let mut events = serde_json::Value::Null;
    for _ in 0..50 {
        events = json(
            &call(
                addr,
                "GET",
                "/api/v1/events?device=rack",
                Some(VIEWER),
                Body::Empty,
            )
            .await,
        );
        if events["events"].as_array().is_some_and(|e| !e.is_empty()) {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert_eq!(events["events"][0]["kind"], "on_battery", "{events}");
    assert_eq!(events["events"][0]["severity"], "warning");
    let list = devices().await;
    assert_eq!(list["devices"][0]["is_on_battery"], true, "{list}");
    assert_eq!(list["devices"][0]["charge_ratio"], 1.0);
    let detail = json(
        &call(
            addr,
            "GET",
            "/api/v1/devices/rack",
            Some(VIEWER),
            Body::Empty,
        )
        .await,
    );
    assert!(
        detail["samples"]
            .as_array()
            .unwrap()
            .iter()
            .any(|s| s["metric"] == "ups_battery_runtime_seconds" && s["value"] == 1800.0),
        "{detail}"
    );
    tokio::time::sleep(Duration::from_millis(500)).await;
    assert!(sim.set_var("rack", "ups.status", "OL"));
    let mut outages = serde_json::Value::Null;
    for _ in 0..50 {
        outages = json(&call(addr, "GET", "/api/v1/outages", Some(VIEWER), Body::Empty).await);
        if outages["outages"][0]["is_open"] == false {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert_eq!(outages["outages"][0]["device"], "rack", "{outages}");
    assert!(outages["outages"][0]["duration_seconds"].as_f64().unwrap() > 0.0);
    let energy = json(&call(addr, "GET", "/api/v1/energy", Some(VIEWER), Body::Empty).await);
    assert!(
        energy["devices"][0]["total_joules"].as_f64().unwrap() > 0.0,
        "{energy}"
    );
    let history = json(
        &call(
            addr,
            "GET",
            "/api/v1/devices/rack/history",
            Some(VIEWER),
            Body::Empty,
        )
        .await,
    );
    assert!(
        history["points"].as_array().unwrap().len() >= 2,
        "{history}"
    );
    let r = call(
        addr,
        "GET",
        "/api/v1/devices/nope",
        Some(VIEWER),
        Body::Empty,
    )
    .await;
    assert_eq!(r.status, 404);
    let config = call(addr, "GET", "/api/v1/config", Some(VIEWER), Body::Empty).await;
    assert!(
        !config.body.contains(VIEWER) && !config.body.contains(ADMIN),
        "tokens masked"
    );
    assert!(
        config.body.contains("\"viewer_token\":\"***\""),
        "{}",
        config.body
    );
    let openapi = json(
        &call(
            addr,
            "GET",
            "/api/v1/openapi.json",
            Some(VIEWER),
            Body::Empty,
        )
        .await,
    );
    assert_eq!(openapi["openapi"], "3.1.0");
    exporter.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn devices_added_changed_and_removed_at_runtime_persist() {
    let sim = sim().await;
    let agent = upsight_sim::snmp::demo_agent()
        .bind("127.0.0.1:0")
        .await
        .unwrap();
    let state_dir = tempfile::tempdir().unwrap();
    // Inline secrets through the API need the state key: they are stored only sealed.
    let key_file = state_dir.path().join("state.key");
    std::io::Write::write_all(
        &mut std::fs::File::create(&key_file).unwrap(),
        b"5f2c8e1a9b7d3c6e0f4a2b8d1c9e7f3a5b0d2e4c6a8f1b3d5e7c9a0b2d4f6e81\n",
    )
    .unwrap();
    let text = format!(
        "interval = \"200ms\"\nstate_dir = \"{}\"\nstate_key_file = \"{}\"\n[http]\n{}\n[[nut]]\naddress = \"{}\"\nups = [\"rack\"]\n",
        state_dir.path().join("state").display(),
        key_file.display(),
        tokens(),
        sim.addr()
    );
    let exporter = Exporter::start(&text).await.unwrap();
    let addr = exporter.addr;
    // A *_file key would make the exporter read any file and send it to the device: refused.
    let r = call(
        addr,
        "POST",
        "/api/v1/devices",
        Some(ADMIN),
        Body::Sized(b"{\"name\": \"f\", \"snmp\": {\"address\": \"127.0.0.1:9\", \"community_file\": \"/etc/passwd\"}}"),
    )
    .await;
    assert_eq!(r.status, 422, "{}", r.body);
    assert!(
        error_text(&r).contains("snmp.community_file: *_file keys are not accepted"),
        "{}",
        r.body
    );
    let body = format!(
        "{{\"name\": \"closet\", \"snmp\": {{\"address\": \"{}\", \"community\": \"closet-apc\"}}}}",
        agent.local_addr()
    );
    let r = call(
        addr,
        "POST",
        "/api/v1/devices",
        Some(VIEWER),
        Body::Sized(body.as_bytes()),
    )
    .await;
    assert_eq!(r.status, 403, "a viewer cannot add devices");
    let r = call(
        addr,
        "POST",
        "/api/v1/devices",
        Some(ADMIN),
        Body::Sized(body.as_bytes()),
    )
    .await;
    assert_eq!(r.status, 201, "{}", r.body);
    assert_security_headers(&r, "201");
    let r = call(
        addr,
        "POST",
        "/api/v1/devices",
        Some(ADMIN),
        Body::Sized(body.as_bytes()),
    )
    .await;
    assert_eq!(r.status, 409, "the same name twice: {}", r.body);
    let r = call(
        addr,
        "POST",
        "/api/v1/devices",
        Some(ADMIN),
        Body::Sized(b"{\"name\": \"rack\", \"snmp\": {\"address\": \"h\", \"community\": \"c\"}}"),
    )
    .await;
    assert_eq!(r.status, 409, "a name from the file: {}", r.body);
    let r = call(addr, "POST", "/api/v1/devices", Some(ADMIN), Body::Sized(b"{\"name\": \"x\", \"snmp\": {\"address\": \"h\", \"version\": \"3\", \"username\": \"u\", \"auth_protocol\": \"SHA3\", \"auth_password\": \"12345678\", \"priv_password\": \"12345678\"}}")).await;
    assert_eq!(r.status, 422, "{}", r.body);
    assert!(
        error_text(&r).contains("snmp.auth_protocol: \"SHA3\" is not one of"),
        "{}",
        r.body
    );
    let r = call(
        addr,
        "POST",
        "/api/v1/devices",
        Some(ADMIN),
        Body::Sized(b"{not json"),
    )
    .await;
    assert_eq!(r.status, 400, "{}", r.body);

    exporter
        .wait_for(Duration::from_secs(10), "closet polled", |s| {
            s.get("ups_up", &[("ups", "closet")]) == Some(1.0)
        })
        .await
        .unwrap();
    let config = call(addr, "GET", "/api/v1/config", Some(VIEWER), Body::Empty).await;
    assert!(
        config.body.contains("\"community\":\"***\""),
        "secrets are write-only: {}",
        config.body
    );
    assert!(
        !config.body.contains("closet-apc"),
        "the community never comes back: {}",
        config.body
    );

    // PUT: point it at another device of the agent; the label stays, the data changes.
    let changed = format!(
        "{{\"snmp\": {{\"address\": \"{}\", \"community\": \"plant-3phase\"}}}}",
        agent.local_addr()
    );
    let r = call(
        addr,
        "PUT",
        "/api/v1/devices/closet",
        Some(ADMIN),
        Body::Sized(changed.as_bytes()),
    )
    .await;
    assert_eq!(r.status, 200, "{}", r.body);
    exporter
        .wait_for(Duration::from_secs(10), "closet now 3-phase", |s| {
            s.get(
                "ups_output_voltage_volts",
                &[("ups", "closet"), ("phase", "L2-N")],
            )
            .is_some()
        })
        .await
        .unwrap();
    let r = call(
        addr,
        "PUT",
        "/api/v1/devices/nope",
        Some(ADMIN),
        Body::Sized(changed.as_bytes()),
    )
    .await;
    assert_eq!(r.status, 404);
    let r = call(
        addr,
        "DELETE",
        "/api/v1/devices/rack",
        Some(ADMIN),
        Body::Empty,
    )
    .await;
    assert_eq!(r.status, 409, "file devices are changed in the file");
    exporter.stop().await;
    let saved = std::fs::read_to_string(state_dir.path().join("state/exporter.json")).unwrap();
    assert!(
        !saved.contains("plant-3phase") && saved.contains("\"community\":\"sealed:v1:"),
        "the community is on disk only sealed: {saved}"
    );

    // Persisted: a new exporter on the same state directory polls it again.
    let exporter = Exporter::start(&text).await.unwrap();
    let addr = exporter.addr;
    exporter
        .wait_for(Duration::from_secs(10), "closet back after restart", |s| {
            s.get("ups_up", &[("ups", "closet")]) == Some(1.0)
        })
        .await
        .unwrap();
    let r = call(
        addr,
        "DELETE",
        "/api/v1/devices/closet",
        Some(ADMIN),
        Body::Empty,
    )
    .await;
    assert_eq!(r.status, 204, "{}", r.body);
    exporter
        .wait_for(Duration::from_secs(5), "closet gone", |s| {
            s.get("ups_up", &[("ups", "closet")]).is_none()
        })
        .await
        .unwrap();
    let r = call(
        addr,
        "DELETE",
        "/api/v1/devices/closet",
        Some(ADMIN),
        Body::Empty,
    )
    .await;
    assert_eq!(r.status, 404);
    exporter.stop().await;
    // The removed device's history went with it; the file's own device stays.
    let saved = std::fs::read_to_string(state_dir.path().join("state/exporter.json")).unwrap();
    let saved: serde_json::Value = serde_json::from_str(&saved).unwrap();
    let devices = saved["data"]["devices"].as_object().unwrap();
    assert!(devices.contains_key("rack"), "{devices:?}");
    assert!(!devices.contains_key("closet"), "{devices:?}");

    // Without a state key, inline secrets are refused rather than stored in clear.
    let keyless = tempfile::tempdir().unwrap();
    let text = format!(
        "state_dir = \"{}\"\n[http]\n{}\n[[nut]]\naddress = \"{}\"\nups = [\"rack\"]\n",
        keyless.path().display(),
        tokens(),
        sim.addr()
    );
    let exporter = Exporter::start(&text).await.unwrap();
    let r = call(
        exporter.addr,
        "POST",
        "/api/v1/devices",
        Some(ADMIN),
        Body::Sized(body.as_bytes()),
    )
    .await;
    assert_eq!(r.status, 422, "{}", r.body);
    assert!(
        error_text(&r).contains("no state_key_file is configured"),
        "{}",
        r.body
    );
    exporter.stop().await;
}
