//! The UI: every page rendered over a registry with an up, an on-battery and a down member,
//! escaping, empty states; and the routes through a hardened router wired like
//! `server::router` (viewer-gated pages, open login page and assets).

use std::net::{IpAddr, SocketAddr};
use std::sync::Arc;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use axum::body::Body;
use axum::extract::ConnectInfo;
use axum::http::{HeaderMap, Request, StatusCode, header};
use http_body_util::BodyExt;
use serde_json::json;
use tower::ServiceExt;
use upsight_http::html::Html;
use upsight_http::{Credentials, Exposure, Hardening, HttpConfig, RateLimitConfig, TokenSet};
use upsight_model::{HeartbeatV1, RegisterRequestV1};

use super::global::render_fleet_page;
use super::group::render_group_page;
use super::layout::{render_login_page, render_not_found_page};
use super::member::{MemberPage, render_member_page};
use super::table::{Cell, Column, Content, Row, render_table};
use super::{assets, open_router, viewer_router};
use crate::plane::Plane;
use crate::{FleetState, LeaseKey, Registry, RegistryConfig};

const NASTY: &str = "<script>alert(\"x\")</script> & 'q'";
const VIEWER: &str = "viewer-token-0123456789abcdef0123456789";
const INGEST: &str = "ingest-token-0123456789abcdef0123456789";
const PEER: IpAddr = IpAddr::V4(std::net::Ipv4Addr::LOCALHOST);

fn at(seconds: u64) -> SystemTime {
    UNIX_EPOCH + Duration::from_secs(1_767_225_600 + seconds)
}

fn device(name: &str, status: &[&str], runtime: f64) -> serde_json::Value {
    json!({
        "name": name, "source": "nut", "is_up": true, "is_stale": false, "status": status,
        "charge_ratio": 0.62, "runtime_seconds": runtime, "load_ratio": 0.41,
        "real_power_watts": 310.5, "last_transfer_unix": 1_767_225_000u64,
    })
}

/// Registers `identity` in `group` at `when` and heartbeats `devices`.
fn join(
    registry: &mut Registry,
    key: &LeaseKey,
    (group, identity): (&str, &str),
    when: SystemTime,
    devices: &[serde_json::Value],
) {
    let request: RegisterRequestV1 = serde_json::from_value(json!({
        "version": 1, "identity": identity, "group": group, "software_version": "0.1.0",
        "scrape_target": "exporter.example:9199", "lease": null,
    }))
    .unwrap();
    let lease = registry
        .register(&request, PEER, when, key)
        .unwrap()
        .response
        .lease;
    let mut hb: HeartbeatV1 = serde_json::from_value(json!({
        "version": 1, "identity": identity, "lease": lease, "group": group,
        "software_version": "0.1.0", "uptime_seconds": 60, "sent_at_unix": 0,
        "devices": devices,
    }))
    .unwrap();
    registry.heartbeat(&mut hb, PEER, when, key).unwrap();
}

/// site-a: one member on line; site-b: one member with `rack-b` on battery and low on
/// runtime; site-c: one member heard from a day before `now`.
fn registry(now: SystemTime) -> (Registry, LeaseKey) {
    let config = RegistryConfig {
        discovery_hosts: vec!["exporter.example".into()],
        ..RegistryConfig::default()
    };
    let (mut registry, key) = FleetState::default().into_registry(config).unwrap();
    let on_line = device("rack-a", &["OL", "CHRG"], 3540.0);
    let a = ("site-a", "member-a");
    join(&mut registry, &key, a, now, std::slice::from_ref(&on_line));
    let devices = [on_line, device("rack-b", &["OB", "DISCHRG"], 120.0)];
    join(&mut registry, &key, ("site-b", "member-b"), now, &devices);
    let long_ago = now - Duration::from_secs(86_400);
    let c = ("site-c", "member-c");
    join(&mut registry, &key, c, long_ago, &devices);
    (registry, key)
}

fn assert_page(html: &str) {
    assert!(!html.contains("style="), "CSP: no inline style");
    assert_eq!(html.matches("<script").count(), 1, "only the app.js tag");
    assert!(html.contains("<script src=\"/assets/app.js?v="));
    assert!(html.contains("data-refresh-ms=\"5000\""));
    assert!(!html.contains("NaN") && !html.contains("inf "));
}

