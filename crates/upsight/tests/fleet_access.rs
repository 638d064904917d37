//! `upsight fleet` access and abuse limits against the real binary: the token matrix with
//! exact codes (rotation lists, `*_file`), per-IP limits with and without trusted proxies,
//! the per-member heartbeat limit, the body cap (chunked too), the member cap, security
//! headers on every error, the CORS allowlist, and the plane's own `/metrics`. Loopback
//! only, bounded waits.

#![allow(clippy::unwrap_used)] // test helpers may panic: a panic is a test failure

mod fleet_support;

use std::io::Write as _;

use fleet_support::{INGEST, VIEWER, heartbeat, raw, register, registration, send, start};

const INGEST_2: &str = "ingest-token-rotated-0123456789abcdef0123";
const VIEWER_2: &str = "viewer-token-rotated-0123456789abcdef0123";

/// Every route a viewer may read, UI pages included.
const READS: [&str; 8] = [
    "/api/v1/fleet",
    "/api/v1/groups/site-a",
    "/api/v1/members/site-a/exp-1",
    "/api/v1/targets",
    "/metrics",
    "/",
    "/groups/site-a",
    "/members/site-a/exp-1",
];

fn lifted(extra: &str) -> String {
    format!(
        "listen = \"127.0.0.1:0\"\n[tokens]\ningest = \"{INGEST}, {INGEST_2}\"\n\
         viewer_file = \"VIEWER_FILE\"\n[http]\nrate_limit_per_minute = 60000\n\
         rate_limit_burst = 10000\n{extra}"
    )
}

