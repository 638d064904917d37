//! The fleet web UI in a real browser: the `upsight fleet` binary on loopback with three
//! members in three sites, headless Chromium through chromedriver. Redirected to the login
//! page, logs in with the viewer token, sorts the sites, drills down site → member → the UPS
//! on battery (highlighted, landed on by its anchor), sees that UPS come back on line and a
//! second site go on battery without a reload (the sort kept, a new site's row added live),
//! and finds no SEVERE console entry (a CSP violation would be one). Screenshots go to
//! `$CARGO_TARGET_TMPDIR/fleet-ui-*.png` (`target/tmp`). Every wait is bounded.

#![allow(clippy::unwrap_used)] // test code: a panic is a test failure

use std::path::PathBuf;
use std::time::{Duration, Instant};

use anyhow::ensure;
use serde_json::Value;
use upsight_e2e::browser::{self, Driver, Session, wait_until};
use upsight_e2e::fleet_plane::{FleetPlane, Member, ups};
use upsight_e2e::peers;
use upsight_e2e::scrape::{self, Body};

const VIEWER: &str = "viewer-token-0123456789abcdef0123456789";
const INGEST: &str = "ingest-token-0123456789abcdef0123456789";

/// Bound for the open page to show a change: three refresh periods of the script (5 s).
const LIVE_LIMIT: Duration = Duration::from_secs(15);
/// Bound for a navigation or a click to take effect.
const STEP_LIMIT: Duration = Duration::from_secs(5);

struct Fleet {
    plane: FleetPlane,
    b: Member,
    c: Member,
}

fn site_a() -> Vec<Value> {
    ["ups-a1", "ups-a2", "ups-a3"]
        .map(|n| ups(n, &["OL", "CHRG"], 3000.0))
        .into()
}

fn site_b(rack_b: &[&str], runtime: f64) -> Vec<Value> {
    vec![
        ups("rack-b", rack_b, runtime),
        ups("rack-b2", &["OL"], 2400.0),
    ]
}

fn site_c(status: &[&str]) -> Vec<Value> {
    vec![ups("ups-c1", status, 1800.0)]
}

/// The plane with site-a (3 UPSes on line), site-b (`rack-b` on battery, 120 s left) and
/// site-c (one UPS on line).
async fn start_fleet() -> anyhow::Result<Fleet> {
    let config = format!(
        "listen = \"127.0.0.1:0\"\nheartbeat_interval = \"1s\"\nttl = \"30s\"\n\
[tokens]\ningest = \"{INGEST}\"\nviewer = \"{VIEWER}\"\n"
    );
    let plane = FleetPlane::start(&config).await?;
    let a = plane.register(INGEST, "site-a", "member-a").await?;
    let b = plane.register(INGEST, "site-b", "member-b").await?;
    let c = plane.register(INGEST, "site-c", "member-c").await?;
    plane.heartbeat(INGEST, &a, &site_a()).await?;
    plane
        .heartbeat(INGEST, &b, &site_b(&["OB", "DISCHRG"], 120.0))
        .await?;
    plane.heartbeat(INGEST, &c, &site_c(&["OL"])).await?;
    Ok(Fleet { plane, b, c })
}

/// The pages over plain HTTP: the ingest token reads none, the viewer token all.
async fn check_tokens(plane: &FleetPlane) -> anyhow::Result<()> {
    for path in ["/", "/groups/site-b", "/members/site-b/member-b"] {
        for (role, token, want) in [("ingest", INGEST, 401), ("viewer", VIEWER, 200)] {
            let auth = format!("Bearer {token}");
            let headers = [("Accept", "text/html"), ("Authorization", auth.as_str())];
            let r = scrape::request(plane.addr, "GET", path, &headers, Body::Empty).await?;
            ensure!(
                r.status == want,
                "{path} with the {role} token: {}",
                r.status
            );
        }
    }
    let auth = format!("Bearer {VIEWER}");
    let headers = [("Authorization", auth.as_str())];
    let r = scrape::request(plane.addr, "GET", "/groups/nope", &headers, Body::Empty).await?;
    ensure!(r.status == 404, "unknown group: {}", r.status);
    ensure!(
        r.body.contains("No such group or member.") && r.header("x-frame-options") == Some("DENY")
    );
    Ok(())
}

