//! The byte stream under an IMAP session: plain TCP (loopback, or before STARTTLS) or TLS over TCP,
//! compressed both ways once COMPRESS=DEFLATE is on ([`Deflate`]), with what the server sends passed
//! through the [`Literal8Filter`].
use std::io;
use std::pin::Pin;
use std::task::{Context, Poll};

use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::net::TcpStream;

use super::deflate::Deflate;
use super::literal8::Literal8Filter;

/// How much of the server's compressed stream is inflated at a time.
const INFLATE_STEP: usize = 64 * 1024;
/// Compressed bytes held for the server before a write waits for them to leave.
const HELD_BACK: usize = 64 * 1024;

#[derive(Debug)]
pub enum Transport {
    Plain(TcpStream),
    Tls(Box<tokio_rustls::client::TlsStream<TcpStream>>),
}

#[derive(Debug)]
pub struct Wire {
    transport: Transport,
    filter: Literal8Filter,
    /// Filtered bytes not yet handed to the reader, from `offset` on.
    ready: Vec<u8>,
    offset: usize,
    scratch: Box<[u8]>,
    compression: Option<Compression>,
}

/// COMPRESS=DEFLATE's state: the streams, and bytes between them and the network.
#[derive(Debug, Default)]
struct Compression {
    deflate: Deflate,
    /// The server's compressed bytes not inflated yet.
    received: Vec<u8>,
    /// The inflater stopped at its step and may hold more.
    more: bool,
    inflated: Vec<u8>,
    /// Compressed bytes for the server, from `sent` on not written yet.
    outgoing: Vec<u8>,
    sent: usize,
}

/// The server sent more right after its OK to COMPRESS, before anything was asked: those bytes
/// cannot be told apart as compressed or not.
#[derive(Debug, thiserror::Error)]
#[error("the server sent data right after accepting COMPRESS")]
pub struct DataBeforeCompression;

impl Wire {
    pub fn new(transport: Transport) -> Wire {
        Wire {
            transport,
            filter: Literal8Filter::default(),
            ready: Vec::new(),
            offset: 0,
            scratch: vec![0u8; 32 * 1024].into_boxed_slice(),
            compression: None,
        }
    }

    /// Turns COMPRESS=DEFLATE on, right after the server's OK to it.
    pub fn compress(&mut self) -> Result<(), DataBeforeCompression> {
        if self.offset < self.ready.len() {
            return Err(DataBeforeCompression);
        }
        self.compression = Some(Compression::default());
        Ok(())
    }

    /// The TCP stream, to start TLS on: only while plain and with nothing read ahead.
    pub fn into_plain(self) -> Option<TcpStream> {
        match self.transport {
            Transport::Plain(tcp)
                if self.offset == self.ready.len() && self.compression.is_none() =>
            {
                Some(tcp)
            }
            _ => None,
        }
    }
}

