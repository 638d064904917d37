//! The SNMP source: one agent (one UPS) per source, on `snmp2`. It owns the UDP session,
//! per-request timeouts and retries, v3 engine discovery and the choice of MIB profile, and
//! returns the varbinds it read; [`crate::mapping::snmp`] turns them into a reading.
//!
//! One request is in flight per device at a time (the session is used by one task), scalars
//! go in multi-varbind GETs, table columns are walked together with GETBULK (GETNEXT on v1)
//! by the sans-IO [`Walk`], and the poller's deadline bounds the whole poll.

use std::fmt;
use std::sync::Arc;

use snmp2::AsyncSession;
use upsight_model::FailureReason;
use upsight_proto::snmp::profile::{self, Plan, Profile};
use upsight_proto::snmp::walk::{Walk, WalkLimits};
use upsight_proto::snmp::{Oid, Value};

use super::{DevicePoll, PollError, RawDevice, Source};
use wire::{map_error, own, to_wire_oid, usm_security};

mod wire;
use crate::config::{SnmpDevice, SnmpSecurity};

/// Stale replies (a late answer to an earlier, timed-out request) skipped per request before
/// the agent counts as broken.
const MAX_STALE_REPLIES: u32 = 4;
/// SNMP error-status values this source acts on (RFC 3416).
const TOO_BIG: u32 = 1;
const NO_SUCH_NAME: u32 = 2;

/// Polls one SNMP agent.
pub struct SnmpSource {
    device: SnmpDevice,
    session: Option<AsyncSession>,
    profile: Option<(&'static Profile, Arc<Plan>)>,
    requests: u64,
}

// `snmp2`'s own `Debug` for its security settings prints passphrases: this one never
// touches the session or the credentials.
impl fmt::Debug for SnmpSource {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SnmpSource")
            .field("name", &self.device.name)
            .field("profile", &self.profile.as_ref().map(|(p, _)| p.id))
            .field("is_connected", &self.session.is_some())
            .finish_non_exhaustive()
    }
}

/// What a request asks for.
#[derive(Debug, Clone, Copy)]
enum Op {
    Get,
    GetNext,
    GetBulk { max_repetitions: u32 },
}

/// A response, owned (snmp2's `Pdu` borrows the session).
#[derive(Debug)]
struct Response {
    error_status: u32,
    error_index: u32,
    varbinds: Vec<(Oid, Value)>,
}

impl SnmpSource {
    /// A source for `device`; nothing is sent until the first poll.
    pub fn new(device: SnmpDevice) -> Self {
        Self {
            device,
            session: None,
            profile: None,
            requests: 0,
        }
    }

    /// Requests sent so far (each retry counts), for tests and benchmarks.
    pub fn requests_sent(&self) -> u64 {
        self.requests
    }

