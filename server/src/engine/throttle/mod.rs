//! One budget per server, shared by every copy running in the process: a cap on connections, an
//! adaptive limit on operations in flight (see [`AdaptiveLimit`]) and, optionally, a byte rate. IT
//! may change a server's cap and rate while copies run: the next connection keeps to the new cap
//! (connections already open stay open), the next transfer to the new rate. An operation that has
//! run far longer than operations take (one mailbox the server no longer answers for) stops
//! counting against the adaptive limit, so one hung mailbox never holds everyone else's copies; the
//! connection cap still holds.
//!
//! When several processes copy from the same servers (workers on several machines), the connection
//! cap is shared through [`SharedPlaces`]: a connection also needs one of the server's places there,
//! so all the processes together keep to the cap.
mod observed;

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use tokio::sync::Notify;
use tokio::time::Instant;

use super::imap::Endpoint;
use super::plan::adaptive::AdaptiveLimit;
use super::plan::ceiling::ConnectionCeiling;
pub use super::plan::guard::Trip;
use super::plan::guard::{LoadGuard, Reading};
use observed::Observed;

/// What each server may take from this process.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    /// Connections open at once (the adaptive limit on operations stays at or below it).
    pub max_connections: usize,
    /// Bytes per second read from or written to the server, if limited.
    pub bytes_per_second: Option<u64>,
}

impl Limits {
    /// At least one connection; a rate only when above zero.
    fn sane(self) -> Limits {
        Limits {
            max_connections: self.max_connections.max(1),
            bytes_per_second: self.bytes_per_second.filter(|r| *r > 0),
        }
    }
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            max_connections: 4,
            bytes_per_second: None,
        }
    }
}

/// A server's connection places, shared by every process that connects to it (the database keeps
/// them): the cap holds across processes. A process takes a place for each connection it opens,
/// after its own cap let the connection in, and gives it back when the connection closes.
#[async_trait::async_trait]
pub trait SharedPlaces: Send + Sync + std::fmt::Debug {
    /// Takes one of the `max` places of the server `key` for this process: its number, or `None`
    /// while other connections hold them all.
    async fn take(&self, key: &str, max: usize) -> Result<Option<u32>, String>;
    /// Gives the place back.
    async fn give_back(&self, key: &str, place: u32);
}

/// How long a connection waiting for a shared place waits before looking again, at first and at most
/// (doubling, spread at random so waiting processes do not look all at once).
const SHARED_WAIT_FIRST: Duration = Duration::from_millis(200);
const SHARED_WAIT_MOST: Duration = Duration::from_secs(2);

/// The budgets of every server this process talks to.
#[derive(Debug, Default)]
pub struct Throttle {
    limits: Limits,
    servers: Mutex<Servers>,
    shared: Option<Arc<dyn SharedPlaces>>,
}

#[derive(Debug, Default)]
struct Servers {
    budgets: HashMap<String, Arc<ServerBudget>>,
    /// Limits set at run time, by server, over `Throttle::limits`.
    changed: HashMap<String, Limits>,
}

impl Throttle {
    pub fn new(limits: Limits) -> Arc<Throttle> {
        Arc::new(Throttle {
            limits,
            servers: Mutex::default(),
            shared: None,
        })
    }

    /// [`Throttle::new`] whose connection caps are shared with other processes through `shared`.
    pub fn shared(limits: Limits, shared: Arc<dyn SharedPlaces>) -> Arc<Throttle> {
        Arc::new(Throttle {
            limits,
            servers: Mutex::default(),
            shared: Some(shared),
        })
    }

    /// The budget of the server at `endpoint` (one per host and port).
    pub fn server(&self, endpoint: &Endpoint) -> Arc<ServerBudget> {
        let key = budget_key(endpoint);
        let mut servers = self.servers.lock().expect("throttle lock");
        let limits = servers.changed.get(&key).copied().unwrap_or(self.limits);
        servers
            .budgets
            .entry(key)
            .or_insert_with_key(|key| {
                Arc::new(ServerBudget::new(key.clone(), limits, self.shared.clone()))
            })
            .clone()
    }

    /// From now on the server at `endpoint` may take `limits`: budgets made later start with them,
    /// the one in use changes at once.
    pub fn set(&self, endpoint: &Endpoint, limits: Limits) {
        let key = budget_key(endpoint);
        let budget = {
            let mut servers = self.servers.lock().expect("throttle lock");
            let budget = servers.budgets.get(&key).cloned();
            servers.changed.insert(key, limits);
            budget
        };
        if let Some(budget) = budget {
            budget.set(limits);
        }
    }
}

