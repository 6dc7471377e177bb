//! One budget per server, shared by every copy running in the process: a hard cap on connections, an
//! adaptive limit on operations in flight (see [`AdaptiveLimit`]) and, optionally, a byte rate.
use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use tokio::time::Instant;

use tokio::sync::{Notify, OwnedSemaphorePermit, Semaphore};

use super::imap::Endpoint;
use super::plan::adaptive::AdaptiveLimit;

/// What each server may take from this process.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    /// Connections open at once (the adaptive limit on operations stays at or below it).
    pub max_connections: usize,
    /// Bytes per second read from or written to the server, if limited.
    pub bytes_per_second: Option<u64>,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            max_connections: 4,
            bytes_per_second: None,
        }
    }
}

/// The budgets of every server this process talks to.
#[derive(Debug, Default)]
pub struct Throttle {
    limits: Limits,
    servers: Mutex<HashMap<String, Arc<ServerBudget>>>,
}

impl Throttle {
    pub fn new(limits: Limits) -> Arc<Throttle> {
        Arc::new(Throttle {
            limits,
            servers: Mutex::default(),
        })
    }

    /// The budget of the server at `endpoint` (one per host and port).
    pub fn server(&self, endpoint: &Endpoint) -> Arc<ServerBudget> {
        let key = format!("{}:{}", endpoint.host.to_ascii_lowercase(), endpoint.port);
        self.servers
            .lock()
            .expect("throttle lock")
            .entry(key)
            .or_insert_with_key(|key| Arc::new(ServerBudget::new(key.clone(), self.limits)))
            .clone()
    }
}

#[derive(Debug)]
pub struct ServerBudget {
    key: String,
    connections: Arc<Semaphore>,
    state: Mutex<State>,
    changed: Notify,
    bytes_per_second: Option<u64>,
}

#[derive(Debug)]
struct State {
    limit: AdaptiveLimit,
    in_flight: usize,
    /// When the byte budget is next free.
    next_free: Instant,
}

impl ServerBudget {
    fn new(key: String, limits: Limits) -> ServerBudget {
        let max = limits.max_connections.max(1);
        ServerBudget {
            key,
            connections: Arc::new(Semaphore::new(max)),
            // Two at first: what the seed's old server could take.
            state: Mutex::new(State {
                limit: AdaptiveLimit::new(2, max),
                in_flight: 0,
                next_free: Instant::now(),
            }),
            changed: Notify::new(),
            bytes_per_second: limits.bytes_per_second.filter(|r| *r > 0),
        }
    }

    /// `host:port`.
    pub fn key(&self) -> &str {
        &self.key
    }

    /// Waits for a connection slot; hold the permit while the connection is open.
    pub async fn connection(&self) -> OwnedSemaphorePermit {
        self.connections
            .clone()
            .acquire_owned()
            .await
            .expect("the semaphore is never closed")
    }

    /// Connection slots free right now (for tests and reports).
    pub fn free_connections(&self) -> usize {
        self.connections.available_permits()
    }

    /// Operations allowed in flight now.
    pub fn limit(&self) -> usize {
        self.state.lock().expect("budget lock").limit.current()
    }

    /// Waits until one more operation fits the adaptive limit. Report how it went on the returned
    /// [`Operation`]; dropping it unreported counts as a failure (the operation errored out).
    pub async fn operation(self: &Arc<Self>) -> Operation {
        loop {
            let notified = self.changed.notified();
            tokio::pin!(notified);
            notified.as_mut().enable();
            {
                let mut state = self.state.lock().expect("budget lock");
                if state.in_flight < state.limit.current() {
                    state.in_flight += 1;
                    return Operation {
                        budget: self.clone(),
                        started: Instant::now(),
                        reported: false,
                    };
                }
            }
            notified.await;
        }
    }