    /// The profile in use, once chosen.
    pub fn profile(&self) -> Option<&'static Profile> {
        self.profile.as_ref().map(|(p, _)| *p)
    }

    async fn poll_device(&mut self) -> Result<RawDevice, PollError> {
        if self.session.is_none() {
            self.session = Some(self.connect().await?);
        }
        if self.profile.is_none() {
            let p = self.choose_profile().await?;
            tracing::debug!(ups = %self.device.name, profile = p.id, "SNMP profile chosen.");
            self.profile = Some((p, Arc::new(p.plan())));
        }
        let Some((profile, plan)) = self.profile.clone() else {
            return Err(PollError::new(FailureReason::Unsupported, "no profile"));
        };
        let values = self.read_plan(&plan).await?;
        Ok(RawDevice::Snmp { profile, values })
    }

    /// One poll's reads: the scalars, then the table columns.
    async fn read_plan(&mut self, plan: &Plan) -> Result<Vec<(Oid, Value)>, PollError> {
        let mut values = self.get_all(&plan.scalars).await?;
        if !plan.columns.is_empty() {
            values.extend(self.walk(plan.columns.clone()).await?);
        }
        Ok(values)
    }

    /// The configured profile, or the one the agent's sysObjectID and probe answers point to.
    async fn choose_profile(&mut self) -> Result<&'static Profile, PollError> {
        if let Some(id) = self.device.profile {
            return profile::by_id(id).ok_or_else(|| {
                PollError::new(
                    FailureReason::Unsupported,
                    format!("unknown profile {id:?}"),
                )
            });
        }
        let mut oids = profile::system_oids();
        oids.extend(profile::probe_oids());
        let answers = self.get_all(&oids).await?;
        profile::detect(&answers).ok_or_else(|| {
            let sys_object_id = answers
                .iter()
                .find(|(oid, _)| oid.to_string() == "1.3.6.1.2.1.1.2.0")
                .and_then(|(_, v)| v.as_text())
                .unwrap_or_else(|| "absent".to_owned());
            PollError::new(
                FailureReason::Unsupported,
                format!("no supported UPS MIB answers (sysObjectID {sys_object_id})"),
            )
        })
    }

    /// GETs every OID, `max_varbinds` at a time. Missing objects are left out (v2c
    /// exceptions, v1 `noSuchName`); a `tooBig` answer splits the request.
    async fn get_all(&mut self, oids: &[Oid]) -> Result<Vec<(Oid, Value)>, PollError> {
        let mut out = Vec::with_capacity(oids.len());
        let mut queue: Vec<Vec<Oid>> = oids
            .chunks(self.device.max_varbinds)
            .rev()
            .map(<[Oid]>::to_vec)
            .collect();
        // Each round either answers a chunk, shrinks it or splits it: bounded by 2 × OIDs.
        let mut rounds = 0;
        while let Some(chunk) = queue.pop() {
            rounds += 1;
            if rounds > 2 * oids.len() + 2 {
                return Err(PollError::new(
                    FailureReason::Protocol,
                    "GET did not converge",
                ));
            }
            let response = self.request(Op::Get, &chunk).await?;
            match response.error_status {
                0 => out.extend(
                    response
                        .varbinds
                        .into_iter()
                        .filter(|(_, v)| !v.is_exception() && *v != Value::Null),
                ),
                NO_SUCH_NAME => {
                    // v1: error-index (1-based) names the missing OID; ask again without it.
                    let i = response.error_index as usize;
                    if i == 0 || i > chunk.len() {
                        return Err(PollError::new(
                            FailureReason::Protocol,
                            format!("noSuchName with error-index {i} for {} OIDs", chunk.len()),
                        ));
                    }
                    let mut rest = chunk;
                    rest.remove(i - 1);
                    if !rest.is_empty() {
                        queue.push(rest);
                    }
                }
                TOO_BIG if chunk.len() > 1 => {
                    let (a, b) = chunk.split_at(chunk.len() / 2);
                    queue.push(b.to_vec());
                    queue.push(a.to_vec());
                }
                status => {
                    return Err(PollError::new(
                        FailureReason::ServerError,
                        format!("agent answered error-status {status} to a GET"),
                    ));
                }
            }
        }
        Ok(out)
    }

    /// Walks table columns: together with GETBULK on v2c/v3; one at a time with GETNEXT on
    /// v1 (snmp2 sends a single OID per GETNEXT).
    async fn walk(&mut self, columns: Vec<Oid>) -> Result<Vec<(Oid, Value)>, PollError> {
        let walks: Vec<Vec<Oid>> = match self.device.security {
            SnmpSecurity::V1 { .. } => columns.into_iter().map(|c| vec![c]).collect(),
            _ => vec![columns],
        };
        let op = match self.device.security {
            SnmpSecurity::V1 { .. } => Op::GetNext,
            _ => Op::GetBulk {
                max_repetitions: self.device.max_repetitions,
            },
        };
        let mut out = Vec::new();
        for roots in walks {
            out.extend(self.walk_columns(op, roots).await?);
        }
        Ok(out)
    }

    async fn walk_columns(
        &mut self,
        op: Op,
        roots: Vec<Oid>,
    ) -> Result<Vec<(Oid, Value)>, PollError> {
        let limits = WalkLimits::default();
        let mut walk = Walk::new(roots, limits);
        let mut requests = 0;
        while let Some(ask) = walk.next_request() {
            requests += 1;
            // Every answered request ends a column or adds a row to each open one.
            if requests > limits.max_rows_per_column + 1 {
                break;
            }
            let response = self.request(op, &ask).await?;
            match response.error_status {
                0 => walk.feed(response.varbinds),
                // v1: past the end of the MIB; every asked column is over.
                NO_SUCH_NAME => walk.feed(Vec::new()),
                status => {
                    return Err(PollError::new(
                        FailureReason::ServerError,
                        format!("agent answered error-status {status} to a walk"),
                    ));
                }
            }
        }
        for problem in walk.problems() {
            tracing::debug!(ups = %self.device.name, %problem, "SNMP walk problem.");
        }
        Ok(walk.into_values())
    }

    /// One request with the per-request timeout and retries. Late replies to earlier
    /// requests are skipped, a bounded number of times.
    async fn request(&mut self, op: Op, oids: &[Oid]) -> Result<Response, PollError> {
        let wire: Vec<snmp2::Oid<'static>> =
            oids.iter().map(to_wire_oid).collect::<Result<_, _>>()?;
        let refs: Vec<&snmp2::Oid<'_>> = wire.iter().collect();
        let is_v3 = matches!(self.device.security, SnmpSecurity::V3(_));
        let mut timeouts = 0;
        let mut stale = 0;
        loop {
            let session = self.session.as_mut().ok_or_else(|| {
                PollError::new(FailureReason::Transport, "SNMP session is closed")
            })?;
            self.requests += 1;
            let sent = async {
                let pdu = match op {
                    Op::Get => session.get_many(&refs).await,
                    Op::GetNext if refs.len() == 1 => session.getnext(refs[0]).await,
                    Op::GetNext => {
                        return Err(snmp2::Error::ValueOutOfRange);
                    }
                    Op::GetBulk { max_repetitions } => {
                        session.getbulk(&refs, 0, max_repetitions).await
                    }
                }?;
                Ok(own(&pdu))
            };
            match tokio::time::timeout(self.device.timeout, sent).await {
                Ok(Ok(response)) => return response,
                Ok(Err(snmp2::Error::RequestIdMismatch | snmp2::Error::AuthUpdated))
                    if stale < MAX_STALE_REPLIES =>
                {
                    stale += 1;
                }
                Ok(Err(error)) => return Err(map_error(&error, is_v3)),
                Err(_) if timeouts < self.device.retries => timeouts += 1,
                Err(_) => {
                    return Err(PollError::new(
                        FailureReason::Timeout,
                        format!(
                            "no answer from the agent in {} attempts of {:?}",
                            timeouts + 1,
                            self.device.timeout
                        ),
                    ));
                }
            }
        }
    }

    /// Opens the UDP session; for v3, discovers the engine (with the same timeout and retries).
    async fn connect(&mut self) -> Result<AsyncSession, PollError> {
        let target = self.device.endpoint();
        let addr = tokio::time::timeout(self.device.timeout, tokio::net::lookup_host(&target))
            .await
            .map_err(|_| PollError::new(FailureReason::Connect, "address lookup timed out"))?
            .map_err(|e| PollError::new(FailureReason::Connect, format!("address lookup: {e}")))?
            .next()
            .ok_or_else(|| {
                PollError::new(FailureReason::Connect, "address lookup found nothing")
            })?;
        let request_id = i32::from(fastrand::u16(..)) + 1;
        let open_error = |e: std::io::Error| {
            PollError::new(FailureReason::Connect, format!("open UDP socket: {e}"))
        };
        match &self.device.security {
            SnmpSecurity::V1 { community } => {
                AsyncSession::new_v1(addr, community.expose().as_bytes(), request_id)
                    .await
                    .map_err(open_error)
            }
            SnmpSecurity::V2c { community } => {
                AsyncSession::new_v2c(addr, community.expose().as_bytes(), request_id)
                    .await
                    .map_err(open_error)
            }
            SnmpSecurity::V3(usm) => {
                let mut session = AsyncSession::new_v3(addr, request_id, usm_security(usm))
                    .await
                    .map_err(open_error)?;
                let mut attempts = 0;
                loop {
                    attempts += 1;
                    self.requests += 1;
                    match tokio::time::timeout(self.device.timeout, session.init()).await {
                        Ok(Ok(())) => return Ok(session),
                        Ok(Err(error)) => return Err(map_error(&error, true)),
                        Err(_) if attempts <= self.device.retries => {}
                        Err(_) => {
                            return Err(PollError::new(
                                FailureReason::Timeout,
                                format!(
                                    "SNMPv3 engine discovery: no answer in {attempts} attempts"
                                ),
                            ));
                        }
                    }
                }
            }
        }
    }
}

impl Source for SnmpSource {
    async fn poll(&mut self) -> Result<Vec<DevicePoll>, PollError> {
        match self.poll_device().await {
            Ok(raw) => Ok(vec![DevicePoll {
                name: self.device.name.to_string(),
                result: Ok(raw),
            }]),
            Err(error) => {
                // A fresh socket next time drops late replies; v3 rediscovers the engine (the
                // agent may have restarted) and the profile is chosen again.
                self.session = None;
                self.profile = None;
                Err(error)
            }
        }
    }

    fn known_devices(&self) -> Vec<String> {
        vec![self.device.name.to_string()]
    }
}