/// Which budget a server's connections draw from: one per host (any case) and port.
pub fn budget_key(endpoint: &Endpoint) -> String {
    format!("{}:{}", endpoint.host.to_ascii_lowercase(), endpoint.port)
}

#[derive(Debug)]
pub struct ServerBudget {
    key: String,
    state: Mutex<State>,
    changed: Notify,
    shared: Option<Arc<dyn SharedPlaces>>,
}

#[derive(Debug)]
struct State {
    limits: Limits,
    open: usize,
    /// Of the open connections, those whose session began (logged in).
    established: usize,
    /// How many connections the server was seen to take at once.
    ceiling: ConnectionCeiling,
    limit: AdaptiveLimit,
    /// When each operation in flight started, by its number.
    running: HashMap<u64, Instant>,
    next_operation: u64,
    /// When the byte budget is next free.
    next_free: Instant,
    observed: Observed,
    guard: LoadGuard,
    /// What the server's own health check (IT's URL or command) last said was wrong, if anything.
    reported: Option<String>,
    /// When the last operation ended.
    last_finished: Option<Instant>,
}

/// A server's budget as it stands, for IT's servers page.
#[derive(Debug, Clone, PartialEq)]
pub struct BudgetState {
    pub limits: Limits,
    pub connections_open: usize,
    /// Connections the server was seen to take at once, when it refused more than that (the
    /// connections open stay within it).
    pub connection_ceiling: Option<usize>,
    pub limit: usize,
    pub in_flight: usize,
    /// (Unix seconds, limit) at each change of the adaptive limit, oldest first.
    pub history: Vec<(i64, usize)>,
    pub latency_ms: Option<f64>,
    pub errors_last_minute: usize,
    /// Why no new copy should start on the server now (the load guard), if so.
    pub guard: Option<Strain>,
}

/// Why no new copy should start on a server now.
#[derive(Debug, Clone, PartialEq)]
pub enum Strain {
    /// What its latency and errors say ([`LoadGuard`]).
    Measured(Trip),
    /// What its own health check says (a URL or a command IT configured).
    Reported(String),
}

impl std::fmt::Display for Strain {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Strain::Measured(trip) => trip.fmt(f),
            Strain::Reported(why) => write!(
                f,
                "its health check says {why}: no new copy starts on it, and those running go one operation at a time, until it is well"
            ),
        }
    }
}

impl ServerBudget {
    fn new(key: String, limits: Limits, shared: Option<Arc<dyn SharedPlaces>>) -> ServerBudget {
        let limits = limits.sane();
        // Two at first: what the seed's old server could take.
        let limit = AdaptiveLimit::new(2, limits.max_connections);
        let mut observed = Observed::default();
        observed.limit(limit.current(), unix_ms());
        ServerBudget {
            key,
            state: Mutex::new(State {
                limits,
                open: 0,
                established: 0,
                ceiling: ConnectionCeiling::default(),
                limit,
                running: HashMap::new(),
                next_operation: 0,
                next_free: Instant::now(),
                observed,
                guard: LoadGuard::default(),
                reported: None,
                last_finished: None,
            }),
            changed: Notify::new(),
            shared,
        }
    }

    /// `host:port`.
    pub fn key(&self) -> &str {
        &self.key
    }

    fn set(&self, limits: Limits) {
        let limits = limits.sane();
        {
            let mut state = self.state.lock().expect("budget lock");
            // Workers apply the limits in force every round: only a change wakes the waiters.
            if state.limits == limits {
                return;
            }
            state.limits = limits;
            let max = state.limits.max_connections;
            state.limit.set_max(max);
            let current = state.limit.current();
            state.observed.limit(current, unix_ms());
        }
        // Waiters re-check against the new cap (a raised one lets them in now).
        self.changed.notify_waiters();
    }

