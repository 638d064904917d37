//! NUT source: one persistent connection per upsd server, every `LIST VAR` of a poll pipelined
//! in one write, replies decoded in order by the sans-IO codec.

mod conn;

use std::collections::HashSet;
use std::time::{Duration, Instant};

use upsight_model::FailureReason;
use upsight_proto::nut::{ErrorCode, Reply, Request, ServerError};

use self::conn::Conn;
use super::backoff::Backoff;
use super::{DevicePoll, PollError, RawDevice, Source};
use crate::config::NutServer;

/// Polls one upsd server. Never sends `LOGIN` (that would make it an upsmon client).
#[derive(Debug)]
pub struct NutSource {
    server: NutServer,
    conn: Option<Conn>,
    known: Vec<String>,
    backoff: Backoff,
    retry_at: Option<Instant>,
}

impl NutSource {
    /// A source for `server`; connects on the first poll.
    pub fn new(server: NutServer) -> Self {
        let known = server
            .ups
            .as_ref()
            .map(|names| names.iter().map(ToString::to_string).collect())
            .unwrap_or_default();
        Self {
            server,
            conn: None,
            known,
            backoff: Backoff::new(Duration::from_millis(500), Duration::from_secs(30)),
            retry_at: None,
        }
    }

    fn is_discovering(&self) -> bool {
        self.server.ups.is_none()
    }

    async fn poll_connected(&mut self, conn: &mut Conn) -> Result<Vec<DevicePoll>, PollError> {
        let read_timeout = self.server.read_timeout;
        let mut requests: Vec<Request<'_>> = Vec::with_capacity(self.known.len() + 1);
        if self.is_discovering() {
            requests.push(Request::ListUps);
        }
        requests.extend(self.known.iter().map(|ups| Request::ListVar { ups }));
        let mut replies = conn.exchange(&requests, read_timeout).await?;
        let mut polls = Vec::with_capacity(self.known.len());
        if self.is_discovering() {
            let listed = match replies.remove(0) {
                Reply::UpsList(entries) => entries.into_iter().map(|e| e.name).collect::<Vec<_>>(),
                Reply::Error(err) => return Err(server_error(&err, "LIST UPS")),
                other => return Err(unexpected(&other, "LIST UPS")),
            };
            collect(&self.known, replies, &mut polls);
            // Steady state: the same UPSes in the same order, nothing to reconcile. Otherwise
            // set lookups, not `contains` on lists: N² comparisons cost milliseconds at 1 000.
            if listed != self.known {
                let known: HashSet<&str> = self.known.iter().map(String::as_str).collect();
                let new: Vec<String> = listed
                    .iter()
                    .filter(|n| !known.contains(n.as_str()))
                    .cloned()
                    .collect();
                if !new.is_empty() {
                    let requests: Vec<_> = new.iter().map(|ups| Request::ListVar { ups }).collect();
                    let replies = conn.exchange(&requests, read_timeout).await?;
                    collect(&new, replies, &mut polls);
                }
                let listed: HashSet<&str> = listed.iter().map(String::as_str).collect();
                polls.retain(|p| listed.contains(p.name.as_str()));
            }
            self.known = listed;
        } else {
            collect(&self.known, replies, &mut polls);
        }
        Ok(polls)
    }
}

impl Source for NutSource {
    async fn poll(&mut self) -> Result<Vec<DevicePoll>, PollError> {
        if let Some(at) = self.retry_at.filter(|at| Instant::now() < *at) {
            let wait = at.saturating_duration_since(Instant::now());
            let detail = format!("{}: reconnecting in {wait:.1?}", self.server.endpoint());
            return Err(PollError::new(FailureReason::Connect, detail));
        }
        // Taken out for the duration of the poll: if the poll deadline cancels this future,
        // the half-read connection is dropped and the next poll reconnects.
        let mut conn = match self.conn.take() {
            Some(conn) => conn,
            None => match Conn::open(&self.server).await {
                Ok(conn) => conn,
                Err(e) => return Err(self.schedule_retry(e)),
            },
        };
        match self.poll_connected(&mut conn).await {
            Ok(polls) => {
                self.backoff.reset();
                self.retry_at = None;
                self.conn = Some(conn);
                Ok(polls)
            }
            Err(e) => Err(self.schedule_retry(e)),
        }
    }

    fn known_devices(&self) -> Vec<String> {
        self.known.clone()
    }
}

impl NutSource {
    fn schedule_retry(&mut self, error: PollError) -> PollError {
        let delay = self.backoff.next_delay();
        self.retry_at = Some(Instant::now() + delay);
        tracing::debug!(server = %self.server.endpoint(), ?delay, %error, "NUT poll failed; will reconnect.");
        error
    }
}

/// Pairs each requested UPS with its reply, in order.
fn collect(names: &[String], replies: Vec<Reply>, out: &mut Vec<DevicePoll>) {
    for (name, reply) in names.iter().zip(replies) {
        let result = match reply {
            Reply::VarList { vars, .. } => Ok(RawDevice::Nut(
                vars.into_iter().map(|v| (v.name, v.value)).collect(),
            )),
            Reply::Error(err) => Err(device_error(&err)),
            other => Err(unexpected(&other, "LIST VAR")),
        };
        out.push(DevicePoll {
            name: name.clone(),
            result,
        });
    }
}

/// Maps a per-UPS `ERR` onto a failure reason; these stay per UPS.
fn device_error(err: &ServerError) -> PollError {
    let reason = match err.code {
        ErrorCode::DataStale => FailureReason::Stale,
        ErrorCode::DriverNotConnected => FailureReason::DriverNotConnected,
        ErrorCode::UnknownUps => FailureReason::UnknownDevice,
        ErrorCode::AccessDenied | ErrorCode::UsernameRequired | ErrorCode::PasswordRequired => {
            FailureReason::AccessDenied
        }
        _ => FailureReason::ServerError,
    };
    PollError::new(reason, format!("upsd answered ERR {}", err.code))
}

fn server_error(err: &ServerError, what: &str) -> PollError {
    let PollError { reason, detail } = device_error(err);
    PollError::new(reason, format!("{what}: {detail}"))
}

fn unexpected(reply: &Reply, what: &str) -> PollError {
    PollError::new(
        FailureReason::Protocol,
        format!("{what}: unexpected reply {reply:?}"),
    )
}
