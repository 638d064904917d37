//! Dashboard: escaping, every page over a snapshot with an up, a down and a stale device,
//! charts with 0, 1 and many points, and the routes (status, content type, cache headers)
//! through the exporter's whole hardened router.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use axum::body::Body;
use axum::extract::ConnectInfo;
use axum::http::{Request, StatusCode, header};
use http_body_util::BodyExt;
use tower::ServiceExt;
use upsight_model::{
    DeviceState, Event, EventKind, FailureReason, Outcome, Snapshot, Source, UpsName,
};

use super::chart::{Chart, DEVICE_CHARTS, Scale, render_chart};
use super::device::{DeviceView, render_device_page};
use super::devices::render_devices_page;
use super::events::{EventFilter, RawFilter, parse_filter, render_events_page};
use super::format::{badge, render_duration, render_percent, render_sample};
use super::html::{Html, escape};
use super::settings::{flatten, render_login_page, render_settings_page};
use crate::api::dto::{DeviceDetail, DeviceSummary};
use crate::config::Config;
use crate::http::AppState;
use crate::mapping;
use crate::poller::SnapshotHub;
use crate::tracker::{ExporterState, Point, Tracker};

const NASTY: &str = "<script>alert(\"x\")</script> & 'q'";

fn at(seconds: u64) -> SystemTime {
    UNIX_EPOCH + Duration::from_secs(1_800_000_000 + seconds)
}

fn name(n: &str) -> UpsName {
    n.parse().unwrap()
}

fn up(n: &str, status: &str) -> DeviceState {
    let vars = [
        ("ups.status", status),
        ("ups.realpower", "250"),
        ("battery.charge", "87"),
        ("battery.runtime", "1830"),
        ("ups.load", "42"),
        ("input.voltage", "230.4"),
        ("input.L1-N.voltage", "231"),
        ("device.mfr", "Eaton"),
        ("device.model", "5PX <1500>"),
        ("device.serial", "SN-SECRET-1234"),
        ("device.location", "Room 12 secret"),
        ("device.contact", "alice@example.com"),
        ("ups.firmware", "02.14"),
        ("driver.name", "usbhid-ups"),
    ];
    let vars = vars.iter().map(|(k, v)| ((*k).to_owned(), (*v).to_owned()));
    let mut state = DeviceState::new(name(n), Source::Nut);
    state.outcome = Outcome::Ok;
    state.reading = Some(Arc::new(mapping::nut::map(vars.collect()).unwrap()));
    state.last_success = Some(at(0));
    state.polls = 3;
    state
}

fn failed(n: &str, reason: FailureReason) -> DeviceState {
    let mut state = DeviceState::new(name(n), Source::Nut);
    state.outcome = Outcome::Failed {
        reason,
        detail: format!("detail {NASTY}"),
    };
    state
}

fn snapshot() -> Snapshot {
    Snapshot {
        devices: vec![
            up("rack", "OL CHRG"),
            failed("closet", FailureReason::Connect),
            failed("attic", FailureReason::Stale),
        ],
        is_ready: true,
        ..Snapshot::default()
    }
}

fn event(device: &str, kind: EventKind, seq: u64, detail: Option<&str>) -> Event {
    Event {
        device: name(device),
        kind,
        at: at(seq * 5),
        detail: detail.map(str::to_owned),
        seq,
    }
}

fn points(n: usize) -> Vec<Point> {
    let reading = up("rack", "OL").reading.unwrap();
    (0..n)
        .map(|i| Point::of(at(i as u64 * 5), &reading))
        .collect()
}

fn assert_no_nan(html: &str) {
    assert!(!html.contains("NaN"), "NaN in {html}");
    let is_infinite = html
        .match_indices("inf")
        .any(|(i, _)| !html[i..].starts_with("info"));
    assert!(!is_infinite, "inf in {html}");
}

#[test]
fn escape_covers_markup_quotes_and_ampersands() {
    assert_eq!(
        escape(NASTY),
        "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt; &amp; &#39;q&#39;"
    );
    let mut h = Html::new();
    h.raw("<p title=\"")
        .text("\" onmouseover=\"x")
        .raw("\">")
        .text("&amp;");
    assert_eq!(
        h.as_str(),
        "<p title=\"&quot; onmouseover=&quot;x\">&amp;amp;"
    );
}