    /// Waits for a connection slot (this process's, then a shared place when the cap is shared);
    /// hold it while the connection is open.
    pub async fn connection(self: &Arc<Self>) -> ConnectionSlot {
        let mut slot = self.own_connection().await;
        let Some(shared) = &self.shared else {
            return slot;
        };
        let mut wait = SHARED_WAIT_FIRST;
        loop {
            let notified = self.changed.notified();
            tokio::pin!(notified);
            notified.as_mut().enable();
            let max = self
                .state
                .lock()
                .expect("budget lock")
                .limits
                .max_connections;
            match shared.take(&self.key, max).await {
                Ok(Some(place)) => {
                    slot.place = Some(place);
                    return slot;
                }
                Ok(None) => {}
                Err(e) => {
                    tracing::warn!(server = %self.key, error = %e, "cannot take a shared connection place; trying again")
                }
            }
            // Places are given back by other processes too: look again after a while, or at once
            // when IT raises the cap.
            tokio::select! {
                _ = notified => {}
                _ = tokio::time::sleep(crate::backoff::jittered(wait)) => {}
            }
            wait = crate::backoff::doubled(wait, SHARED_WAIT_MOST);
        }
    }

    /// Waits for a slot in this process's own cap.
    async fn own_connection(self: &Arc<Self>) -> ConnectionSlot {
        loop {
            let notified = self.changed.notified();
            tokio::pin!(notified);
            notified.as_mut().enable();
            {
                let mut state = self.state.lock().expect("budget lock");
                let configured = state.limits.max_connections;
                if state.open < state.ceiling.allowed(configured, Instant::now().into_std()) {
                    state.open += 1;
                    return ConnectionSlot {
                        budget: self.clone(),
                        place: None,
                        established: false,
                    };
                }
            }
            // Also look again after a while: a learned ceiling rises with time, not with an event.
            tokio::select! {
                _ = notified => {}
                _ = tokio::time::sleep(RECHECK_CEILING) => {}
            }
        }
    }

    /// A new connection's session began.
    fn established(&self) {
        self.state.lock().expect("budget lock").established += 1;
    }

    /// A new connection was dropped or timed out before its session began, while others worked:
    /// the server takes no more than those at once (see [`ConnectionCeiling`]).
    fn refused(&self) {
        let mut state = self.state.lock().expect("budget lock");
        let working = state.established;
        if state.ceiling.refused(working, Instant::now().into_std()) {
            tracing::warn!(
                server = %self.key,
                connections = working,
                "the server refused one more connection while {working} worked: \
                 Fountain keeps to {working} at once, and tries one more now and then"
            );
        }
    }

    /// Connection slots free right now (for tests and reports).
    pub fn free_connections(&self) -> usize {
        let state = self.state.lock().expect("budget lock");
        state.limits.max_connections.saturating_sub(state.open)
    }

    /// Operations allowed in flight now.
    pub fn limit(&self) -> usize {
        self.state.lock().expect("budget lock").limit.current()
    }

    /// Why no new copy should start on the server now, if so: its own health check's last word, or
    /// the load guard's reading of its latency and errors ([`LoadGuard`]).
    pub fn guard(&self) -> Option<Strain> {
        self.state.lock().expect("budget lock").guarded()
    }

    /// What the server's health check found wrong (`None`: it is well). While something is, running
    /// copies go one operation at a time.
    pub fn report_health(&self, trouble: Option<String>) {
        {
            let mut state = self.state.lock().expect("budget lock");
            if state.reported == trouble {
                return;
            }
            state.reported = trouble;
        }
        // Waiters re-check against the limit (one at a time while unwell, the adaptive one after).
        self.changed.notify_waiters();
    }

    /// How the server's budget stands now.
    pub fn state(&self) -> BudgetState {
        let mut state = self.state.lock().expect("budget lock");
        let guard = state.guarded();
        let errors_last_minute = state.observed.errors_last_minute(unix_ms());
        BudgetState {
            limits: state.limits,
            connections_open: state.open,
            connection_ceiling: {
                let configured = state.limits.max_connections;
                state
                    .ceiling
                    .standing(configured, Instant::now().into_std())
            },
            limit: state.limit.current(),
            in_flight: state.running.len(),
            history: state.observed.history(),
            latency_ms: state.observed.latency_ms(),
            errors_last_minute,
            guard,
        }
    }

    /// Waits until one more operation fits the adaptive limit. Report how it went on the returned
    /// [`Operation`]; dropping it unreported gives it up (it says nothing of the server).
    pub async fn operation(self: &Arc<Self>) -> Operation {
        loop {
            let notified = self.changed.notified();
            tokio::pin!(notified);
            notified.as_mut().enable();
            {
                let mut state = self.state.lock().expect("budget lock");
                let now = Instant::now();
                if state.counted(now) < state.allowed() {
                    let id = state.next_operation;
                    state.next_operation += 1;
                    state.running.insert(id, now);
                    return Operation {
                        budget: self.clone(),
                        id,
                        started: now,
                        reported: false,
                    };
                }
            }
            // Nothing may end for a long while (a hung operation): look again as time passes.
            tokio::select! {
                _ = notified => {}
                _ = tokio::time::sleep(RECHECK) => {}
            }
        }
    }

