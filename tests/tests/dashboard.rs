//! The dashboard in a real browser: headless Chromium driven through chromedriver against an
//! in-process exporter polling the NUT simulator. Logs in by link (the token leaves the URL,
//! the cookie is invisible to scripts), clicks through to a device page with SVG charts, flips
//! the simulated UPS to battery and sees the OB badge and the on_battery event appear without
//! a reload, takes screenshots (`target/dashboard-screenshot*.png`), logs out and in again with
//! the form, and finds no SEVERE console entry at any point (a CSP violation by inline script
//! or style would be one).

#![allow(clippy::unwrap_used)] // test code: a panic is a test failure

use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::{Duration, Instant};

use anyhow::{Context as _, ensure};
use upsight_e2e::browser::{self, Driver, Session, wait_until};
use upsight_e2e::exporter::Exporter;
use upsight_e2e::peers;
use upsight_e2e::scrape::{self, Body};
use upsight_sim::{Device, SimHandle, Simulator};

const VIEWER: &str = "viewer-token-0123456789abcdefghijklmnop";
const ADMIN: &str = "admin-token-0123456789abcdefghijklmnopqr";

/// Bound for the page to show a change made on the simulated UPS.
const LIVE_LIMIT: Duration = Duration::from_secs(10);

const RACK_BADGE: &str = "[data-device=\"rack\"] [data-field=\"badge\"]";

async fn sim() -> SimHandle {
    let vars = "ups.status: OL\nups.realpower: 250\nups.load: 35\nbattery.charge: 100\n\
battery.runtime: 1800\ninput.voltage: 230.5\ndevice.mfr: Eaton\ndevice.model: 5PX\n";
    Simulator::new()
        .with_device("rack".into(), Device::parse(vars).unwrap())
        .with_device("closet".into(), Device::parse(vars).unwrap())
        .bind("127.0.0.1:0")
        .await
        .unwrap()
}

async fn start_exporter(sim: &SimHandle) -> Exporter {
    let config = format!(
        "interval = \"200ms\"\nprice_per_kwh = 0.3\n[http]\nviewer_token = \"{VIEWER}\"\n\
admin_token = \"{ADMIN}\"\n[[nut]]\naddress = \"{}\"\n",
        sim.addr()
    );
    let exporter = Exporter::start(&config).await.unwrap();
    let auth = format!("Bearer {VIEWER}");
    wait_until(Duration::from_secs(10), "rack up in the API", || async {
        let headers = [("Authorization", auth.as_str())];
        let r = scrape::request(
            exporter.addr,
            "GET",
            "/api/v1/devices",
            &headers,
            Body::Empty,
        )
        .await?;
        Ok((r.status == 200 && r.body.contains("\"is_up\":true")).then_some(()))
    })
    .await
    .unwrap();
    exporter
}

async fn text_of(session: &Session, selector: &str) -> anyhow::Result<String> {
    let element = session.find(selector).await?;
    session.text(&element).await
}

async fn assert_no_severe(session: &Session, when: &str) -> anyhow::Result<usize> {
    let log = session.browser_log().await?;
    for entry in &log {
        eprintln!("console {when}: {} {}", entry.level, entry.message);
    }
    let severe: Vec<_> = log.iter().filter(|e| e.level == "SEVERE").collect();
    ensure!(
        severe.is_empty(),
        "SEVERE console entries {when}: {severe:#?}"
    );
    Ok(log.len())
}

fn screenshot_path() -> PathBuf {
    let workspace = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("..");
    let workspace = workspace.canonicalize().unwrap_or(workspace);
    workspace.join("target/dashboard-screenshot.png")
}

/// Checks the PNG signature and size; returns (bytes, width, height) from the IHDR chunk.
fn check_png(png: &[u8]) -> anyhow::Result<(usize, u32, u32)> {
    ensure!(png.starts_with(b"\x89PNG\r\n\x1a\n"), "not a PNG");
    ensure!(png.len() > 10_000, "a {} byte PNG is blank", png.len());
    let word = |at: usize| u32::from_be_bytes(png[at..at + 4].try_into().unwrap());
    Ok((png.len(), word(16), word(20)))
}

async fn login_by_link(session: &Session, base: &str) -> anyhow::Result<()> {
    let started = Instant::now();
    session.goto(&format!("{base}/?token={VIEWER}")).await?;
    let url = session.url().await?;
    ensure!(!url.contains("token"), "the token stays in the URL: {url}");
    ensure!(url == format!("{base}/"), "landed on {url}");
    let cookie = session.execute("return document.cookie").await?;
    ensure!(
        cookie == "",
        "the session cookie is readable by scripts: {cookie}"
    );
    ensure!(
        text_of(session, RACK_BADGE).await? == "OL",
        "rack is on line"
    );
    let cards = session.find_all("article.card[data-device]").await?;
    ensure!(cards.len() == 2, "{} device cards", cards.len());
    eprintln!("login by link + device list: {:?}", started.elapsed());
    let path = screenshot_path().with_file_name("dashboard-screenshot-devices.png");
    upsight_e2e::write_file(&path, &check_screenshot(session).await?)?;
    eprintln!("screenshot: {}", path.display());
    Ok(())
}