async fn text_of(session: &Session, selector: &str) -> anyhow::Result<String> {
    let element = session.find(selector).await?;
    session.text(&element).await
}

async fn click(session: &Session, selector: &str) -> anyhow::Result<()> {
    session.click(&session.find(selector).await?).await
}

async fn wait_for_url(session: &Session, want: &str) -> anyhow::Result<()> {
    wait_until(STEP_LIMIT, want, || async {
        Ok((session.url().await? == want).then_some(()))
    })
    .await
}

/// The `data-key`s of the rows of the page's table, in document order.
async fn row_keys(session: &Session) -> anyhow::Result<Vec<String>> {
    let keys = session
        .execute(
            "return Array.from(document.querySelectorAll('table[data-table] tbody tr'))\
             .map((tr) => tr.dataset.key)",
        )
        .await?;
    Ok(serde_json::from_value(keys)?)
}

async fn wait_for_rows(session: &Session, want: &[&str]) -> anyhow::Result<()> {
    wait_until(STEP_LIMIT, &format!("rows {want:?}"), || async {
        Ok((row_keys(session).await? == want).then_some(()))
    })
    .await
}

/// Marks the page, so a reload (which would lose the mark) can be told apart.
async fn mark(session: &Session) -> anyhow::Result<()> {
    session
        .execute("window.upsightMark = 'same-page'; return true")
        .await?;
    Ok(())
}

async fn assert_not_reloaded(session: &Session) -> anyhow::Result<()> {
    let mark = session.execute("return window.upsightMark").await?;
    ensure!(mark == "same-page", "the page was reloaded (mark {mark})");
    Ok(())
}

async fn login(session: &Session, base: &str) -> anyhow::Result<()> {
    session.goto(&format!("{base}/")).await?;
    wait_for_url(session, &format!("{base}/login?next=/")).await?;
    let field = session.find("form.login input[name=\"token\"]").await?;
    session.type_text(&field, VIEWER).await?;
    click(session, "form.login button").await?;
    wait_for_url(session, &format!("{base}/")).await?;
    let cookie = session.execute("return document.cookie").await?;
    ensure!(
        cookie == "",
        "the session cookie is readable by scripts: {cookie}"
    );
    Ok(())
}

/// The global page lists the sites, site-b with 1 UPS on battery; sorting reorders.
async fn global_page_sorts(session: &Session) -> anyhow::Result<()> {
    wait_for_rows(session, &["site-a", "site-b", "site-c"]).await?;
    let on_battery = "tr[data-key=\"site-b\"] td[data-field=\"upses_on_battery\"]";
    ensure!(text_of(session, on_battery).await? == "1");
    ensure!(text_of(session, "[data-total=\"upses_on_battery\"] dd").await? == "1");
    ensure!(text_of(session, "[data-total=\"upses_low_runtime\"] dd").await? == "1");
    let upses = "th[data-col=\"upses\"]";
    click(session, &format!("{upses} button")).await?;
    wait_for_rows(session, &["site-c", "site-b", "site-a"]).await?;
    let sort = format!("return document.querySelector('{upses}').getAttribute('aria-sort')");
    ensure!(session.execute(&sort).await? == "ascending");
    click(session, &format!("{upses} button")).await?;
    wait_for_rows(session, &["site-a", "site-b", "site-c"]).await?;
    ensure!(session.execute(&sort).await? == "descending");
    let others = "return document.querySelectorAll('th[aria-sort]').length";
    ensure!(
        session.execute(others).await? == 1,
        "one sorted column at a time"
    );
    Ok(())
}