    /// Waits until `bytes` fit the byte rate, if one is set.
    pub async fn pace(&self, bytes: u64) {
        let start = {
            let mut state = self.state.lock().expect("budget lock");
            let Some(rate) = state.limits.bytes_per_second else {
                return;
            };
            let now = Instant::now();
            let start = state.next_free.max(now);
            state.next_free = start + Duration::from_secs_f64(bytes as f64 / rate as f64);
            start
        };
        tokio::time::sleep_until(start).await;
    }

    fn abandon(&self, id: u64) {
        self.state.lock().expect("budget lock").running.remove(&id);
        self.changed.notify_waiters();
    }

    fn finish(&self, id: u64, took: Duration, outcome: Option<f64>) {
        {
            let mut state = self.state.lock().expect("budget lock");
            state.running.remove(&id);
            let now = unix_ms();
            match outcome {
                Some(cost) => {
                    state.limit.on_success(cost);
                    state.observed.latency(took.as_secs_f64());
                }
                None => {
                    state.limit.on_error();
                    state.observed.error(now);
                }
            }
            let current = state.limit.current();
            state.observed.limit(current, now);
            state.last_finished = Some(Instant::now());
        }
        self.changed.notify_waiters();
    }

    fn close(&self, established: bool) {
        {
            let mut state = self.state.lock().expect("budget lock");
            state.open -= 1;
            if established {
                state.established -= 1;
            }
        }
        self.changed.notify_waiters();
    }
}

/// An operation running this much longer than operations take is taken for hung...
const STALL_FACTOR: f64 = 8.0;
/// ...and never before this.
const STALLED_AFTER_AT_LEAST: Duration = Duration::from_secs(30);
/// How often a waiting operation looks again when nothing ends.
const RECHECK: Duration = Duration::from_secs(1);
/// How often a connection waiting under a learned ceiling looks again when nothing closes.
const RECHECK_CEILING: Duration = Duration::from_secs(5);

impl State {
    /// Operations in flight that count against the adaptive limit at `now`: those not running far
    /// longer than operations take.
    fn counted(&self, now: Instant) -> usize {
        let typical = self.observed.latency_ms().unwrap_or(0.0) / 1000.0;
        let stalled_after = STALLED_AFTER_AT_LEAST.max(Duration::from_secs_f64(
            (typical * STALL_FACTOR).clamp(0.0, 86_400.0),
        ));
        self.running
            .values()
            .filter(|started| now.saturating_duration_since(**started) < stalled_after)
            .count()
    }
}

fn unix_ms() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_millis() as i64)
}

/// One connection's place in its server's cap, given back when dropped.
#[derive(Debug)]
pub struct ConnectionSlot {
    budget: Arc<ServerBudget>,
    /// Its place among all processes' connections, when the cap is shared.
    place: Option<u32>,
    /// Its session began.
    established: bool,
}

impl ConnectionSlot {
    /// Opens this slot's session with `connecting` (connect and log in), telling the budget how it
    /// went: a session that began counts as one the server takes; one dropped or silent at the
    /// greeting or login while others work says the server is full (see [`ConnectionCeiling`]).
    pub async fn open<T>(
        &mut self,
        connecting: impl std::future::Future<Output = Result<T, crate::engine::imap::ImapError>>,
    ) -> Result<T, crate::engine::imap::ImapError> {
        let session = connecting.await;
        match &session {
            Ok(_) if !self.established => {
                self.established = true;
                self.budget.established();
            }
            Ok(_) => {}
            Err(e) if !self.established && e.is_turned_away() => self.budget.refused(),
            Err(_) => {}
        }
        session
    }
}

impl Drop for ConnectionSlot {
    fn drop(&mut self) {
        self.budget.close(self.established);
        let (Some(place), Some(shared)) = (self.place, self.budget.shared.clone()) else {
            return;
        };
        // Outside a runtime (the process is ending) the place comes back when its lease expires.
        if let Ok(runtime) = tokio::runtime::Handle::try_current() {
            let key = self.budget.key.clone();
            runtime.spawn(async move { shared.give_back(&key, place).await });
        }
    }
}