async fn open_device_page(session: &Session, base: &str) -> anyhow::Result<()> {
    let link = session.find("article[data-device=\"rack\"] h2 a").await?;
    session.click(&link).await?;
    let want = format!("{base}/devices/rack");
    wait_until(Duration::from_secs(5), "the device page", || async {
        Ok((session.url().await? == want).then_some(()))
    })
    .await?;
    let charts = session.find_all("svg.chart").await?;
    ensure!(charts.len() == 4, "{} charts", charts.len());
    ensure!(
        !session
            .find_all("svg.chart polyline, svg.chart circle")
            .await?
            .is_empty()
    );
    ensure!(text_of(session, "h1").await? == "rack");
    Ok(())
}

/// Flips the UPS to battery and waits for the page to show it, without navigating.
async fn see_outage_live(session: &Session, sim: &SimHandle) -> anyhow::Result<Duration> {
    session
        .execute("window.upsightMarker = 'same-page'; return true")
        .await?;
    let before = session.url().await?;
    let flipped = Instant::now();
    ensure!(sim.set_var("rack", "ups.status", "OB DISCHRG"));
    wait_until(
        LIVE_LIMIT,
        "the OB badge and an on_battery event",
        || async {
            let rows = session
                .find_all("tbody[data-events] tr[data-kind=\"on_battery\"]")
                .await?;
            let badge = text_of(session, RACK_BADGE).await?;
            Ok((!rows.is_empty() && badge == "OB").then_some(()))
        },
    )
    .await?;
    let elapsed = flipped.elapsed();
    let marker = session.execute("return window.upsightMarker").await?;
    ensure!(
        marker == "same-page",
        "the page was reloaded (marker {marker})"
    );
    ensure!(session.url().await? == before, "the page navigated");
    let flags = text_of(session, "[data-device=\"rack\"] [data-field=\"flags\"]").await?;
    ensure!(flags == "OB DISCHRG", "flags {flags:?}");
    Ok(elapsed)
}

async fn logout_and_login_with_the_form(session: &Session, base: &str) -> anyhow::Result<()> {
    let logout = session.find("form.logout button").await?;
    session.click(&logout).await?;
    let login = format!("{base}/login");
    wait_until(Duration::from_secs(5), "the login page", || async {
        Ok((session.url().await? == login).then_some(()))
    })
    .await?;
    let field = session.find("form.login input[name=\"token\"]").await?;
    session.type_text(&field, VIEWER).await?;
    session
        .click(&session.find("form.login button").await?)
        .await?;
    let home = format!("{base}/");
    wait_until(
        Duration::from_secs(5),
        "the device list after login",
        || async { Ok((session.url().await? == home).then_some(())) },
    )
    .await?;
    ensure!(text_of(session, RACK_BADGE).await? == "OB");
    Ok(())
}

/// A screenshot of the viewport, checked to be a non-trivial PNG of the window's width.
async fn check_screenshot(session: &Session) -> anyhow::Result<Vec<u8>> {
    let png = session.screenshot().await?;
    let (_, width, height) = check_png(&png)?;
    ensure!(
        width >= 1000 && height >= 600,
        "screenshot {width}x{height}"
    );
    Ok(png)
}

/// The top of the device page (badge, readout, charts) and, scrolled, its events table.
async fn take_screenshots(session: &Session) -> anyhow::Result<()> {
    let top = screenshot_path();
    let events = top.with_file_name("dashboard-screenshot-events.png");
    for (path, scroll_to) in [(top, None), (events, Some("h2#events"))] {
        if let Some(selector) = scroll_to {
            session
                .scroll_into_view(&session.find(selector).await?)
                .await?;
        }
        let png = check_screenshot(session).await?;
        upsight_e2e::write_file(&path, &png).with_context(|| format!("{}", path.display()))?;
        eprintln!("screenshot: {} ({} bytes)", path.display(), png.len());
    }
    Ok(())
}

async fn drive(session: &Session, sim: &SimHandle, addr: SocketAddr) -> anyhow::Result<()> {
    let base = format!("http://{addr}");
    login_by_link(session, &base).await?;
    open_device_page(session, &base).await?;
    let elapsed = see_outage_live(session, sim).await?;
    eprintln!("OB badge and on_battery event shown live {elapsed:?} after the flip");
    take_screenshots(session).await?;
    let entries = assert_no_severe(session, "on the device page").await?;
    logout_and_login_with_the_form(session, &base).await?;
    let more = assert_no_severe(session, "after logout and form login").await?;
    eprintln!("console: {} entries, none SEVERE", entries + more);
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn chromium_logs_in_by_link_and_sees_an_outage_live() {
    let Some(chromium) = peers::require("chromium", &[browser::CHROMIUM]) else {
        return;
    };
    let Some(chromedriver) = peers::require("chromedriver", &[browser::CHROMEDRIVER]) else {
        return;
    };
    let started = Instant::now();
    let sim = sim().await;
    let exporter = start_exporter(&sim).await;
    let driver = Driver::start(&chromedriver).await.unwrap();
    let session = driver.session(&chromium).await.unwrap();
    eprintln!(
        "exporter + chromedriver + chromium session: {:?}",
        started.elapsed()
    );
    let outcome = drive(&session, &sim, exporter.addr).await;
    let quit = session.quit().await;
    if let Err(error) = outcome {
        let log = driver.log();
        let tail: Vec<&str> = log.lines().rev().take(40).collect();
        panic!(
            "{error:#}\nchromedriver log (last lines, newest first):\n{}",
            tail.join("\n")
        );
    }
    quit.unwrap();
    exporter.stop().await;
    eprintln!("whole test: {:?}", started.elapsed());
}