impl AsyncRead for Wire {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        let this = self.get_mut();
        loop {
            if this.offset < this.ready.len() {
                let n = buf.remaining().min(this.ready.len() - this.offset);
                buf.put_slice(&this.ready[this.offset..this.offset + n]);
                this.offset += n;
                if this.offset == this.ready.len() {
                    this.ready.clear();
                    this.offset = 0;
                }
                return Poll::Ready(Ok(()));
            }
            if let Some(c) = &mut this.compression {
                if !c.received.is_empty() || c.more {
                    let step = c
                        .deflate
                        .inflate(&c.received, &mut c.inflated, INFLATE_STEP)?;
                    c.received.drain(..step.used);
                    c.more = step.full;
                    let progress = step.used > 0 || !c.inflated.is_empty();
                    this.filter.filter(&c.inflated, &mut this.ready);
                    c.inflated.clear();
                    // Go on while anything moved (the filter may hold a byte back, leaving `ready`
                    // empty with input still to inflate); read the network only when stuck.
                    if progress || c.more {
                        continue;
                    }
                    // What arrived so far was not a whole piece of the stream: read on.
                }
            }
            let mut raw = ReadBuf::new(&mut this.scratch);
            let polled = match &mut this.transport {
                Transport::Plain(s) => Pin::new(s).poll_read(cx, &mut raw),
                Transport::Tls(s) => Pin::new(s).poll_read(cx, &mut raw),
            };
            match polled {
                Poll::Pending => return Poll::Pending,
                Poll::Ready(Err(e)) => return Poll::Ready(Err(e)),
                Poll::Ready(Ok(())) if raw.filled().is_empty() => {
                    if this
                        .compression
                        .as_ref()
                        .is_some_and(|c| !c.received.is_empty())
                    {
                        return Poll::Ready(Err(io::Error::new(
                            io::ErrorKind::UnexpectedEof,
                            "the connection closed inside a compressed piece",
                        )));
                    }
                    this.filter.finish(&mut this.ready);
                    if this.ready.is_empty() {
                        return Poll::Ready(Ok(())); // end of stream
                    }
                }
                Poll::Ready(Ok(())) => match &mut this.compression {
                    Some(c) => c.received.extend_from_slice(raw.filled()),
                    None => this.filter.filter(raw.filled(), &mut this.ready),
                },
            }
        }
    }
}

fn poll_raw_write(
    transport: &mut Transport,
    cx: &mut Context<'_>,
    buf: &[u8],
) -> Poll<io::Result<usize>> {
    match transport {
        Transport::Plain(s) => Pin::new(s).poll_write(cx, buf),
        Transport::Tls(s) => Pin::new(s).poll_write(cx, buf),
    }
}

impl Wire {
    /// Writes the compressed bytes held for the server.
    fn poll_send_held(&mut self, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        let Wire {
            transport,
            compression: Some(c),
            ..
        } = self
        else {
            return Poll::Ready(Ok(()));
        };
        while c.sent < c.outgoing.len() {
            let n = std::task::ready!(poll_raw_write(transport, cx, &c.outgoing[c.sent..]))?;
            if n == 0 {
                return Poll::Ready(Err(io::ErrorKind::WriteZero.into()));
            }
            c.sent += n;
        }
        c.outgoing.clear();
        c.sent = 0;
        Poll::Ready(Ok(()))
    }
}

impl AsyncWrite for Wire {
    fn poll_write(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        let this = self.get_mut();
        if this.compression.is_none() {
            return poll_raw_write(&mut this.transport, cx, buf);
        }
        if this
            .compression
            .as_ref()
            .is_some_and(|c| c.outgoing.len() - c.sent >= HELD_BACK)
        {
            std::task::ready!(this.poll_send_held(cx))?;
        }
        // A piece at a time: a big message is never held compressed whole.
        let take = buf.len().min(HELD_BACK);
        let c = this.compression.as_mut().expect("checked above");
        c.deflate.deflate(&buf[..take], &mut c.outgoing)?;
        Poll::Ready(Ok(take))
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        let this = self.get_mut();
        if let Some(c) = &mut this.compression {
            c.deflate.sync_flush(&mut c.outgoing)?;
            std::task::ready!(this.poll_send_held(cx))?;
        }
        match &mut this.transport {
            Transport::Plain(s) => Pin::new(s).poll_flush(cx),
            Transport::Tls(s) => Pin::new(s).poll_flush(cx),
        }
    }

    fn poll_shutdown(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        let this = self.get_mut();
        // What was written but not flushed leaves first.
        if let Some(c) = &mut this.compression {
            c.deflate.sync_flush(&mut c.outgoing)?;
            std::task::ready!(this.poll_send_held(cx))?;
        }
        match &mut this.transport {
            Transport::Plain(s) => Pin::new(s).poll_shutdown(cx),
            Transport::Tls(s) => Pin::new(s).poll_shutdown(cx),
        }
    }
}