/// One operation in flight on a server.
#[derive(Debug)]
pub struct Operation {
    budget: Arc<ServerBudget>,
    id: u64,
    started: Instant,
    reported: bool,
}

impl Operation {
    /// It worked, moving `bytes`: its time per MB (plus a fixed share, for small ones) tells the
    /// adaptive limit how the server is doing.
    pub fn succeeded(mut self, bytes: u64) {
        self.reported = true;
        let work = 0.05 + bytes as f64 / 1e6;
        let took = self.started.elapsed();
        self.budget
            .finish(self.id, took, Some(took.as_secs_f64() / work));
    }

    /// The server failed it (a timeout, a dropped connection, a "try later"): the limit halves.
    pub fn failed(mut self) {
        self.reported = true;
        self.budget.finish(self.id, self.started.elapsed(), None);
    }

    /// [`succeeded`](Self::succeeded) moving `bytes` when `ok`, else [`failed`](Self::failed).
    pub fn ended(self, ok: bool, bytes: u64) {
        if ok {
            self.succeeded(bytes)
        } else {
            self.failed()
        }
    }
}

/// Dropped unreported, the operation was given up on (its copy paused, cancelled, or taken over):
/// that says nothing of the server.
impl Drop for Operation {
    fn drop(&mut self) {
        if !self.reported {
            self.budget.abandon(self.id);
        }
    }
}

impl State {
    /// Operations allowed in flight: the adaptive limit, or one while the health check says the
    /// server is unwell.
    fn allowed(&self) -> usize {
        match self.reported {
            Some(_) => 1,
            None => self.limit.current(),
        }
    }

    /// The health check's word first; the load guard reads the measurements either way, so its
    /// baseline stays current.
    fn guarded(&mut self) -> Option<Strain> {
        let measured = self.measured().map(Strain::Measured);
        match &self.reported {
            Some(why) => Some(Strain::Reported(why.clone())),
            None => measured,
        }
    }