#[test]
fn the_fleet_page_lists_groups_with_counts_and_sortable_headers() {
    let (registry, _) = registry(at(0));
    let html = render_fleet_page(&registry.fleet(at(5)));
    for want in [
        "data-poll=\"fleet\" data-api=\"/api/v1/fleet\"",
        "<th scope=\"col\" data-col=\"group\" data-type=\"text\" aria-sort=\"ascending\">\
         <button type=\"button\">Site</button></th>",
        "<th scope=\"col\" data-col=\"upses_on_battery\" data-type=\"number\"><button",
        "<tr data-key=\"site-b\" id=\"group-site-b\" class=\"on-battery low-runtime\">",
        "<td data-field=\"group\" data-sort=\"site-b\"><a href=\"/groups/site-b\">site-b</a>",
        "<td data-field=\"upses_on_battery\" data-sort=\"1\">1</td>",
        "<tr data-key=\"site-c\" id=\"group-site-c\" class=\"has-down\">",
        "class=\"total is-alert\" data-total=\"upses_on_battery\" data-alerting><dt>On battery\
         </dt><dd>1</dd>",
        "class=\"total\" data-total=\"members_up\"><dt>Members up</dt><dd>2</dd>",
        "<li aria-current=\"page\">Fleet</li>",
        "<p class=\"empty\" data-empty hidden>",
    ] {
        assert!(html.contains(want), "{want} in {html}");
    }
    let order: Vec<_> = ["site-a", "site-b", "site-c"]
        .map(|g| html.find(&format!("data-key=\"{g}\"")).unwrap())
        .into();
    assert!(order.is_sorted(), "by name, as declared by aria-sort");
    assert_page(&html);
    let empty = render_fleet_page(&crate::FleetView::default());
    assert!(empty.contains("<p class=\"empty\" data-empty>No member has registered yet."));
    assert!(!empty.contains("<tr data-key"));
}

#[test]
fn the_group_page_shows_members_with_health_age_and_counts() {
    let (registry, _) = registry(at(0));
    let detail = registry.group(&"site-b".parse().unwrap(), at(12)).unwrap();
    let html = render_group_page(&detail, at(12));
    for want in [
        "data-poll=\"group\" data-api=\"/api/v1/groups/site-b\"",
        "<li><a href=\"/\">Fleet</a></li><li aria-current=\"page\">site-b</li>",
        "<tr data-key=\"member-b\" id=\"member-member-b\" class=\"on-battery low-runtime\">",
        "<a href=\"/members/site-b/member-b\">member-b</a>",
        "<td data-field=\"member_number\" data-sort=\"1\">1</td>",
        "<td data-field=\"health\" data-sort=\"0\"><span class=\"badge badge-up\">up</span>",
        "<td data-field=\"last_seen\" data-sort=\"1767225600\">12 s ago</td>",
        "<td data-field=\"upses\" data-sort=\"2\">2</td>",
        "aria-sort=\"ascending\"><button type=\"button\">No.</button>",
    ] {
        assert!(html.contains(want), "{want} in {html}");
    }
    assert_page(&html);
    let down = registry.group(&"site-c".parse().unwrap(), at(12)).unwrap();
    let html = render_group_page(&down, at(12));
    assert!(html.contains("data-sort=\"2\"><span class=\"badge badge-down\">down</span>"));
    assert!(html.contains("24 h 0 min ago"), "{html}");
    assert!(
        !html.contains("class=\"on-battery"),
        "a down member's report is old news"
    );
}

fn member_html(group: &str, identity: &str, now: SystemTime) -> String {
    let (registry, _) = registry(at(0));
    let view = registry
        .member(&group.parse().unwrap(), &identity.parse().unwrap(), now)
        .unwrap();
    render_member_page(&MemberPage {
        view: &view,
        now,
        low_runtime: registry.config().low_runtime,
    })
}

#[test]
fn the_member_page_highlights_the_ups_on_battery() {
    let html = member_html("site-b", "member-b", at(3));
    for want in [
        "data-poll=\"member\" data-api=\"/api/v1/members/site-b/member-b\"",
        "<li><a href=\"/groups/site-b\">site-b</a></li><li aria-current=\"page\">member-b</li>",
        "<tr data-key=\"rack-a\" id=\"ups-rack-a\"><td",
        "<tr data-key=\"rack-b\" id=\"ups-rack-b\" class=\"on-battery low-runtime\">",
        "<td data-field=\"name\" data-sort=\"rack-b\"><a href=\"#ups-rack-b\">rack-b</a>",
        "<td data-field=\"source\" data-sort=\"nut\">nut</td>",
        "<td data-field=\"status\" data-sort=\"OB DISCHRG\">OB DISCHRG</td>",
        "<td data-field=\"charge\" data-sort=\"0.62\">62 %</td>",
        "<td data-field=\"runtime\" data-sort=\"120\">2 min 0 s</td>",
        "<td data-field=\"load\" data-sort=\"0.41\">41 %</td>",
        "<td data-field=\"power\" data-sort=\"310.5\">311 W</td>",
        "data-sort=\"1767225000\">2025-12-31 23:50:00 UTC</td>",
        "data-fact=\"health\" class=\"badge badge-up\">up</span>",
        "data-fact=\"last_seen\">3 s ago</dd>",
        "data-fact=\"scrape_target\">exporter.example:9199</dd>",
        "data-low-runtime-s=\"300\"",
    ] {
        assert!(html.contains(want), "{want} in {html}");
    }
    assert!(html.find("ups-rack-a").unwrap() < html.find("ups-rack-b").unwrap());
    assert_page(&html);
    let html = member_html("site-c", "member-c", at(3));
    assert!(
        html.contains("<tr data-key=\"rack-b\" id=\"ups-rack-b\"><td"),
        "{html}"
    );
    assert!(html.contains("<span class=\"badge badge-down\">down</span>"));
}