/// site-b → member-b → the `rack-b` row, highlighted and landed on by its anchor.
async fn drill_down(session: &Session, base: &str) -> anyhow::Result<()> {
    click(
        session,
        "tr[data-key=\"site-b\"] td[data-field=\"group\"] a",
    )
    .await?;
    wait_for_url(session, &format!("{base}/groups/site-b")).await?;
    click(
        session,
        "tr[data-key=\"member-b\"] td[data-field=\"identity\"] a",
    )
    .await?;
    wait_for_url(session, &format!("{base}/members/site-b/member-b")).await?;
    ensure!(text_of(session, "nav.crumbs").await?.contains("site-b"));
    ensure!(text_of(session, "#ups-rack-b td[data-field=\"status\"]").await? == "OB DISCHRG");
    let class = session
        .execute("return document.getElementById('ups-rack-b').className")
        .await?;
    ensure!(
        class.as_str().unwrap_or_default().contains("on-battery"),
        "class {class}"
    );
    let background = "const bg = (id) => \
         getComputedStyle(document.querySelector('#' + id + ' td')).backgroundColor; \
         return [bg('ups-rack-b'), bg('ups-rack-b2')]";
    let colors = session.execute(background).await?;
    ensure!(
        colors[0] != colors[1],
        "the row on battery is highlighted: {colors}"
    );
    click(session, "#ups-rack-b td[data-field=\"name\"] a").await?;
    wait_for_url(
        session,
        &format!("{base}/members/site-b/member-b#ups-rack-b"),
    )
    .await?;
    let target = session
        .execute("return document.querySelector(':target').id")
        .await?;
    ensure!(target == "ups-rack-b", "landed on {target}");
    Ok(())
}

/// `rack-b` back on line: the open member page shows it without a reload.
async fn member_page_goes_live(session: &Session, fleet: &Fleet) -> anyhow::Result<Duration> {
    mark(session).await?;
    let sent = Instant::now();
    fleet
        .plane
        .heartbeat(INGEST, &fleet.b, &site_b(&["OL", "CHRG"], 2000.0))
        .await?;
    wait_until(LIVE_LIMIT, "rack-b back on line", || async {
        let flags = text_of(session, "#ups-rack-b td[data-field=\"status\"]").await?;
        let class = session
            .execute("return document.getElementById('ups-rack-b').className")
            .await?;
        let is_highlighted = class.as_str().unwrap_or_default().contains("on-battery");
        Ok((flags == "OL CHRG" && !is_highlighted).then_some(()))
    })
    .await?;
    let elapsed = sent.elapsed();
    assert_not_reloaded(session).await?;
    ensure!(text_of(session, "#ups-rack-b td[data-field=\"runtime\"]").await? == "33 min 20 s");
    Ok(elapsed)
}

/// site-c on battery, then a new site-d: the global page updates counts and rows live, in
/// the sort chosen before (on battery, descending).
async fn global_page_goes_live(
    session: &Session,
    base: &str,
    fleet: &Fleet,
) -> anyhow::Result<(Duration, Duration)> {
    click(session, "nav.crumbs a[href=\"/\"]").await?;
    wait_for_url(session, &format!("{base}/")).await?;
    let total = "[data-total=\"upses_on_battery\"] dd";
    ensure!(
        text_of(session, total).await? == "0",
        "rack-b is back on line"
    );
    let on_battery = "th[data-col=\"upses_on_battery\"] button";
    click(session, on_battery).await?;
    click(session, on_battery).await?;
    wait_for_rows(session, &["site-a", "site-b", "site-c"]).await?;
    mark(session).await?;
    let sent = Instant::now();
    fleet
        .plane
        .heartbeat(INGEST, &fleet.c, &site_c(&["OB", "DISCHRG"]))
        .await?;
    wait_until(LIVE_LIMIT, "site-c on battery, sorted first", || async {
        let count = text_of(session, total).await?;
        let keys = row_keys(session).await?;
        Ok((count == "1" && keys == ["site-c", "site-a", "site-b"]).then_some(()))
    })
    .await?;
    let counted = sent.elapsed();
    let cell = "tr[data-key=\"site-c\"] td[data-field=\"upses_on_battery\"]";
    ensure!(text_of(session, cell).await? == "1");
    let sent = Instant::now();
    fleet.plane.register(INGEST, "site-d", "member-d").await?;
    wait_until(LIVE_LIMIT, "a row for site-d", || async {
        let keys = row_keys(session).await?;
        Ok((keys == ["site-c", "site-a", "site-b", "site-d"]).then_some(()))
    })
    .await?;
    let added = sent.elapsed();
    let link = "tr[data-key=\"site-d\"] td[data-field=\"group\"] a";
    let href = session
        .execute(&format!(
            "return document.querySelector('{link}').getAttribute('href')"
        ))
        .await?;
    ensure!(href == "/groups/site-d", "href {href}");
    ensure!(text_of(session, "[data-total=\"members\"] dd").await? == "4");
    assert_not_reloaded(session).await?;
    Ok((counted, added))
}

