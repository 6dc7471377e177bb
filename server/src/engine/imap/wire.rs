//! The byte stream under an IMAP session: plain TCP (loopback, or before STARTTLS) or TLS over TCP,
//! with what the server sends passed through the [`Literal8Filter`].
use std::io;
use std::pin::Pin;
use std::task::{Context, Poll};

use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::net::TcpStream;

use super::literal8::Literal8Filter;

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
}

impl Wire {
    pub fn new(transport: Transport) -> Wire {
        Wire {
            transport,
            filter: Literal8Filter::default(),
            ready: Vec::new(),
            offset: 0,
            scratch: vec![0u8; 32 * 1024].into_boxed_slice(),
        }
    }

    /// The TCP stream, to start TLS on: only while plain and with nothing read ahead.
    pub fn into_plain(self) -> Option<TcpStream> {
        match self.transport {
            Transport::Plain(tcp) if self.offset == self.ready.len() => Some(tcp),
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
            let mut raw = ReadBuf::new(&mut this.scratch);
            let polled = match &mut this.transport {
                Transport::Plain(s) => Pin::new(s).poll_read(cx, &mut raw),
                Transport::Tls(s) => Pin::new(s).poll_read(cx, &mut raw),
            };
            match polled {
                Poll::Pending => return Poll::Pending,
                Poll::Ready(Err(e)) => return Poll::Ready(Err(e)),
                Poll::Ready(Ok(())) if raw.filled().is_empty() => {
                    this.filter.finish(&mut this.ready);
                    if this.ready.is_empty() {
                        return Poll::Ready(Ok(())); // end of stream
                    }
                }
                Poll::Ready(Ok(())) => this.filter.filter(raw.filled(), &mut this.ready),
            }
        }
    }
}

impl AsyncWrite for Wire {
    fn poll_write(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        match &mut self.get_mut().transport {
            Transport::Plain(s) => Pin::new(s).poll_write(cx, buf),
            Transport::Tls(s) => Pin::new(s).poll_write(cx, buf),
        }
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        match &mut self.get_mut().transport {
            Transport::Plain(s) => Pin::new(s).poll_flush(cx),
            Transport::Tls(s) => Pin::new(s).poll_flush(cx),
        }
    }

    fn poll_shutdown(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        match &mut self.get_mut().transport {
            Transport::Plain(s) => Pin::new(s).poll_shutdown(cx),
            Transport::Tls(s) => Pin::new(s).poll_shutdown(cx),
        }
    }
}