#[test]
fn every_value_is_escaped() {
    let columns = [Column::text("name", "Name"), Column::number("n", "N")];
    let rows = [Row {
        key: NASTY.into(),
        id: Some(NASTY.into()),
        classes: vec!["on-battery"],
        cells: vec![
            Cell {
                content: Content::Link(NASTY.into(), NASTY.into()),
                sort: Some(NASTY.into()),
            },
            Cell {
                content: Content::Badge("up", NASTY.into()),
                sort: None,
            },
        ],
    }];
    let html = render_table(NASTY, &columns, &rows, None, "none").into_string();
    assert!(
        !html.contains("<script>") && !html.contains("\"x\""),
        "{html}"
    );
    // caption, key, id, sort key, href, link text, badge text
    assert_eq!(html.matches("&lt;script&gt;").count(), 7, "{html}");
    assert!(html.contains("<td data-field=\"n\"><span class=\"badge badge-up\">"));
    let login = render_login_page("/groups/a?x=\"><script>");
    assert!(login.contains("value=\"/groups/a?x=&quot;&gt;&lt;script&gt;\""));
    assert!(!login.contains("<script"), "the login page needs no script");
    let missing = render_not_found_page();
    assert!(missing.contains("No such group or member.") && !missing.contains("<script"));
    let mut h = Html::new();
    h.text(NASTY);
    assert!(!h.as_str().contains('<'));
}

// === the routes, through the hardening stack ===

fn app() -> axum::Router {
    let (registry, key) = registry(SystemTime::now());
    let plane = Plane::new(
        registry,
        key,
        Some(TokenSet::parse_list(INGEST).unwrap()),
        RateLimitConfig::default(),
        RateLimitConfig::default(),
        false,
    );
    plane
        .is_ready
        .store(true, std::sync::atomic::Ordering::Release);
    let plane = Arc::new(plane);
    let credentials = Credentials {
        viewer: Some(TokenSet::parse_list(VIEWER).unwrap()),
        ..Credentials::default()
    };
    let listen = SocketAddr::from(([127, 0, 0, 1], 9956));
    Hardening::new(HttpConfig::new(credentials, Exposure::of(listen)))
        .open(open_router(Arc::clone(&plane)))
        .viewer(viewer_router(plane))
        .build()
}

async fn send(app: &axum::Router, req: Request<Body>) -> (StatusCode, HeaderMap, String) {
    let mut req = req;
    let peer = SocketAddr::from(([127, 0, 0, 1], 40000));
    req.extensions_mut().insert(ConnectInfo(peer));
    let res = app.clone().oneshot(req).await.unwrap();
    let (parts, body) = res.into_parts();
    let bytes = body.collect().await.unwrap().to_bytes();
    (
        parts.status,
        parts.headers,
        String::from_utf8_lossy(&bytes).into(),
    )
}

fn get(path: &str, extra: &[(&str, &str)]) -> Request<Body> {
    let mut req = Request::get(path).header(header::ACCEPT, "text/html,*/*;q=0.8");
    for (name, value) in extra {
        req = req.header(*name, *value);
    }
    req.body(Body::empty()).unwrap()
}

const PAGES: [&str; 3] = ["/", "/groups/site-b", "/members/site-b/member-b"];

#[tokio::test]
async fn a_browser_without_a_session_is_sent_to_the_login_page() {
    let app = app();
    for (path, next) in [("/", "/"), ("/groups/site-b", "/groups/site-b")] {
        let (status, headers, _) = send(&app, get(path, &[])).await;
        assert_eq!(status, StatusCode::SEE_OTHER, "{path}");
        assert_eq!(headers[header::LOCATION], format!("/login?next={next}"));
    }
    let (status, headers, body) = send(&app, get("/login?next=/groups/site-b", &[])).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(headers[header::CONTENT_TYPE], "text/html; charset=utf-8");
    assert!(
        body.contains("name=\"next\" value=\"/groups/site-b\""),
        "{body}"
    );
    assert!(body.contains("<form class=\"login\" method=\"post\" action=\"/login\">"));
    let (_, _, body) = send(&app, get("/login?next=//evil.example", &[])).await;
    assert!(
        body.contains("name=\"next\" value=\"/\""),
        "only same-origin paths"
    );
}

