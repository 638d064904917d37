//! A connection's socket, watched: what the connection was doing when it ended (waiting for a
//! first head, reading a head, idle after an answer), and a deadline on writes that make no
//! progress, which hyper does not have (a client that never reads its answer would otherwise
//! hold its connection, and a slot under the connection cap, forever).

use std::io;
use std::pin::Pin;
use std::sync::Arc;
use std::sync::atomic::{AtomicU8, Ordering};
use std::task::{Context, Poll, ready};
use std::time::Duration;

use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::net::TcpStream;
use tokio::time::Sleep;

/// Nothing read yet.
const FRESH: u8 = 0;
/// Bytes read since the last bytes written: a request is on its way.
const READING: u8 = 1;
/// Bytes written since the last bytes read: the answer went out, the connection waits.
const IDLE: u8 = 2;
/// A write made no progress for the stall deadline.
const STALLED: u8 = 3;

/// What the connection was doing, shared between its socket and its task.
#[derive(Debug, Default)]
pub(crate) struct Progress(AtomicU8);

impl Progress {
    /// Whether a header timeout now means a slow or silent client rather than a kept-alive
    /// connection that simply went unused after its answers.
    pub(crate) fn is_awaiting_first_or_partial_head(&self) -> bool {
        matches!(self.0.load(Ordering::Relaxed), FRESH | READING)
    }

    /// Whether the connection ended because the client stopped reading.
    pub(crate) fn is_stalled(&self) -> bool {
        self.0.load(Ordering::Relaxed) == STALLED
    }

    fn set(&self, state: u8) {
        self.0.store(state, Ordering::Relaxed);
    }
}

/// A TCP stream whose writes fail with `TimedOut` after `stall` without progress.
#[derive(Debug)]
pub(crate) struct Watched {
    inner: TcpStream,
    stall: Duration,
    deadline: Option<Pin<Box<Sleep>>>,
    progress: Arc<Progress>,
}

impl Watched {
    pub(crate) fn new(inner: TcpStream, stall: Duration, progress: Arc<Progress>) -> Self {
        Self {
            inner,
            stall,
            deadline: None,
            progress,
        }
    }

    /// Maps the result of a write-side poll: progress clears the deadline, `Pending` arms it
    /// (once) and fails the write when it passes.
    fn watch<T>(&mut self, cx: &mut Context<'_>, poll: Poll<io::Result<T>>) -> Poll<io::Result<T>> {
        if poll.is_ready() {
            self.deadline = None;
            return poll;
        }
        let stall = self.stall;
        let deadline = self
            .deadline
            .get_or_insert_with(|| Box::pin(tokio::time::sleep(stall)));
        ready!(deadline.as_mut().poll(cx));
        self.progress.set(STALLED);
        Poll::Ready(Err(io::Error::new(
            io::ErrorKind::TimedOut,
            "the client stopped reading the response",
        )))
    }
}

impl AsyncRead for Watched {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        let before = buf.filled().len();
        let poll = Pin::new(&mut self.inner).poll_read(cx, buf);
        if matches!(poll, Poll::Ready(Ok(()))) && buf.filled().len() > before {
            self.progress.set(READING);
        }
        poll
    }
}

impl AsyncWrite for Watched {
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        data: &[u8],
    ) -> Poll<io::Result<usize>> {
        let poll = Pin::new(&mut self.inner).poll_write(cx, data);
        if matches!(poll, Poll::Ready(Ok(n)) if n > 0) {
            self.progress.set(IDLE);
        }
        self.watch(cx, poll)
    }

    fn poll_write_vectored(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[io::IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        let poll = Pin::new(&mut self.inner).poll_write_vectored(cx, bufs);
        if matches!(poll, Poll::Ready(Ok(n)) if n > 0) {
            self.progress.set(IDLE);
        }
        self.watch(cx, poll)
    }

    fn is_write_vectored(&self) -> bool {
        self.inner.is_write_vectored()
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        let poll = Pin::new(&mut self.inner).poll_flush(cx);
        self.watch(cx, poll)
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        let poll = Pin::new(&mut self.inner).poll_shutdown(cx);
        self.watch(cx, poll)
    }
}