#[test]
fn token_matrix_with_rotation_and_files() {
    let dir = tempfile::tempdir().unwrap();
    let viewer_file = dir.path().join("viewer.token");
    std::fs::File::create(&viewer_file)
        .unwrap()
        .write_all(format!("{VIEWER},{VIEWER_2}\n").as_bytes())
        .unwrap();
    let config = lifted("").replace("VIEWER_FILE", &viewer_file.display().to_string());
    let mut plane = start(&config, &[]);
    let addr = plane.addr().expect("started");
    for token in [INGEST, INGEST_2] {
        let reply = send(
            addr,
            "POST",
            "/api/v1/register",
            Some(token),
            &[],
            &registration("site-a", "exp-1", None),
        );
        assert!(
            reply.status == 200 || reply.status == 409,
            "both rotated ingest tokens are accepted: {} {}",
            reply.status,
            reply.body
        );
    }
    let reply = send(
        addr,
        "POST",
        "/api/v1/register",
        Some(INGEST_2),
        &[],
        &registration("site-a", "exp-2", None),
    );
    assert_eq!(reply.status, 200, "{}", reply.body);

    for path in READS {
        for token in [INGEST, INGEST_2] {
            let reply = send(addr, "GET", path, Some(token), &[], "");
            assert_eq!(reply.status, 401, "ingest token on {path}: {}", reply.body);
            reply.assert_hardened();
            assert_eq!(
                reply.body, r#"{"error":"unauthorized"}"#,
                "flat 401 on {path}"
            );
        }
        let reply = send(addr, "GET", path, None, &[], "");
        assert_eq!(reply.status, 401, "no token on {path}");
        for token in [VIEWER, VIEWER_2] {
            let reply = send(addr, "GET", path, Some(token), &[], "");
            assert_eq!(reply.status, 200, "viewer token on {path}: {}", reply.body);
            reply.assert_hardened();
        }
    }
    for token in [VIEWER, VIEWER_2] {
        for (path, body) in [
            ("/api/v1/register", registration("site-a", "exp-3", None)),
            (
                "/api/v1/heartbeat",
                heartbeat("site-a", "exp-1", &"0".repeat(64)),
            ),
        ] {
            let reply = send(addr, "POST", path, Some(token), &[], &body);
            assert_eq!(reply.status, 401, "viewer token on {path}: {}", reply.body);
            reply.assert_hardened();
        }
    }
    let reply = send(
        addr,
        "GET",
        "/api/v1/members/site-a/nobody",
        Some(VIEWER),
        &[],
        "",
    );
    assert_eq!(reply.status, 404);
    assert_eq!(reply.body, r#"{"error":"not found"}"#);
    reply.assert_hardened();
}

#[test]
fn per_ip_limits_key_on_the_peer_unless_a_trusted_proxy_forwards() {
    let strict = "listen = \"127.0.0.1:0\"\n[tokens]\ningest = \"INGEST\"\nviewer = \"VIEWER\"\n\
                  [http]\nrate_limit_per_minute = 1\nrate_limit_burst = 3\n"
        .replace("INGEST", INGEST)
        .replace("VIEWER", VIEWER);
    let mut plane = start(&strict, &[]);
    let addr = plane.addr().expect("started");
    // Reads and registrations share the per-IP bucket; a spoofed X-Forwarded-For from an
    // untrusted peer does not change the key.
    let mut statuses = Vec::new();
    for i in 0..5 {
        let xff = format!("X-Forwarded-For: 203.0.113.{i}");
        let reply = if i % 2 == 0 {
            send(addr, "GET", "/api/v1/fleet", Some(VIEWER), &[&xff], "")
        } else {
            let body = registration("site-a", &format!("exp-{i}"), None);
            send(
                addr,
                "POST",
                "/api/v1/register",
                Some(INGEST),
                &[&xff],
                &body,
            )
        };
        if reply.status == 429 {
            let retry: u64 = reply.header("retry-after").unwrap().parse().unwrap();
            assert!(retry >= 1, "Retry-After {retry}");
            reply.assert_hardened();
        }
        statuses.push(reply.status);
    }
    assert_eq!(statuses, [200, 200, 200, 429, 429], "spoofed XFF ignored");
    // Unauthenticated requests are limited too (before auth).
    assert_eq!(
        send(addr, "GET", "/api/v1/fleet", None, &[], "").status,
        429
    );
    drop(plane);

    let proxied = format!("{strict}trusted_proxies = [\"127.0.0.0/8\"]\n");
    let mut plane = start(&proxied, &[]);
    let addr = plane.addr().expect("started");
    let get = |xff: &str| {
        let header = format!("X-Forwarded-For: {xff}");
        send(addr, "GET", "/api/v1/fleet", Some(VIEWER), &[&header], "").status
    };
    // The right-most hop that is not a trusted proxy is the client.
    let client_a: Vec<u16> = (0..4)
        .map(|_| get("198.51.100.1, 203.0.113.9, 127.0.0.2"))
        .collect();
    assert_eq!(client_a, [200, 200, 200, 429], "203.0.113.9 is the key");
    assert_eq!(
        get("203.0.113.10"),
        200,
        "another client has its own bucket"
    );
    assert_eq!(
        get("10.9.9.9, 203.0.113.9"),
        429,
        "earlier hops do not matter"
    );
}

#[test]
fn heartbeats_are_limited_per_member_not_per_ip() {
    let config = lifted("heartbeat_limit_per_minute = 1\nheartbeat_limit_burst = 2\n")
        .replace(
            "viewer_file = \"VIEWER_FILE\"",
            &format!("viewer = \"{VIEWER}\""),
        )
        .replace("rate_limit_per_minute = 60000", "rate_limit_per_minute = 1")
        .replace("rate_limit_burst = 10000", "rate_limit_burst = 5");
    let mut plane = start(&config, &[]);
    let addr = plane.addr().expect("started");
    let a = register(addr, "site-a", "exp-a");
    let b = register(addr, "site-a", "exp-b");
    let beat = |identity: &str, lease: &str| {
        let body = heartbeat("site-a", identity, lease);
        send(addr, "POST", "/api/v1/heartbeat", Some(INGEST), &[], &body)
    };
    let a_statuses: Vec<u16> = (0..3).map(|_| beat("exp-a", &a).status).collect();
    assert_eq!(a_statuses, [204, 204, 429]);
    let limited = beat("exp-a", &a);
    assert!(
        limited
            .header("retry-after")
            .unwrap()
            .parse::<u64>()
            .unwrap()
            >= 1
    );
    limited.assert_hardened();
    // More heartbeats from this IP than its per-IP burst (5): other members are unaffected.
    let b_statuses: Vec<u16> = (0..2).map(|_| beat("exp-b", &b).status).collect();
    assert_eq!(b_statuses, [204, 204]);
    // 2 registrations + 6 heartbeats from one IP with a per-IP burst of 5: heartbeats did not
    // spend it, reads still do.
    let reads: Vec<u16> = (0..4)
        .map(|_| send(addr, "GET", "/api/v1/fleet", Some(VIEWER), &[], "").status)
        .collect();
    assert_eq!(reads, [200, 200, 200, 429]);
}

#[test]
fn body_cap_counts_bytes_read_and_the_member_cap_answers_403() {
    let config = lifted("").replace(
        "viewer_file = \"VIEWER_FILE\"",
        &format!("viewer = \"{VIEWER}\""),
    );
    let config = format!("max_members = 2\n{config}");
    let mut plane = start(&config, &[]);
    let addr = plane.addr().expect("started");
    let big = vec![b' '; 300 * 1024];
    let declared = format!(
        "POST /api/v1/register HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\
         Authorization: Bearer {INGEST}\r\nContent-Type: application/json\r\n\
         Content-Length: {}",
        big.len()
    );
    let reply = raw(addr, &declared, &big);
    assert_eq!(reply.status, 413, "{}", reply.body);
    reply.assert_hardened();
    let mut chunked = Vec::new();
    for chunk in big.chunks(16 * 1024) {
        chunked.extend_from_slice(format!("{:x}\r\n", chunk.len()).as_bytes());
        chunked.extend_from_slice(chunk);
        chunked.extend_from_slice(b"\r\n");
    }
    chunked.extend_from_slice(b"0\r\n\r\n");
    let head = format!(
        "POST /api/v1/heartbeat HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\
         Authorization: Bearer {INGEST}\r\nContent-Type: application/json\r\n\
         Transfer-Encoding: chunked"
    );
    let reply = raw(addr, &head, &chunked);
    assert_eq!(reply.status, 413, "chunked, no length: {}", reply.body);
    reply.assert_hardened();

    register(addr, "site-a", "exp-1");
    register(addr, "site-b", "exp-2");
    let reply = send(
        addr,
        "POST",
        "/api/v1/register",
        Some(INGEST),
        &[],
        &registration("site-c", "exp-3", None),
    );
    assert_eq!(reply.status, 403, "{}", reply.body);
    reply.assert_hardened();
    let reply = send(addr, "GET", "/nowhere", Some(VIEWER), &[], "");
    assert_eq!(
        (reply.status, reply.body.as_str()),
        (404, r#"{"error":"not found"}"#)
    );
    reply.assert_hardened();
}

#[test]
fn identity_conflicts_are_counted_in_metrics() {
    let config = lifted("trusted_proxies = [\"127.0.0.0/8\"]\n").replace(
        "viewer_file = \"VIEWER_FILE\"",
        &format!("viewer = \"{VIEWER}\""),
    );
    let mut plane = start(&config, &[]);
    let addr = plane.addr().expect("started");
    let lease = register(addr, "site-a", "twin");
    let from = |ip: &str| {
        let header = format!("X-Forwarded-For: {ip}");
        let body = heartbeat("site-a", "twin", &lease);
        send(
            addr,
            "POST",
            "/api/v1/heartbeat",
            Some(INGEST),
            &[&header],
            &body,
        )
        .status
    };
    assert_eq!(from("192.0.2.1"), 204);
    assert_eq!(
        from("192.0.2.2"),
        204,
        "a shared lease is accepted, but counted"
    );
    let metrics = send(addr, "GET", "/metrics", Some(VIEWER), &[], "");
    assert_eq!(metrics.status, 200);
    assert!(
        metrics
            .header("content-type")
            .unwrap()
            .starts_with("application/openmetrics-text"),
        "{:?}",
        metrics.headers
    );
    let value = |name: &str| -> f64 {
        let line = metrics
            .body
            .lines()
            .find(|l| l.starts_with(name))
            .unwrap_or("");
        line.rsplit(' ').next().unwrap().parse().unwrap_or(-1.0)
    };
    assert!(
        value("upsight_fleet_identity_conflicts_total ") >= 1.0,
        "{}",
        metrics.body
    );
    assert_eq!(
        value("upsight_fleet_heartbeats_total{result=\"accepted\"} "),
        2.0
    );
    assert_eq!(value("upsight_fleet_members{health=\"up\"} "), 1.0);
    assert!(!metrics.body.contains("twin"), "no identity in metrics");
    let logs = {
        drop(metrics);
        let _ = std::process::Command::new("kill")
            .args(["-TERM", &plane.child.id().to_string()])
            .status();
        plane.exit().1
    };
    assert!(logs.contains("Identity conflict"), "{logs}");
    assert!(!logs.contains(&lease), "the lease is never logged");
    assert!(!logs.contains(INGEST), "tokens are never logged");
}

#[test]
fn cors_answers_only_the_configured_origin() {
    let config = lifted("allowed_origins = [\"https://ops.example.com\"]\n").replace(
        "viewer_file = \"VIEWER_FILE\"",
        &format!("viewer = \"{VIEWER}\""),
    );
    let mut plane = start(&config, &[]);
    let addr = plane.addr().expect("started");
    let preflight = |origin: &str| {
        let headers = [
            format!("Origin: {origin}"),
            "Access-Control-Request-Method: GET".to_owned(),
            "Access-Control-Request-Headers: authorization".to_owned(),
        ];
        let headers: Vec<&str> = headers.iter().map(String::as_str).collect();
        send(addr, "OPTIONS", "/api/v1/fleet", None, &headers, "")
    };
    let listed = preflight("https://ops.example.com");
    assert_eq!(listed.status, 204, "{:?}", listed.headers);
    assert_eq!(
        listed.header("access-control-allow-origin"),
        Some("https://ops.example.com")
    );
    listed.assert_hardened();
    let other = preflight("https://evil.example.net");
    assert_ne!(other.status, 204);
    assert_eq!(other.header("access-control-allow-origin"), None);
    other.assert_hardened();
    let read = send(
        addr,
        "GET",
        "/api/v1/fleet",
        Some(VIEWER),
        &["Origin: https://ops.example.com"],
        "",
    );
    assert_eq!(read.status, 200);
    assert_eq!(
        read.header("access-control-allow-origin"),
        Some("https://ops.example.com")
    );
}