#[tokio::test]
async fn the_viewer_token_and_its_session_open_every_page() {
    let app = app();
    let bearer = format!("Bearer {VIEWER}");
    for (path, want) in PAGES.into_iter().zip(["site-b", "member-b", "ups-rack-b"]) {
        let (status, headers, body) = send(&app, get(path, &[("authorization", &bearer)])).await;
        assert_eq!(status, StatusCode::OK, "{path}: {body}");
        assert_eq!(headers[header::CONTENT_TYPE], "text/html; charset=utf-8");
        assert_eq!(headers[header::CACHE_CONTROL], "no-store");
        assert!(body.contains(want), "{path}: {want}");
    }
    let form = format!("token={VIEWER}&next=%2Fgroups%2Fsite-b");
    let login = Request::post("/login")
        .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
        .body(Body::from(form))
        .unwrap();
    let (status, headers, _) = send(&app, login).await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    assert_eq!(headers[header::LOCATION], "/groups/site-b");
    let cookie = headers[header::SET_COOKIE].to_str().unwrap();
    let cookie = cookie.split(';').next().unwrap().to_owned();
    let (status, _, body) = send(&app, get("/groups/site-b", &[("cookie", &cookie)])).await;
    assert_eq!(status, StatusCode::OK);
    assert!(body.contains("member-b"));
}

#[tokio::test]
async fn an_ingest_token_reads_no_page() {
    let app = app();
    let bearer = format!("Bearer {INGEST}");
    for path in PAGES {
        let (status, headers, _) = send(&app, get(path, &[("authorization", &bearer)])).await;
        assert_eq!(status, StatusCode::UNAUTHORIZED, "{path}");
        assert!(headers.contains_key(header::WWW_AUTHENTICATE), "{path}");
    }
}

#[tokio::test]
async fn unknown_groups_and_members_are_a_flat_404_with_security_headers() {
    let app = app();
    let bearer = format!("Bearer {VIEWER}");
    for path in [
        "/groups/site-x",
        "/groups/%3Cscript%3E",
        "/members/site-b/member-a",
        "/members/site-x/member-b",
        "/members/site-b/%3Cx%3E",
    ] {
        let (status, headers, body) = send(&app, get(path, &[("authorization", &bearer)])).await;
        assert_eq!(status, StatusCode::NOT_FOUND, "{path}");
        assert_eq!(body, render_not_found_page(), "{path}: the same flat page");
        assert_eq!(headers[header::CONTENT_TYPE], "text/html; charset=utf-8");
        assert_eq!(headers[header::X_FRAME_OPTIONS], "DENY");
        assert_eq!(headers[header::X_CONTENT_TYPE_OPTIONS], "nosniff");
        let csp = headers[header::CONTENT_SECURITY_POLICY].to_str().unwrap();
        assert!(csp.contains("script-src 'self'") && csp.contains("style-src 'self'"));
    }
}

#[tokio::test]
async fn assets_are_served_with_types_and_cache_headers() {
    let app = app();
    for (asset, ty) in [
        (assets::CSS, "text/css"),
        (assets::JS, "text/javascript"),
        (assets::ICON, "image/svg+xml"),
    ] {
        let (status, headers, body) = send(&app, get(&asset.url(), &[])).await;
        assert_eq!(status, StatusCode::OK, "{}", asset.path);
        let content_type = headers[header::CONTENT_TYPE].to_str().unwrap();
        assert!(content_type.starts_with(ty), "{content_type}");
        let cache = headers[header::CACHE_CONTROL].to_str().unwrap();
        assert!(cache.contains("immutable"), "{cache}");
        assert_eq!(body, asset.body);
        let (_, headers, _) = send(&app, get(asset.path, &[])).await;
        assert_eq!(
            headers[header::CACHE_CONTROL],
            "no-cache",
            "unversioned revalidates"
        );
        // The SVG namespace is a name, not a fetch.
        let body = asset
            .body
            .replace("xmlns=\"http://www.w3.org/2000/svg\"", "");
        for external in ["http://", "https://", "@import", "url("] {
            assert!(!body.contains(external), "{}: {external}", asset.path);
        }
    }
    assert!(!assets::JS.body.contains(".innerHTML"), "textContent only");
    assert!(!assets::JS.body.contains("eval("));
    assert!(assets::JS.body.lines().count() < 300, "app.js stays small");
}