#[test]
fn values_read_like_the_live_script_writes_them() {
    assert_eq!(render_percent(Some(0.874)), "87 %");
    assert_eq!(render_percent(Some(-0.001)), "0 %");
    assert_eq!(render_percent(Some(f64::NAN)), "—");
    assert_eq!(render_duration(Some(45.4)), "45 s");
    assert_eq!(render_duration(Some(1830.0)), "30 min 30 s");
    assert_eq!(render_duration(Some(7380.0)), "2 h 3 min");
    assert_eq!(render_duration(Some(f64::INFINITY)), "—");
    assert_eq!(render_sample("ups_battery_charge_ratio", 0.874), "87.4 %");
    assert_eq!(render_sample("ups_input_voltage_volts", 230.44), "230.4 V");
    assert_eq!(render_sample("ups_real_power_watts", 250.0), "250 W");
    assert_eq!(render_sample("ups_temperature_celsius", 24.0), "24.0 °C");
}

#[test]
fn badges_follow_the_state() {
    let s = snapshot();
    let kinds: Vec<_> = s
        .devices
        .iter()
        .map(|d| badge(&DeviceSummary::of(d)))
        .map(|b| (b.kind, b.text))
        .collect();
    assert_eq!(
        kinds,
        [
            ("ol", "OL".to_owned()),
            ("down", "down: connect".to_owned()),
            ("stale", "stale".to_owned())
        ]
    );
    for (status, kind) in [("OB DISCHRG", "ob"), ("OB LB", "lb"), ("OL OFF", "off")] {
        assert_eq!(badge(&DeviceSummary::of(&up("x", status))).kind, kind);
    }
    assert_eq!(
        badge(&DeviceSummary::of(&DeviceState::new(
            name("p"),
            Source::Nut
        )))
        .kind,
        "pending"
    );
}

#[test]
fn the_device_list_shows_every_state_and_an_empty_state() {
    let html = render_devices_page(&snapshot());
    for want in [
        "data-device=\"rack\"",
        "badge badge-ol\" data-field=\"badge\">OL<",
        "badge badge-down\" data-field=\"badge\">down: connect<",
        "badge badge-stale\" data-field=\"badge\">stale<",
        "data-field=\"charge\">87 %<",
        "data-field=\"runtime\">30 min 30 s<",
        "data-field=\"load\">42 %<",
        "data-field=\"power\">250 W<",
        "data-field=\"voltage\">230.4 V<",
        "5PX &lt;1500&gt;",
        "data-poll=\"devices\"",
    ] {
        assert!(html.contains(want), "{want} in {html}");
    }
    assert!(!html.contains("SN-SECRET") && !html.contains("<1500>"));
    let empty = render_devices_page(&Snapshot::default());
    assert!(empty.contains("No devices yet."));
    assert!(!empty.contains("class=\"card\""));
}

fn view_html(device: &DeviceState, events: &[Event], price: Option<f64>, n: usize) -> String {
    let detail = DeviceDetail::of(device, None);
    let meter = upsight_model::EnergyMeter::default();
    let view = DeviceView {
        device,
        detail: &detail,
        points: &points(n),
        events,
        outages: &[],
        energy: Some(&meter),
        price_per_kwh: price,
        now: at(100),
    };
    render_device_page(&view)
}

#[test]
fn the_device_page_shows_readings_info_charts_events_and_no_pii() {
    let events = [
        event("rack", EventKind::OnBattery, 1, Some(NASTY)),
        event("rack", EventKind::OnLine, 2, None),
    ];
    let html = view_html(&up("rack", "OL"), &events, Some(0.3), 20);
    for want in [
        "<code>ups_input_voltage_volts</code></td><td>L1-N</td>",
        "data-sample=\"ups_battery_charge_ratio||\">87.0 %<",
        "<td>Eaton</td>",
        "<td>02.14</td>",
        "<td>usbhid-ups</td>",
        "id=\"chart-charge\"",
        "id=\"chart-voltage\"",
        "<polyline class=\"line\"",
        "data-events=\"device=rack\"",
        "data-key=\"rack:2\"",
        "&lt;script&gt;alert(&quot;x&quot;)",
        "Cost, today",
        "No outages recorded.",
    ] {
        assert!(html.contains(want), "{want} in {html}");
    }
    assert_eq!(
        html.matches("<svg class=\"chart\"").count(),
        DEVICE_CHARTS.len()
    );
    assert!(
        html.find("rack:2").unwrap() < html.find("rack:1").unwrap(),
        "newest first"
    );
    for pii in ["SN-SECRET", "Room 12", "alice@"] {
        assert!(!html.contains(pii), "{pii} leaked");
    }
    assert!(!html.contains("<script>alert"));
    assert!(!html.contains("style="), "CSP: no inline style");
    assert_no_nan(&html);
    assert_eq!(html.matches("<script").count(), 1, "only the app.js tag");
}