    fn measured(&mut self) -> Option<Trip> {
        let now = unix_ms();
        let reading = Reading {
            strain: self.limit.strain(),
            errors_last_minute: self.observed.errors_last_minute(now),
            latency_ms: self.observed.latency_ms(),
            idle_ms: self
                .last_finished
                .map(|t| i64::try_from(t.elapsed().as_millis()).unwrap_or(i64::MAX)),
        };
        self.guard.observe(reading, now)
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

    /// Places in memory, as two processes would share them through the database.
    #[derive(Debug, Default)]
    struct Places(Mutex<std::collections::HashSet<(String, u32)>>);

    #[async_trait::async_trait]
    impl SharedPlaces for Places {
        async fn take(&self, key: &str, max: usize) -> Result<Option<u32>, String> {
            let mut held = self.0.lock().unwrap();
            let free = (0..max as u32).find(|p| !held.contains(&(key.to_owned(), *p)));
            Ok(free.inspect(|p| {
                held.insert((key.to_owned(), *p));
            }))
        }
        async fn give_back(&self, key: &str, place: u32) {
            self.0.lock().unwrap().remove(&(key.to_owned(), place));
        }
    }

    #[tokio::test]
    async fn processes_sharing_places_keep_together_to_one_cap() {
        let places = Arc::new(Places::default());
        let limits = Limits {
            max_connections: 2,
            bytes_per_second: None,
        };
        let (one, two) = (
            Throttle::shared(limits, places.clone()),
            Throttle::shared(limits, places.clone()),
        );
        let (a, b) = (one.server(&endpoint(1)), two.server(&endpoint(1)));
        let first = a.connection().await;
        let second = b.connection().await;
        // Each process's own cap would let one more in; the shared one does not.
        let third = tokio::spawn({
            let a = a.clone();
            async move { a.connection().await }
        });
        tokio::time::sleep(Duration::from_millis(600)).await;
        assert!(!third.is_finished(), "a third connection between the two");
        drop(second);
        let third = tokio::time::timeout(Duration::from_secs(5), third)
            .await
            .expect("the place given back by the other process is taken")
            .unwrap();
        assert_eq!(places.0.lock().unwrap().len(), 2);
        drop((first, third));
        tokio::time::sleep(Duration::from_millis(50)).await;
        assert!(places.0.lock().unwrap().is_empty(), "places given back");
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
        first.failed(); // the limit halves to 1
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

    #[tokio::test]
    async fn a_changed_cap_holds_for_the_next_connection() {
        let throttle = Throttle::new(Limits {
            max_connections: 3,
            bytes_per_second: None,
        });
        let budget = throttle.server(&endpoint(1));
        let a = budget.connection().await;
        let b = budget.connection().await;
        // Lowered to one: both stay open; a third waits until none is.
        throttle.set(
            &endpoint(1),
            Limits {
                max_connections: 1,
                bytes_per_second: None,
            },
        );
        assert_eq!(budget.free_connections(), 0);
        let third = tokio::spawn({
            let budget = budget.clone();
            async move { budget.connection().await }
        });
        drop(a);
        tokio::time::sleep(Duration::from_millis(50)).await;
        assert!(!third.is_finished(), "one still open, the cap is one");
        drop(b);
        let third = tokio::time::timeout(Duration::from_secs(5), third)
            .await
            .expect("the third gets in once none is open")
            .unwrap();
        assert_eq!(budget.state().connections_open, 1);
        // Raised again: a waiter gets in at once, without anyone closing.
        let fourth = tokio::spawn({
            let budget = budget.clone();
            async move { budget.connection().await }
        });
        tokio::time::sleep(Duration::from_millis(50)).await;
        assert!(!fourth.is_finished());
        throttle.set(
            &endpoint(1),
            Limits {
                max_connections: 2,
                bytes_per_second: None,
            },
        );
        let _fourth = tokio::time::timeout(Duration::from_secs(5), fourth)
            .await
            .expect("a raised cap lets the waiter in")
            .unwrap();
        drop(third);
        assert_eq!(budget.state().connections_open, 1);
    }

    #[tokio::test(start_paused = true)]
    async fn a_hung_operation_stops_holding_the_others_up() {
        let throttle = Throttle::new(Limits {
            max_connections: 4,
            bytes_per_second: None,
        });
        let budget = throttle.server(&endpoint(1));
        // Operations take about 100 ms; then one hangs and the limit is down to one.
        for _ in 0..3 {
            let op = budget.operation().await;
            tokio::time::sleep(Duration::from_millis(100)).await;
            op.succeeded(0);
        }
        budget.operation().await.failed();
        budget.operation().await.failed();
        assert_eq!(budget.limit(), 1);
        let hung = budget.operation().await;
        let waiting = tokio::spawn({
            let budget = budget.clone();
            async move { budget.operation().await.succeeded(0) }
        });
        tokio::time::sleep(Duration::from_secs(10)).await;
        assert!(
            !waiting.is_finished(),
            "within what an operation may take, the limit holds"
        );
        tokio::time::sleep(STALLED_AFTER_AT_LEAST).await;
        tokio::time::timeout(Duration::from_secs(5), waiting)
            .await
            .expect("a hung operation no longer holds the others up")
            .unwrap();
        assert_eq!(budget.state().in_flight, 1, "the hung one still runs");
        drop(hung);
        assert_eq!(budget.state().in_flight, 0);
    }

    #[test]
    fn limits_set_before_a_budget_exists_are_its_first() {
        let throttle = Throttle::new(Limits::default());
        let wanted = Limits {
            max_connections: 1,
            bytes_per_second: Some(5),
        };
        throttle.set(&Endpoint::new("MAIL.example.org", 1), wanted);
        let state = throttle.server(&endpoint(1)).state();
        assert_eq!(state.limits, wanted);
        assert_eq!(state.limit, 1, "the adaptive limit stays within the cap");
        assert_eq!(
            throttle.server(&endpoint(2)).state().limits,
            Limits::default()
        );
    }

    #[tokio::test]
    async fn the_state_shows_errors_latency_and_the_limits_history() {
        let throttle = Throttle::new(Limits {
            max_connections: 8,
            bytes_per_second: None,
        });
        let budget = throttle.server(&endpoint(1));
        budget.operation().await.succeeded(1000);
        budget.operation().await.failed(); // the limit halves
        drop(budget.operation().await); // given up on: nothing said of the server
        let state = budget.state();
        assert_eq!(state.errors_last_minute, 1);
        assert!(state.latency_ms.is_some());
        assert_eq!(state.in_flight, 0);
        let limits: Vec<usize> = state.history.iter().map(|(_, l)| *l).collect();
        assert_eq!(limits.first(), Some(&2));
        assert_eq!(limits.last(), Some(&state.limit));
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
