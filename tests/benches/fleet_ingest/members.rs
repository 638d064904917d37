//! The simulated fleet: member identities spread over groups, their registration bodies, and
//! their pre-serialized heartbeats (the golden fixture's two live devices, with the lease each
//! member got back).

use std::ops::Range;
use std::time::Instant;

use anyhow::Context as _;
use axum::body::Bytes;
use axum::http::StatusCode;
use tokio::task::JoinSet;
use upsight_model::{HeartbeatV1, RegisterRequestV1, RegisterResponseV1};

use crate::client::Conn;

/// Members are spread over this many groups (`site-000` …).
const GROUPS: usize = 100;

const REGISTER_FIXTURE: &str =
    include_str!("../../../crates/upsight-model/tests/fixtures/heartbeat/register-request-v1.json");
const HEARTBEAT_FIXTURE: &str =
    include_str!("../../../crates/upsight-model/tests/fixtures/heartbeat/heartbeat-v1.json");

/// Member `i`: a UUID-shaped identity, its group and scrape target.
pub(crate) fn register_request(i: usize) -> RegisterRequestV1 {
    let mut request: RegisterRequestV1 =
        serde_json::from_str(REGISTER_FIXTURE).expect("the golden registration parses");
    request.identity = format!("6f1c2a9e-3b7d-4c1e-9a0f-{i:012x}")
        .parse()
        .expect("a valid identity");
    request.group = format!("site-{:03}", i % GROUPS)
        .parse()
        .expect("a valid group");
    request.scrape_target = Some(format!("exporter-{i}.example:9199"));
    request
}

/// Member `i`'s heartbeat with `lease`: the golden heartbeat's two live devices (`rack-a` on
/// NUT, `rack-b` on SNMP); the fixture's third device, which is down, is left out.
pub(crate) fn heartbeat(i: usize, lease: String) -> HeartbeatV1 {
    let request = register_request(i);
    let mut hb: HeartbeatV1 =
        serde_json::from_str(HEARTBEAT_FIXTURE).expect("the golden heartbeat parses");
    hb.identity = request.identity;
    hb.group = request.group;
    hb.lease = lease;
    hb.devices.retain(|d| d.is_up);
    hb
}

/// The heartbeat's JSON, as sent.
pub(crate) fn heartbeat_body(i: usize, lease: String) -> Bytes {
    Bytes::from(serde_json::to_vec(&heartbeat(i, lease)).expect("a heartbeat serializes"))
}

/// Members in `range` spread over `conns` connections: connection `c` owns every member `i`
/// with `i % conns == c`, so a member always talks from one source address.
pub(crate) fn owned_by(c: usize, conns: usize, range: Range<usize>) -> impl Iterator<Item = usize> {
    let conns = conns.max(1);
    let first = range.start + (c + conns - range.start % conns) % conns;
    (first..range.end).step_by(conns)
}

/// Registers members `0..n` over `conns`; see [`register_range`].
pub(crate) async fn register_all(
    conns: Vec<Conn>,
    n: usize,
) -> anyhow::Result<(Vec<(Conn, Vec<Bytes>)>, std::time::Duration)> {
    register_range(conns, 0..n).await
}

/// Registers the members in `range` over `conns` (all connections at once, each its own
/// members in turn): one heartbeat body per member, per connection, and the wall time it took.
pub(crate) async fn register_range(
    conns: Vec<Conn>,
    range: Range<usize>,
) -> anyhow::Result<(Vec<(Conn, Vec<Bytes>)>, std::time::Duration)> {
    let count = conns.len();
    let started = Instant::now();
    let mut tasks = JoinSet::new();
    for (c, mut conn) in conns.into_iter().enumerate() {
        let range = range.clone();
        tasks.spawn(async move {
            let mut bodies = Vec::new();
            for i in owned_by(c, count, range) {
                let request = serde_json::to_vec(&register_request(i))?;
                let (status, body) = conn.post("/api/v1/register", Bytes::from(request)).await?;
                if status != StatusCode::OK {
                    let text = String::from_utf8_lossy(&body);
                    anyhow::bail!("register member {i}: HTTP {status}: {text}");
                }
                let answer: RegisterResponseV1 =
                    serde_json::from_slice(&body).context("a registration answer")?;
                bodies.push(heartbeat_body(i, answer.lease));
            }
            anyhow::Ok((c, conn, bodies))
        });
    }
    let mut done: Vec<_> = tasks
        .join_all()
        .await
        .into_iter()
        .collect::<Result<_, _>>()?;
    done.sort_by_key(|(c, _, _)| *c);
    let elapsed = started.elapsed();
    Ok((
        done.into_iter().map(|(_, conn, b)| (conn, b)).collect(),
        elapsed,
    ))
}