#[test]
fn the_device_page_of_down_and_stale_devices() {
    for reason in [FailureReason::Connect, FailureReason::Stale] {
        let html = view_html(&failed("closet", reason), &[], None, 0);
        assert!(html.contains("No fresh reading."));
        assert!(html.contains("detail &lt;script&gt;"));
        assert!(html.contains("No data yet"));
        assert!(html.contains("No events yet."));
        assert!(!html.contains("Cost"));
        assert_no_nan(&html);
    }
}

#[test]
fn charts_with_zero_one_and_many_points_have_finite_coordinates() {
    let flat = Chart {
        id: "flat",
        title: "Flat",
        value: |_| Some(5.0),
        scale: Scale::Auto("V"),
    };
    let nan = Chart {
        id: "nan",
        title: "Bad",
        value: |_| Some(f64::NAN),
        scale: Scale::FromZero("W"),
    };
    for chart in DEVICE_CHARTS.iter().chain([&flat, &nan]) {
        for n in [0, 1, 2, 720] {
            let svg = render_chart(chart, &points(n)).into_string();
            assert_no_nan(&svg);
            assert!(svg.contains("<svg class=\"chart\""));
            let has_line = svg.contains("<polyline");
            let has_dot = svg.contains("<circle");
            let is_empty = svg.contains("No data yet");
            let data = if chart.id == "nan" { 0 } else { n };
            assert_eq!(
                (is_empty, has_dot, has_line),
                (data == 0, data == 1, data > 1)
            );
        }
    }
}

#[test]
fn event_filters_are_validated() {
    let (rack, closet) = (name("rack"), name("closet"));
    let known = [&rack, &closet];
    let raw = |d: &str, k: &str, s: &str| RawFilter::for_tests(d, k, s);
    let ok = parse_filter(&raw("rack", "on_battery", "warning"), &known).unwrap();
    assert_eq!(ok.query(), "device=rack&kind=on_battery&severity=warning");
    assert_eq!(
        parse_filter(&raw("", "", ""), &known).unwrap(),
        EventFilter::default()
    );
    for (bad, field) in [
        (raw("<x>", "", ""), "device:"),
        (raw("garage", "", ""), "device: no device named"),
        (raw("", "explosion", ""), "kind:"),
        (raw("", "", "fatal"), "severity:"),
    ] {
        assert!(parse_filter(&bad, &known).unwrap_err().starts_with(field));
    }
    let page = render_events_page(
        &known,
        &EventFilter::default(),
        Some(&format!("kind: {NASTY}")),
        &[],
    );
    assert!(page.contains("kind: &lt;script&gt;"));
    let events = [event("rack", EventKind::OnBattery, 1, None)];
    let page = render_events_page(&known, &ok, None, &events);
    assert!(page.contains("<option value=\"on_battery\" selected>"));
    assert!(page.contains("data-events=\"device=rack&amp;kind=on_battery&amp;severity=warning\""));
}

#[test]
fn settings_and_login_pages() {
    let config = serde_json::json!({
        "listen": "127.0.0.1:9955",
        "http": { "viewer_token": "***", "admin_token": null, "allowed_origins": [] },
        "nut": [{ "address": "h:3493", "password": "***", "prefix": NASTY }],
    });
    let rows = flatten(&config);
    assert!(rows.contains(&("http.viewer_token".into(), "***".into())));
    assert!(rows.contains(&("http.admin_token".into(), "—".into())));
    assert!(rows.contains(&("nut[0].password".into(), "***".into())));
    let html = render_settings_page(&config);
    assert!(html.contains("<code>nut[0].address</code>"));
    assert!(html.contains("&lt;script&gt;") && !html.contains("<script>alert"));
    let login = render_login_page("/events?kind=on_battery&x=\"");
    assert!(login.contains("name=\"next\" value=\"/events?kind=on_battery&amp;x=&quot;\""));
    assert!(login.contains("action=\"/login\""));
    assert!(!login.contains("<script"), "the login page needs no script");
}