async fn assert_no_severe(session: &Session, when: &str) -> anyhow::Result<()> {
    let log = session.browser_log().await?;
    for entry in &log {
        eprintln!("console {when}: {} {}", entry.level, entry.message);
    }
    let severe: Vec<_> = log.iter().filter(|e| e.level == "SEVERE").collect();
    ensure!(
        severe.is_empty(),
        "SEVERE console entries {when}: {severe:#?}"
    );
    Ok(())
}

async fn screenshot(session: &Session, name: &str) -> anyhow::Result<()> {
    let png = session.screenshot().await?;
    ensure!(
        png.starts_with(b"\x89PNG\r\n\x1a\n") && png.len() > 10_000,
        "a blank screenshot"
    );
    let path = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join(format!("fleet-ui-{name}.png"));
    upsight_e2e::write_file(&path, &png)?;
    eprintln!("screenshot: {}", path.display());
    Ok(())
}

async fn drive(session: &Session, fleet: &Fleet) -> anyhow::Result<()> {
    let base = format!("http://{}", fleet.plane.addr);
    login(session, &base).await?;
    global_page_sorts(session).await?;
    drill_down(session, &base).await?;
    screenshot(session, "member").await?;
    let elapsed = member_page_goes_live(session, fleet).await?;
    eprintln!("member page: rack-b back on line shown {elapsed:?} after the heartbeat");
    assert_no_severe(session, "on the member page").await?;
    let (counted, added) = global_page_goes_live(session, &base, fleet).await?;
    eprintln!("global page: site-c on battery counted {counted:?} after the heartbeat");
    eprintln!("global page: site-d row added {added:?} after its registration");
    screenshot(session, "global").await?;
    assert_no_severe(session, "on the global page").await?;
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn chromium_drills_down_the_fleet_and_sees_changes_live() {
    let Some(chromium) = peers::require("chromium", &[browser::CHROMIUM]) else {
        return;
    };
    let Some(chromedriver) = peers::require("chromedriver", &[browser::CHROMEDRIVER]) else {
        return;
    };
    let started = Instant::now();
    let fleet = start_fleet().await.unwrap();
    check_tokens(&fleet.plane).await.unwrap();
    let driver = Driver::start(&chromedriver).await.unwrap();
    let session = driver.session(&chromium).await.unwrap();
    eprintln!(
        "plane + chromedriver + chromium session: {:?}",
        started.elapsed()
    );
    let outcome = drive(&session, &fleet).await;
    let quit = session.quit().await;
    if let Err(error) = outcome {
        let log = driver.log();
        let tail: Vec<&str> = log.lines().rev().take(40).collect();
        panic!(
            "{error:#}\nplane stderr:\n{}\nchromedriver log (last lines, newest first):\n{}",
            fleet.plane.stderr(),
            tail.join("\n")
        );
    }
    quit.unwrap();
    eprintln!("whole test: {:?}", started.elapsed());
}
