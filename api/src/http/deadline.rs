//! A deadline on request heads: a connection must finish a request's headers within
//! [`IDLE_TIMEOUT`](super::startup::IDLE_TIMEOUT) of opening, or of the end of its previous
//! answer, or it is closed. This closes both a client that sends partial headers (or
//! nothing) and an idle keep-alive connection; a request whose headers arrived is not
//! timed here (the request timeout of `startup` bounds its handler).
//!
//! poem's own `idle_timeout` only asks hyper for a graceful shutdown, which waits for
//! headers that never come; hyper's `header_read_timeout` needs a timer poem does not set.
use std::{
    io,
    pin::Pin,
    task::{Context, Poll},
    time::Duration,
};

use poem::{
    listener::Acceptor,
    web::{LocalAddr, RemoteAddr},
};
use tokio::{
    io::{AsyncRead, AsyncWrite, ReadBuf},
    time::{Instant, Sleep},
};

/// Wraps an acceptor so each connection gets the deadline.
pub(crate) struct HeadDeadline<A> {
    pub inner: A,
    pub timeout: Duration,
}

impl<A: Acceptor> Acceptor for HeadDeadline<A> {
    type Io = TimedIo<A::Io>;

    fn local_addr(&self) -> Vec<LocalAddr> {
        self.inner.local_addr()
    }

    async fn accept(&mut self) -> io::Result<(Self::Io, LocalAddr, RemoteAddr, poem::http::uri::Scheme)> {
        let (io, local, remote, scheme) = self.inner.accept().await?;
        Ok((TimedIo::new(io, self.timeout), local, remote, scheme))
    }
}

/// A connection with a deadline while it waits for a request head.
pub(crate) struct TimedIo<T> {
    inner: T,
    timeout: Duration,
    deadline: Pin<Box<Sleep>>,
    /// Waiting for the end of a request head (`\r\n\r\n`), and how much of it was seen.
    waiting: bool,
    matched: u8,
}

impl<T> TimedIo<T> {
    fn new(inner: T, timeout: Duration) -> TimedIo<T> {
        TimedIo {
            inner,
            timeout,
            deadline: Box::pin(tokio::time::sleep(timeout)),
            waiting: true,
            matched: 0,
        }
    }

    /// Waits for the next head from now. The deadline is polled at once so that it wakes
    /// the connection's task even if hyper already polled the read side before this write.
    fn restart(&mut self, cx: &mut Context<'_>) {
        self.waiting = true;
        self.matched = 0;
        let at = Instant::now() + self.timeout;
        self.deadline.as_mut().reset(at);
        let _ = self.deadline.as_mut().poll(cx);
    }

    /// Follows the bytes read for the blank line that ends a head.
    fn scan(&mut self, bytes: &[u8]) {
        for &b in bytes {
            let expected = b"\r\n\r\n"[self.matched as usize];
            self.matched = if b == expected {
                self.matched + 1
            } else if b == b'\r' {
                1
            } else {
                0
            };
            if self.matched == 4 {
                self.waiting = false;
                self.matched = 0;
                return;
            }
        }
    }
}

impl<T: AsyncRead + Unpin> AsyncRead for TimedIo<T> {
    fn poll_read(self: Pin<&mut Self>, cx: &mut Context<'_>, buf: &mut ReadBuf<'_>) -> Poll<io::Result<()>> {
        let this = self.get_mut();
        let before = buf.filled().len();
        match Pin::new(&mut this.inner).poll_read(cx, buf) {
            Poll::Ready(Ok(())) => {
                if this.waiting {
                    let filled = buf.filled()[before..].to_vec();
                    this.scan(&filled);
                }
                Poll::Ready(Ok(()))
            }
            Poll::Ready(Err(e)) => Poll::Ready(Err(e)),
            Poll::Pending => {
                if this.waiting && this.deadline.as_mut().poll(cx).is_ready() {
                    return Poll::Ready(Err(io::Error::new(
                        io::ErrorKind::TimedOut,
                        "no complete request head in time",
                    )));
                }
                Poll::Pending
            }
        }
    }
}

impl<T: AsyncWrite + Unpin> AsyncWrite for TimedIo<T> {
    fn poll_write(self: Pin<&mut Self>, cx: &mut Context<'_>, buf: &[u8]) -> Poll<io::Result<usize>> {
        let this = self.get_mut();
        let done = Pin::new(&mut this.inner).poll_write(cx, buf);
        if let Poll::Ready(Ok(n)) = &done
            && *n > 0
        {
            // An answer is going out: the next head has its own time from here.
            this.restart(cx);
        }
        done
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.get_mut().inner).poll_flush(cx)
    }

    fn poll_shutdown(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.get_mut().inner).poll_shutdown(cx)
    }

    fn poll_write_vectored(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[io::IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        let this = self.get_mut();
        let done = Pin::new(&mut this.inner).poll_write_vectored(cx, bufs);
        if let Poll::Ready(Ok(n)) = &done
            && *n > 0
        {
            this.restart(cx);
        }
        done
    }

    fn is_write_vectored(&self) -> bool {
        self.inner.is_write_vectored()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn the_blank_line_ending_a_head_is_found_across_reads() {
        let mut io = TimedIo {
            inner: (),
            timeout: Duration::from_secs(1),
            deadline: Box::pin(tokio::time::sleep_until(Instant::now())),
            waiting: true,
            matched: 0,
        };
        io.scan(b"GET / HTTP/1.1\r\nHost: x\r");
        assert!(io.waiting);
        io.scan(b"\n\r");
        assert!(io.waiting);
        io.scan(b"\n");
        assert!(!io.waiting);
    }
}