// === the routes, through the exporter's hardened router ===

fn app() -> axum::Router {
    let config = Config::parse(
        "price_per_kwh = 0.25\n[[nut]]\naddress = \"127.0.0.1:3493\"\n",
        &|_| None,
    )
    .unwrap();
    let hub = SnapshotHub::new(vec!["nut[0]".into()]);
    let tracker = Tracker::new(ExporterState::default(), Duration::from_secs(1));
    let s = snapshot();
    tracker.observe(&s.devices, at(0));
    tracker.observe(&[up("rack", "OB DISCHRG")], at(1));
    hub.publish(0, s.devices, true);
    let supervisor = crate::supervisor::Supervisor::new(
        Arc::new(config.clone()),
        hub.clone(),
        tracker.clone(),
        Arc::default(),
        tokio_util::sync::CancellationToken::new(),
    );
    let state = AppState::new(hub, tracker, &config, Arc::default(), supervisor);
    let listen = SocketAddr::from(([127, 0, 0, 1], 9955));
    crate::http::router(state, &config, listen).0
}

async fn get(path: &str) -> (StatusCode, axum::http::HeaderMap, String) {
    let mut req = Request::get(path).body(Body::empty()).unwrap();
    let peer = SocketAddr::from(([127, 0, 0, 1], 40000));
    req.extensions_mut().insert(ConnectInfo(peer));
    let res = app().oneshot(req).await.unwrap();
    let (parts, body) = res.into_parts();
    let bytes = body.collect().await.unwrap().to_bytes();
    (
        parts.status,
        parts.headers,
        String::from_utf8(bytes.to_vec()).unwrap(),
    )
}

#[tokio::test]
async fn routes_answer_html_with_exact_statuses() {
    for (path, status, want) in [
        ("/", 200, "data-device=\"closet\""),
        ("/devices/rack", 200, "on_battery"),
        ("/devices/nope", 404, "Device not found"),
        ("/devices/%3Cx%3E", 404, "&lt;x&gt;"),
        ("/events", 200, "on_battery"),
        ("/events?kind=on_battery&device=rack", 200, "selected"),
        ("/events?kind=nope", 400, "kind: unknown event kind"),
        ("/events?bogus=1", 400, "invalid filter"),
        ("/settings", 200, "price_per_kwh"),
        (
            "/login?next=//evil.example",
            200,
            "name=\"next\" value=\"/\"",
        ),
    ] {
        let (got, headers, body) = get(path).await;
        assert_eq!(got.as_u16(), status, "{path}: {body}");
        assert_eq!(
            headers[header::CONTENT_TYPE],
            "text/html; charset=utf-8",
            "{path}"
        );
        assert_eq!(headers[header::CACHE_CONTROL], "no-store", "{path}");
        assert!(
            headers[header::CONTENT_SECURITY_POLICY]
                .to_str()
                .unwrap()
                .contains("script-src 'self'")
        );
        assert!(body.contains(want), "{path}: {want} in {body}");
        assert!(!body.contains("style="), "{path}: inline style");
    }
}

#[tokio::test]
async fn assets_have_types_and_cache_headers() {
    use super::assets::{CSS, ICON, JS};
    for (asset, ty) in [
        (CSS, "text/css"),
        (JS, "text/javascript"),
        (ICON, "image/svg+xml"),
    ] {
        let (status, headers, body) = get(&asset.url()).await;
        assert_eq!(status, StatusCode::OK);
        assert!(
            headers[header::CONTENT_TYPE]
                .to_str()
                .unwrap()
                .starts_with(ty)
        );
        assert!(
            headers[header::CACHE_CONTROL]
                .to_str()
                .unwrap()
                .contains("immutable")
        );
        assert_eq!(body, asset.body);
        let (_, headers, _) = get(asset.path).await;
        assert_eq!(
            headers[header::CACHE_CONTROL],
            "no-cache",
            "unversioned revalidates"
        );
    }
    assert!(JS.body.lines().count() < 250, "app.js stays small");
    assert!(!JS.body.contains(".innerHTML"), "textContent only");
}
