//! One upsd connection: a socket, a capped line buffer, and request/reply exchanges in which
//! every request of a batch goes out in a single write.

use std::io;
use std::time::Duration;

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use upsight_model::FailureReason;
use upsight_proto::nut::{Decoder, Limits, LineBuffer, ParseError, Reply, Request};

use crate::config::NutServer;
use crate::source::{PollError, net};

const READ_CHUNK: usize = 16 * 1024;

/// An open connection to upsd.
#[derive(Debug)]
pub(super) struct Conn {
    stream: TcpStream,
    lines: LineBuffer,
    out: Vec<u8>,
    chunk: Box<[u8]>,
    limits: Limits,
    endpoint: String,
}

impl Conn {
    /// Connects and, if configured, sends USERNAME/PASSWORD (pipelined).
    pub(super) async fn open(server: &NutServer) -> Result<Self, PollError> {
        let endpoint = server.endpoint();
        let stream = net::connect(&server.host, server.port, server.connect_timeout)
            .await
            .map_err(|e| {
                let reason = if e.kind() == io::ErrorKind::TimedOut {
                    FailureReason::Timeout
                } else {
                    FailureReason::Connect
                };
                PollError::new(reason, format!("{endpoint}: connect failed: {e}"))
            })?;
        let limits = Limits::default();
        let mut conn = Self {
            stream,
            lines: LineBuffer::new(limits),
            out: Vec::with_capacity(4096),
            chunk: vec![0; READ_CHUNK].into_boxed_slice(),
            limits,
            endpoint,
        };
        if let (Some(user), Some(password)) = (&server.username, &server.password) {
            let requests = [
                Request::Username(user),
                Request::Password(password.expose()),
            ];
            for reply in conn.exchange(&requests, server.read_timeout).await? {
                if let Reply::Error(err) = reply {
                    let detail = format!("{}: login rejected: ERR {}", conn.endpoint, err.code);
                    return Err(PollError::new(FailureReason::AccessDenied, detail));
                }
            }
        }
        Ok(conn)
    }

    /// Sends every request in one write, then reads their replies in order.
    pub(super) async fn exchange(
        &mut self,
        requests: &[Request<'_>],
        read_timeout: Duration,
    ) -> Result<Vec<Reply>, PollError> {
        self.out.clear();
        for request in requests {
            request.encode(&mut self.out).map_err(|e| {
                PollError::new(FailureReason::Protocol, format!("{}: {e}", self.endpoint))
            })?;
        }
        self.stream
            .write_all(&self.out)
            .await
            .map_err(|e| self.io_error(&e))?;
        let mut replies = Vec::with_capacity(requests.len());
        for request in requests {
            replies.push(self.read_reply(request, read_timeout).await?);
        }
        Ok(replies)
    }

    async fn read_reply(
        &mut self,
        request: &Request<'_>,
        read_timeout: Duration,
    ) -> Result<Reply, PollError> {
        let mut decoder = Decoder::new(request.expect(), self.limits);
        loop {
            while let Some(line) = self
                .lines
                .next_line()
                .map_err(|e| parse_error(&self.endpoint, &e))?
            {
                if let Some(reply) = decoder
                    .push_line(line)
                    .map_err(|e| parse_error(&self.endpoint, &e))?
                {
                    return Ok(reply);
                }
            }
            net::rearm_quickack(&self.stream);
            let read = tokio::time::timeout(read_timeout, self.stream.read(&mut self.chunk)).await;
            let n = match read {
                Err(_) => {
                    let detail = format!("{}: no reply within {read_timeout:?}", self.endpoint);
                    return Err(PollError::new(FailureReason::Timeout, detail));
                }
                Ok(Err(e)) => return Err(self.io_error(&e)),
                Ok(Ok(0)) => return Err(parse_error(&self.endpoint, &decoder.truncated())),
                Ok(Ok(n)) => n,
            };
            self.lines.extend(&self.chunk[..n]);
        }
    }

    fn io_error(&self, e: &io::Error) -> PollError {
        PollError::new(FailureReason::Transport, format!("{}: {e}", self.endpoint))
    }
}

fn parse_error(endpoint: &str, e: &ParseError) -> PollError {
    let reason = match e {
        ParseError::Truncated { .. } => FailureReason::Transport,
        _ => FailureReason::Protocol,
    };
    PollError::new(reason, format!("{endpoint}: {e}"))
}