    /// Waits until `bytes` fit the byte rate, if one is set.
    pub async fn pace(&self, bytes: u64) {
        let Some(rate) = self.bytes_per_second else {
            return;
        };
        let start = {
            let mut state = self.state.lock().expect("budget lock");
            let now = Instant::now();
            let start = state.next_free.max(now);
            state.next_free = start + Duration::from_secs_f64(bytes as f64 / rate as f64);
            start
        };
        tokio::time::sleep_until(start).await;
    }

    fn finish(&self, outcome: Option<f64>) {
        {
            let mut state = self.state.lock().expect("budget lock");
            state.in_flight -= 1;
            match outcome {
                Some(cost) => state.limit.on_success(cost),
                None => state.limit.on_error(),
            }
        }
        self.changed.notify_waiters();
    }
}

/// One operation in flight on a server.
#[derive(Debug)]
pub struct Operation {
    budget: Arc<ServerBudget>,
    started: Instant,
    reported: bool,
}

impl Operation {
    /// It worked, moving `bytes`: its time per MB (plus a fixed share, for small ones) tells the
    /// adaptive limit how the server is doing.
    pub fn succeeded(mut self, bytes: u64) {
        self.reported = true;
        let work = 0.05 + bytes as f64 / 1e6;
        self.budget
            .finish(Some(self.started.elapsed().as_secs_f64() / work));
    }
}

impl Drop for Operation {
    fn drop(&mut self) {
        if !self.reported {
            self.budget.finish(None);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn endpoint(port: u16) -> Endpoint {
        Endpoint::new("Mail.Example.org", port)
    }

    #[test]
    fn one_budget_per_server() {
        let throttle = Throttle::new(Limits::default());
        let a = throttle.server(&endpoint(993));
        let same = throttle.server(&Endpoint::new("mail.example.org", 993));
        let other = throttle.server(&endpoint(143));
        assert!(Arc::ptr_eq(&a, &same));
        assert!(!Arc::ptr_eq(&a, &other));
    }

    #[tokio::test]
    async fn operations_wait_for_the_limit_and_failures_shrink_it() {
        let throttle = Throttle::new(Limits {
            max_connections: 4,
            bytes_per_second: None,
        });
        let budget = throttle.server(&endpoint(1));
        assert_eq!(budget.limit(), 2);
        let first = budget.operation().await;
        let second = budget.operation().await;
        // A third must wait until one of the two ends.
        let waiting = tokio::spawn({
            let budget = budget.clone();
            async move { budget.operation().await.succeeded(0) }
        });
        tokio::time::sleep(Duration::from_millis(50)).await;
        assert!(!waiting.is_finished());
        drop(first); // failed: the limit halves to 1
        assert_eq!(budget.limit(), 1);
        tokio::time::sleep(Duration::from_millis(50)).await;
        assert!(!waiting.is_finished(), "1 in flight, limit 1");
        second.succeeded(1_000_000);
        waiting.await.unwrap();
    }

    #[tokio::test]
    async fn connections_are_capped() {
        let throttle = Throttle::new(Limits {
            max_connections: 2,
            bytes_per_second: None,
        });
        let budget = throttle.server(&endpoint(1));
        let _a = budget.connection().await;
        let _b = budget.connection().await;
        assert_eq!(budget.free_connections(), 0);
        let third = tokio::time::timeout(Duration::from_millis(50), budget.connection()).await;
        assert!(third.is_err(), "a third connection must wait");
    }

    #[tokio::test(start_paused = true)]
    async fn the_byte_rate_spaces_transfers_out() {
        let throttle = Throttle::new(Limits {
            max_connections: 2,
            bytes_per_second: Some(1_000_000),
        });
        let budget = throttle.server(&endpoint(1));
        let started = Instant::now();
        for _ in 0..4 {
            budget.pace(500_000).await;
        }
        // Four half-megabytes at 1 MB/s: the last may start after 1.5 s.
        assert_eq!(started.elapsed(), Duration::from_millis(1500));
    }
}
