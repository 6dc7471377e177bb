//! A fault-injecting TCP proxy for the tests: the first `faulty` connections fail after the server has
//! sent `after` bytes (cut, or stalled: held open with no more data), lose the server's reply that
//! holds a pattern, crawl (a slow link), or report wrong message sizes; later connections pass
//! untouched.
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::Arc;

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Fault {
    /// The connection drops.
    Cut,
    /// The connection stays open but nothing more arrives (a hung server).
    Stall,
    /// The connection drops just before the server's reply containing this pattern reaches the client:
    /// the server did the work, the client never hears of it (e.g. `b"APPENDUID"`).
    LoseReplyWith(&'static [u8]),
    /// The server's bytes arrive at this many bytes per second.
    Slow(usize),
    /// Every `RFC822.SIZE n` the server sends says this instead (an old server that under-reports
    /// sizes, while it sends the messages whole).
    SizesSay(u32),
}

pub struct FaultyProxy {
    pub port: u16,
    /// How many connections failed.
    pub cuts: Arc<AtomicUsize>,
    /// The most connections open at once.
    pub peak: Arc<AtomicUsize>,
    /// Connections taken so far.
    pub accepted: Arc<AtomicUsize>,
    /// Bytes that crossed, as on the wire: from the server, and to it.
    pub from_server: Arc<AtomicU64>,
    pub to_server: Arc<AtomicU64>,
    /// How many of the first connections get the fault (see [`FaultyProxy::heal`]).
    faulty: Arc<AtomicUsize>,
    /// A delay before each piece of every server's reply, on every connection (see
    /// [`FaultyProxy::lag`]), in milliseconds.
    lag_ms: Arc<AtomicU64>,
    task: tokio::task::JoinHandle<()>,
}

impl FaultyProxy {
    pub async fn start(target: u16, cut_after: usize, faulty: usize) -> FaultyProxy {
        Self::start_with(target, Fault::Cut, cut_after, faulty).await
    }

    pub async fn start_with(target: u16, fault: Fault, after: usize, faulty: usize) -> FaultyProxy {
        Self::bind(
            std::net::Ipv4Addr::LOCALHOST.into(),
            target,
            fault,
            after,
            faulty,
        )
        .await
    }

    /// Passes everything through, listening on `ip` (e.g. a non-loopback address of this machine).
    pub async fn passthrough_on(ip: std::net::IpAddr, target: u16) -> FaultyProxy {
        Self::bind(ip, target, Fault::Cut, 0, 0).await
    }

    async fn bind(
        ip: std::net::IpAddr,
        target: u16,
        fault: Fault,
        after: usize,
        faulty: usize,
    ) -> FaultyProxy {
        let listener = TcpListener::bind((ip, 0)).await.unwrap();
        let port = listener.local_addr().unwrap().port();
        let cuts = Arc::new(AtomicUsize::new(0));
        let seen = Arc::new(AtomicUsize::new(0));
        let accepted = seen.clone();
        let counter = cuts.clone();
        let peak = Arc::new(AtomicUsize::new(0));
        let open = OpenConnections::default();
        let highest = peak.clone();
        let faulty = Arc::new(AtomicUsize::new(faulty));
        let still_faulty = faulty.clone();
        let lag_ms = Arc::new(AtomicU64::new(0));
        let lag = lag_ms.clone();
        let from_server = Arc::new(AtomicU64::new(0));
        let to_server = Arc::new(AtomicU64::new(0));
        let counted = Counted {
            from_server: from_server.clone(),
            to_server: to_server.clone(),
        };
        let task = tokio::spawn(async move {
            while let Ok((client, _)) = listener.accept().await {
                let n = seen.fetch_add(1, Ordering::SeqCst);
                let limit = (n < still_faulty.load(Ordering::SeqCst)).then_some(after);
                let counter = counter.clone();
                let (held, now_open) = open.add(&client);
                highest.fetch_max(now_open, Ordering::SeqCst);
                let open = open.clone();
                let lag = lag.clone();
                let counted = counted.clone();
                tokio::spawn(async move {
                    if let Ok(server) = TcpStream::connect(("127.0.0.1", target)).await {
                        if pipe(client, server, limit, fault, lag, counted).await {
                            counter.fetch_add(1, Ordering::SeqCst);
                        }
                    }
                    open.remove(held);
                });
            }
        });
        FaultyProxy {
            port,
            cuts,
            peak,
            accepted,
            faulty,
            lag_ms,
            from_server,
            to_server,
            task,
        }
    }

    /// The server turns sluggish (`lag` before each piece of each reply, on every connection, open
    /// or new), or recovers (`Duration::ZERO`).
    pub fn lag(&self, lag: std::time::Duration) {
        let ms = u64::try_from(lag.as_millis()).unwrap_or(u64::MAX);
        self.lag_ms.store(ms, Ordering::SeqCst);
    }

    /// The server breaks: every connection from now on gets the fault.
    pub fn fail_from_now(&self) {
        self.faulty.store(usize::MAX, Ordering::SeqCst);
    }

    /// The server recovers: connections from now on pass untouched (those open keep their fault).
    pub fn heal(&self) {
        self.faulty.store(0, Ordering::SeqCst);
    }
}

impl Drop for FaultyProxy {
    fn drop(&mut self) {
        self.task.abort();
    }
}

/// The client sockets the proxy has open, to count those the client still holds when another one
/// arrives. A client that closed its connection and at once opened the next (its slot passed on) must
/// not count twice: the kernel has its hang-up (the socket is past ESTABLISHED) before the next
/// connection can be accepted, whereas the task that reads the hang-up may not have run yet.
#[derive(Clone, Default)]
struct OpenConnections(
    Arc<std::sync::Mutex<(u64, std::collections::HashMap<u64, std::os::fd::OwnedFd>)>>,
);

impl OpenConnections {
    /// Adds `client`; returns its key and how many connections the clients hold now, it included.
    fn add(&self, client: &TcpStream) -> (u64, usize) {
        use std::os::fd::AsFd;
        // A second descriptor of the socket only to ask its state; the proxy drops it with the entry.
        let watch = client
            .as_fd()
            .try_clone_to_owned()
            .expect("dup a client socket");
        let mut open = self.0.lock().unwrap();
        let (next, sockets) = &mut *open;
        *next += 1;
        sockets.insert(*next, watch);
        let held = sockets.values().filter(|fd| client_holds(fd)).count();
        (*next, held)
    }

    fn remove(&self, key: u64) {
        self.0.lock().unwrap().1.remove(&key);
    }
}

/// Whether the client has not hung up this socket: TCP state ESTABLISHED, or closing from the
/// proxy's side only (FIN_WAIT1, FIN_WAIT2).
fn client_holds(socket: &std::os::fd::OwnedFd) -> bool {
    use std::os::fd::AsRawFd;
    let mut info: libc::tcp_info = unsafe { std::mem::zeroed() };
    let mut len = std::mem::size_of::<libc::tcp_info>() as libc::socklen_t;
    // SAFETY: the descriptor is open (owned here) and `info` is as large as `len` says.
    let got = unsafe {
        libc::getsockopt(
            socket.as_raw_fd(),
            libc::IPPROTO_TCP,
            libc::TCP_INFO,
            (&mut info as *mut libc::tcp_info).cast(),
            &mut len,
        )
    };
    const ESTABLISHED: u8 = 1;
    const FIN_WAIT1: u8 = 4;
    const FIN_WAIT2: u8 = 5;
    got != 0 || matches!(info.tcpi_state, ESTABLISHED | FIN_WAIT1 | FIN_WAIT2)
}

#[derive(Clone)]
struct Counted {
    from_server: Arc<AtomicU64>,
    to_server: Arc<AtomicU64>,
}

/// Copies both ways; returns true when it injected the fault.
async fn pipe(
    client: TcpStream,
    server: TcpStream,
    limit: Option<usize>,
    fault: Fault,
    lag: Arc<AtomicU64>,
    counted: Counted,
) -> bool {
    let (mut client_read, mut client_write) = client.into_split();
    let (mut server_read, mut server_write) = server.into_split();
    // The connection is over for the count when the client hangs up, without waiting for the
    // server's side to wind down: the count is what the client holds.
    let (hung_up, mut client_gone) = tokio::sync::oneshot::channel::<()>();
    let to_server = counted.to_server;
    let upstream = tokio::spawn(async move {
        let mut buf = vec![0u8; 16 * 1024];
        while let Ok(n @ 1..) = client_read.read(&mut buf).await {
            to_server.fetch_add(n as u64, Ordering::SeqCst);
            if server_write.write_all(&buf[..n]).await.is_err() {
                break;
            }
        }
        let _ = hung_up.send(());
    });
    let mut sent = 0usize;
    let mut buf = vec![0u8; 16 * 1024];
    // For SizesSay: what arrived after the last line end (a size is never split by a line end).
    let mut pending: Vec<u8> = Vec::new();
    let cut = loop {
        let read = tokio::select! {
            read = server_read.read(&mut buf) => read,
            _ = &mut client_gone => break false,
        };
        let n = match read {
            Ok(0) | Err(_) => break false,
            Ok(n) => n,
        };
        counted.from_server.fetch_add(n as u64, Ordering::SeqCst);
        let pause = lag.load(Ordering::SeqCst);
        if pause > 0 {
            tokio::time::sleep(std::time::Duration::from_millis(pause)).await;
        }
        match (limit, fault) {
            (Some(_), Fault::LoseReplyWith(pattern))
                if buf[..n].windows(pattern.len()).any(|w| w == pattern) =>
            {
                break true;
            }
            (Some(_), Fault::LoseReplyWith(_)) => {
                if client_write.write_all(&buf[..n]).await.is_err() {
                    break false;
                }
                continue;
            }
            (Some(_), Fault::SizesSay(size)) => {
                pending.extend_from_slice(&buf[..n]);
                let Some(end) = pending.windows(2).rposition(|w| w == b"\r\n") else {
                    continue;
                };
                let rest = pending.split_off(end + 2);
                let lines = std::mem::replace(&mut pending, rest);
                if client_write
                    .write_all(&rewrite_sizes(&lines, size))
                    .await
                    .is_err()
                {
                    break false;
                }
                continue;
            }
            (Some(_), Fault::Slow(rate)) => {
                let pause = std::time::Duration::from_secs_f64(n as f64 / rate.max(1) as f64);
                tokio::time::sleep(pause).await;
                if client_write.write_all(&buf[..n]).await.is_err() {
                    break false;
                }
                continue;
            }
            _ => {}
        }
        let n = match limit {
            Some(limit) if sent + n >= limit => {
                let _ = client_write.write_all(&buf[..limit - sent]).await;
                if fault == Fault::Stall {
                    // Hold both sockets open, silently, until the client gives up.
                    let mut sink = vec![0u8; 16 * 1024];
                    while matches!(server_read.read(&mut sink).await, Ok(n) if n > 0) {}
                }
                break true;
            }
            _ => n,
        };
        if client_write.write_all(&buf[..n]).await.is_err() {
            break false;
        }
        sent += n;
    };
    upstream.abort();
    cut
}

/// `bytes` with the number after every `RFC822.SIZE ` replaced by `size`.
fn rewrite_sizes(bytes: &[u8], size: u32) -> Vec<u8> {
    const KEY: &[u8] = b"RFC822.SIZE ";
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i..].starts_with(KEY) {
            out.extend_from_slice(KEY);
            i += KEY.len();
            while i < bytes.len() && bytes[i].is_ascii_digit() {
                i += 1;
            }
            out.extend_from_slice(size.to_string().as_bytes());
        } else {
            out.push(bytes[i]);
            i += 1;
        }
    }
    out
}
