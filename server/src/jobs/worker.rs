//! The worker: claims scans and migration requests from the database and runs the engine on them.
//! Runs inside `fountain serve` and alone as `fountain worker`; any number of them may share one
//! PostgreSQL database. A request's heartbeat is its progress row, written every second; when the
//! write finds the request no longer held (paused, cancelled, or taken over after this worker was
//! presumed dead), the copy stops at once and the journal keeps everything it did.
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use app::dto::{
    DestinationName, FailureClass, FolderResult, LeftBehind, MigrationReport, QuarantineId,
    QuarantinedView, Repaired, RequestId, RequestState, ScanId, ServerRole, UserId,
};
use sea_orm::EntityTrait;
use tokio::sync::{watch, Semaphore};
use tokio::task::JoinSet;

use super::attempts;
use super::corrupt;
use super::destinations::Closed;
use super::ending::{Broken, Ending};
use super::failure;
use super::progress::Tracker;
use super::queue::{Queue, QueueError, Request};
use super::scans::{latest_scan, scan_result};
use super::service::Migrations;
use super::timeline::Actor;
use crate::accounts::AccountError;
use crate::config::{MailServer, Profile};
use crate::db::entity::user;
use crate::db::now;
use crate::db::stored::{self, Versioned};
use crate::engine::copy::{
    copy_mailbox, CopyError, CopyJob, DestinationProfile, Report, Transcripts,
};
use crate::engine::imap::ImapError;
use crate::engine::plan::chunks::ChunkLimits;
use crate::engine::plan::select::Pattern;
use crate::notify::{emails, outbox, Mailer};

/// How often an idle worker looks for work.
const POLL: Duration = Duration::from_secs(1);
/// How often retention looks for finished moves to purge.
const PURGE_EVERY: Duration = Duration::from_secs(3600);
/// How often a worker sends the waves' due emails (they need no second; deciding reads every member
/// of every running wave) and asks for the catch-ups due after a switch.
const OUTREACH_EVERY: Duration = Duration::from_secs(5);
/// After the load guard reopens a server, new copies start one a round for this long.
const RAMP_AFTER_GUARD: Duration = Duration::from_secs(10);
/// How often a running request's progress (its heartbeat) is written.
const BEAT: Duration = Duration::from_secs(1);

pub struct Worker {
    pub migrations: Arc<Migrations>,
    pub mailer: Option<Arc<Mailer>>,
    /// Unique per process: `host-pid-random64`.
    pub name: String,
    /// Claims so far: each claim holds its request as `name#n`, so a request paused and resumed
    /// while its old run is still stopping is never worked on twice by this process.
    pub claims: AtomicU64,
    /// Runs as each copy starts. A seam for tests, which make it panic to prove that a copy that
    /// crashes on every run ends as failed with its emails; `None` in the product.
    pub before_copy: Option<BeforeCopy>,
}

/// What [`Worker::before_copy`] runs.
pub type BeforeCopy = Arc<dyn Fn(&Request) + Send + Sync>;

/// A worker name no other process will have.
pub fn worker_name() -> String {
    // Letters, digits and '-' only: the name is matched as a prefix (SQL LIKE) when handing back.
    let host: String = std::fs::read_to_string("/etc/hostname")
        .unwrap_or_else(|_| "host".into())
        .trim()
        .chars()
        .map(|c| if c.is_ascii_alphanumeric() { c } else { '-' })
        .collect();
    format!(
        "{host}-{}-{:016x}",
        std::process::id(),
        rand::random::<u64>()
    )
}

impl Worker {
    /// Works until `shutdown` turns true; then stops its copies and scans (the journal keeps what they
    /// did, as after a crash) and hands their requests back to the queue at once, so another worker
    /// (or this one after a restart) resumes without waiting for the heartbeat to expire.
    pub async fn run(self: Arc<Self>, mut shutdown: watch::Receiver<bool>) {
        let m = &self.migrations;
        tracing::info!(worker = %self.name, concurrent = m.settings.concurrent_requests, "worker started");
        let slots = Arc::new(Semaphore::new(m.settings.concurrent_requests));
        let mut tasks = JoinSet::new();
        let mut last_recovery: Option<Instant> = None;
        let mut last_purge: Option<Instant> = None;
        let (started_at, mut last_beat): (i64, Option<Instant>) = (crate::db::now(), None);
        let mut last_outreach: Option<Instant> = None;
        let mut guarded: Vec<(ServerRole, String)> = Vec::new();
        let mut ramp_until: Option<Instant> = None;
        // Emails go out on their own: a hung SMTP server must not hold up claims or shutdown.
        if let Some(mailer) = self.mailer.clone() {
            let db = m.db.clone();
            tasks.spawn(async move {
                loop {
                    if let Err(e) = mailer.send_due(&db).await {
                        tracing::error!(error = %e, "cannot read the email outbox");
                    }
                    tokio::time::sleep(POLL).await;
                }
            });
        }
        // The connection places this process takes stay its own while it runs.
        tasks.spawn(m.places.clone().keep_renewed());
        // Each server's own health check, on its schedule, into its budget (the load guard).
        for (role, server) in m.settings.servers() {
            if server.health_url.is_none() && server.health_command.is_none() {
                continue;
            }
            let budget = m.throttle.server(&server.endpoint());
            // A health URL on the server's own host is signed by the same CA as its IMAP.
            let http = crate::http::trusting(server.ca_file.as_deref())
                .map_err(|e| e.to_string())
                .and_then(|b| b.build().map_err(|e| e.to_string()))
                .unwrap_or_else(|e| {
                    tracing::error!(server = role.as_str(), error = %e, "the health URL is called trusting the public CAs only");
                    reqwest::Client::new()
                });
            let server = server.clone();
            let every = Duration::from_secs(server.health_every_secs);
            tasks.spawn(async move {
                loop {
                    let trouble = super::health::check(&server, &http).await;
                    if let Some(why) = &trouble {
                        tracing::debug!(server = role.as_str(), "health check: {why}");
                    }
                    budget.report_health(trouble);
                    tokio::time::sleep(every).await;
                }
            });
        }
        while !*shutdown.borrow() {
            while tasks.try_join_next().is_some() {}
            // Alive, for /readyz and /metrics (every portal and worker reads it from the database).
            let beat_every = Duration::from_secs(super::probes::BEAT_EVERY_SECS as u64);
            if last_beat.is_none_or(|t| t.elapsed() >= beat_every) {
                if let Err(e) = super::probes::beat(&m.db, &self.name, started_at).await {
                    tracing::warn!(error = %e, "cannot write this worker's heartbeat");
                }
                last_beat = Some(Instant::now());
            }
            if last_recovery.is_none_or(|t| t.elapsed() >= Duration::from_secs(5)) {
                self.recover().await;
                last_recovery = Some(Instant::now());
            }
            // Retention, hourly (any worker may do it; another then finds nothing left).
            // A task of its own: a long purge holds up neither claims nor heartbeats.
            if last_purge.is_none_or(|t| t.elapsed() >= PURGE_EVERY) {
                last_purge = Some(Instant::now());
                let m = m.clone();
                tasks.spawn(async move {
                    match m.purge_finished(crate::db::now()).await {
                        Ok(p) if p.people == 0 => {}
                        Ok(p) => tracing::info!(
                            people = p.people,
                            journal_messages = p.journal_messages,
                            quarantined = p.quarantined,
                            "retention: finished moves purged"
                        ),
                        Err(e) => {
                            tracing::error!(error = %e, "cannot purge finished moves (retention)")
                        }
                    }
                });
            }
            // IT's latest limits, every round: a paused server gets no new scan or copy.
            let mut closed_by_it = Closed::default();
            let paused = match m.refresh_limits().await {
                Ok(in_force) => {
                    let copies = in_force.old_server_copies(m.settings.parallel_folders);
                    // What a wave tells its people is decided before Fountain takes them a step
                    // further (an IT-run wave's notice goes before their copy is asked for).
                    if last_outreach.is_none_or(|t| t.elapsed() >= OUTREACH_EVERY) {
                        if let Err(e) = super::waves::outreach::send_due(m, now()).await {
                            tracing::error!(error = %e, "cannot send the waves' invitations and reminders");
                        }
                        if let Err(e) = super::cutover::catch_ups::run_due(m, now()).await {
                            tracing::error!(error = %e, "cannot ask for the catch-ups due after the switch");
                        }
                        last_outreach = Some(Instant::now());
                    }
                    if let Err(e) = super::waves::dashboard::sample(m, now()).await {
                        tracing::error!(error = %e, "cannot write down the waves' progress");
                    }
                    if let Err(e) = m.enrol_waves().await {
                        tracing::error!(error = %e, "cannot take the waves' people further (accounts, pre-flight scans)");
                    }
                    if let Err(e) = super::waves::conductor::conduct(&m.db, copies, now()).await {
                        tracing::error!(error = %e, "cannot run the waves' schedule");
                    }
                    closed_by_it = in_force.closed();
                    in_force.claims_paused()
                }
                Err(e) => {
                    tracing::error!(error = %e, "cannot read the servers' limits");
                    false
                }
            };
            // The load guard: a server mail is written to, straining hard, takes no new copy until
            // it recovers (the adaptive limit slows those running); the others' go on.
            let strained = self.strained();
            if guarded
                .iter()
                .any(|(r, _)| !strained.iter().any(|(s, _)| s == r))
            {
                tracing::info!("load guard: a new server recovered; new copies start again");
                ramp_until = Some(Instant::now() + RAMP_AFTER_GUARD);
            }
            for (role, why) in &strained {
                if !guarded.iter().any(|(r, _)| r == role) {
                    tracing::warn!(server = role.as_str(), "load guard: {why}");
                }
            }
            guarded = strained;
            let mut closed = closed_by_it.clone();
            for (role, _) in &guarded {
                match role {
                    ServerRole::New => closed.default = true,
                    ServerRole::Destination(name) => closed.destinations.push(name.clone()),
                    ServerRole::Old => {}
                }
            }
            // Just reopened: one new copy a round for a while, so a server still weak is seen to be
            // before every slot is filled again.
            let mut claims_left = match ramp_until {
                Some(until) if Instant::now() < until => 1,
                _ => usize::MAX,
            };
            if paused {
                tokio::select! {
                    _ = tokio::time::sleep(POLL) => {}
                    _ = shutdown.changed() => {}
                }
                continue;
            }
            let mut busy = false;
            // A scan asks little of the new server, but one straining gets nothing more.
            let scan = match guarded.is_empty() {
                true => m.claim_scan(&self.name).await,
                false => Ok(None),
            };
            match scan {
                Ok(Some((scan, user_id))) => {
                    busy = true;
                    let me = self.clone();
                    tasks.spawn(async move { me.scan_catching_panics(scan, user_id).await });
                }
                Ok(None) => {}
                Err(e) => tracing::error!(error = %e, "cannot look for scans"),
            }
            while claims_left > 0 {
                let Ok(permit) = slots.clone().try_acquire_owned() else {
                    break;
                };
                match self.claim(&closed).await {
                    Ok(Some(request)) => {
                        busy = true;
                        claims_left -= 1;
                        let me = self.clone();
                        tasks.spawn(async move {
                            me.copy_catching_panics(request).await;
                            drop(permit);
                        });
                    }
                    Ok(None) => break,
                    Err(e) => {
                        tracing::error!(error = %e, "cannot look for migration requests");
                        break;
                    }
                }
            }
            if !busy {
                tokio::select! {
                    _ = tokio::time::sleep(POLL) => {}
                    _ = shutdown.changed() => {}
                }
            }
        }
        tasks.abort_all();
        while tasks.join_next().await.is_some() {}
        self.release().await;
        tracing::info!(worker = %self.name, "worker stopped");
    }

    /// The servers mail is written to whose load guard has tripped, with why.
    fn strained(&self) -> Vec<(ServerRole, String)> {
        let m = &self.migrations;
        m.settings
            .servers()
            .into_iter()
            .filter(|(role, _)| *role != ServerRole::Old)
            .filter_map(|(role, server)| {
                let why = m.throttle.server(&server.endpoint()).guard()?;
                Some((role, why.to_string()))
            })
            .collect()
    }

    /// Hands back what this worker held when it stopped.
    async fn release(&self) {
        let m = &self.migrations;
        match (Queue { db: &m.db })
            .release(&format!("{}#", self.name))
            .await
        {
            Ok(0) => {}
            Ok(n) => tracing::info!(requests = n, "requests handed back to the queue"),
            Err(e) => {
                tracing::error!(error = %e, "cannot hand requests back; they resume once the heartbeat expires")
            }
        }
        if let Err(e) = m.release_scans(&self.name).await {
            tracing::error!(error = %e, "cannot hand scans back");
        }
        if let Err(e) = super::probes::stopped(&m.db, &self.name).await {
            tracing::warn!(error = %e, "cannot remove this worker's heartbeat; it ages out");
        }
        // The copies have stopped: their connection places are free for the other processes.
        if let Err(e) = m.places.give_back_all().await {
            tracing::error!(error = %e, "cannot give the connection places back; they come back when their leases run out");
        }
    }

    /// Puts back what dead workers held; a request whose runs keep ending that way stops as failed.
    async fn recover(&self) {
        let m = &self.migrations;
        let stale = m.settings.heartbeat_timeout();
        match (Queue { db: &m.db })
            .recover(stale, m.settings.max_attempts)
            .await
        {
            Ok(recovered) => {
                if recovered.requeued > 0 {
                    tracing::warn!(
                        requests = recovered.requeued,
                        "requests of a worker that stopped answering are queued again"
                    );
                }
                for request in recovered.give_up {
                    let reference = crate::telemetry::reference();
                    tracing::error!(
                        request = %request.id,
                        reference = %reference,
                        runs = m.settings.max_attempts,
                        last_error = request.last_error.as_deref().unwrap_or("none"),
                        "every run of this request stopped answering: it stops as failed"
                    );
                    self.give_up(&request, &reference).await;
                }
            }
            Err(e) => tracing::error!(error = %e, "cannot recover requests"),
        }
        let keep = i64::from(m.settings.forget_password_after_days) * 86_400;
        match m.accounts.forget_stale_passwords(keep).await {
            Ok(0) => {}
            Ok(n) => tracing::info!(
                passwords = n,
                "old passwords not needed for a while are forgotten"
            ),
            Err(e) => tracing::error!(error = %e, "cannot forget stale old passwords"),
        }
        match m.recover_scans(stale).await {
            Ok(0) => {}
            Ok(n) => tracing::warn!(
                scans = n,
                "scans of a worker that stopped answering are queued again"
            ),
            Err(e) => tracing::error!(error = %e, "cannot recover scans"),
        }
    }

    /// Ends a request whose runs keep crashing as failed, with its emails.
    async fn give_up(&self, request: &Request, reference: &str) {
        let m = &self.migrations;
        let Ok(Some(person)) = user::Entity::find_by_id(request.user_id.get())
            .one(&m.db)
            .await
        else {
            tracing::error!(request = %request.id, "the request's person is unknown");
            return;
        };
        let broken = Broken {
            message: attempts::gave_up_message(i64::from(m.settings.max_attempts), reference),
            forget_password: false,
            class: FailureClass::Internal,
        };
        self.finish(request, &person, Err(broken)).await;
    }

    /// [`copy`](Self::copy), with a panic caught: the run counts as crashed, and the request goes back
    /// in the queue or, at `migration.max_attempts`, stops as failed. Never claimed again forever.
    async fn copy_catching_panics(&self, request: Request) {
        use futures_util::FutureExt;
        let run = std::panic::AssertUnwindSafe(self.copy(request.clone())).catch_unwind();
        let Err(panic) = run.await else {
            return;
        };
        let reference = crate::telemetry::reference();
        tracing::error!(
            request = %request.id,
            reference = %reference,
            panic = %attempts::panic_text(panic.as_ref()),
            "the copy crashed"
        );
        match attempts::after_crash(request.crashed_runs, self.migrations.settings.max_attempts) {
            attempts::AfterCrash::GiveUp => self.give_up(&request, &reference).await,
            attempts::AfterCrash::Retry => {
                let queue = Queue {
                    db: &self.migrations.db,
                };
                if let Err(e) = queue.requeue_crashed(request.id, holder(&request)).await {
                    tracing::error!(request = %request.id, error = %e, "cannot queue the crashed request again; it is recovered once its heartbeat expires");
                }
            }
        }
    }

    /// [`scan`](Self::scan), with a panic caught and recorded as the scan's failure.
    async fn scan_catching_panics(&self, id: ScanId, user_id: UserId) {
        use futures_util::FutureExt;
        let run = std::panic::AssertUnwindSafe(self.scan(id, user_id)).catch_unwind();
        if let Err(panic) = run.await {
            let reference = crate::telemetry::reference();
            tracing::error!(scan = %id, reference = %reference, panic = %attempts::panic_text(panic.as_ref()), "the scan crashed");
            let message = format!(
                "The scan stopped on an internal problem (reference {reference}). Scan again; if it \
                 happens again, tell the helpdesk the reference."
            );
            if let Err(e) = self.migrations.finish_scan(id, Err(message)).await {
                tracing::error!(scan = %id, error = %e, "cannot record the scan");
            }
        }
    }

    /// Claims the oldest queued request; a first claim writes the "started" email in the same
    /// transaction.
    async fn claim(&self, closed: &Closed) -> Result<Option<Request>, QueueError> {
        let m = &self.migrations;
        let holder = format!(
            "{}#{}",
            self.name,
            self.claims.fetch_add(1, Ordering::Relaxed)
        );
        let txn = crate::db::begin(&m.db).await?;
        let Some(request) = (Queue { db: &txn }).claim_open(&holder, closed).await? else {
            txn.commit().await?;
            return Ok(None);
        };
        if request.attempts == 1 {
            if let Some(person) = user::Entity::find_by_id(request.user_id.get())
                .one(&txn)
                .await?
            {
                let scan = latest_scan(&txn, request.user_id)
                    .await?
                    .and_then(|s| s.result);
                match emails::started(
                    &self.migrations.templates,
                    &person.display_name,
                    &request.folders,
                    scan.as_ref(),
                    &self.migrations.portal_url(),
                ) {
                    Ok(email) => outbox::enqueue(&txn, to_person(&request, &person), email).await?,
                    Err(e) => tracing::error!(error = %e, "the started email's template is broken"),
                }
            }
        }
        txn.commit().await?;
        tracing::info!(request = %request.id, worker = %holder, "request claimed");
        Ok(Some(request))
    }

    /// The person's side on the server `to` names (`None`: the default new server), with its
    /// settings.
    async fn destination(
        &self,
        email: &str,
        to: Option<&DestinationName>,
    ) -> Result<(crate::engine::copy::Side, &MailServer), AccountError> {
        let m = &self.migrations;
        let server = m
            .settings
            .destination(to)
            .map_err(|name| AccountError::NoDestination(name.clone()))?;
        Ok((m.accounts.new_side(email, to).await?, server))
    }

    fn job(
        &self,
        source: crate::engine::copy::Side,
        (destination, server): (crate::engine::copy::Side, &MailServer),
        dry_run: bool,
        include: Vec<Pattern>,
    ) -> CopyJob {
        let settings = &self.migrations.settings;
        CopyJob {
            source,
            destination,
            include,
            exclude: Vec::new(),
            limits: ChunkLimits {
                max_bytes: 16 << 20,
                max_messages: 1000,
            },
            dry_run,
            // A scan is quick to ask for again; a copy rides out a server's bad minute.
            retries: if dry_run {
                1
            } else {
                settings.reconnects_per_run
            },
            backoff: Duration::from_secs(2),
            parallel: if dry_run {
                1
            } else {
                settings.parallel_folders
            },
            dest_profile: match server.profile {
                Profile::Generic => DestinationProfile::Generic,
                Profile::Zimbra => DestinationProfile::ZimbraLike,
            },
            throttle: self.migrations.throttle.clone(),
            max_message_bytes: server.max_message_bytes(),
            quarantine: settings.quarantine_limits(),
            spool_dir: settings.spool_dir(),
            transcripts: Transcripts::counting(),
        }
    }

    #[tracing::instrument(name = "scan", skip(self), fields(scan = %id, user = %user_id))]
    async fn scan(&self, id: ScanId, user_id: UserId) {
        let m = &self.migrations;
        let outcome = async {
            let person = user::Entity::find_by_id(user_id.get())
                .one(&m.db)
                .await
                .map_err(|e| e.to_string())?
                .ok_or("the person is unknown")?;
            let source = m.accounts.old_side(m.accounts.old_credentials(user_id).await.map_err(|e| e.to_string())?);
            // Compared with where the person's mail would go now.
            let to = super::destinations::of_person(&m.db, &person.email).await.map_err(|e| e.to_string())?;
            let destination = self.destination(&person.email, to.as_ref()).await.map_err(|e| e.to_string())?;
            let job = self.job(source, destination, true, Vec::new());
            let scan = copy_mailbox(&m.db, &job, &|_| {});
            tokio::pin!(scan);
            let mut beat = tokio::time::interval(BEAT * 5);
            let report = loop {
                tokio::select! {
                    report = &mut scan => break report.map_err(|e| e.to_string())?,
                    _ = beat.tick() => {
                        if let Err(e) = m.heartbeat_scan(id, &self.name).await {
                            tracing::warn!(scan = %id, error = %e, "cannot record the scan's heartbeat");
                        }
                    }
                }
            };
            Ok::<_, String>(scan_result(&report))
        }
        .await;
        if let Err(e) = &outcome {
            tracing::warn!(scan = %id, error = %e, "scan failed");
        }
        if let Err(e) = m.finish_scan(id, outcome).await {
            tracing::error!(scan = %id, error = %e, "cannot record the scan");
        }
    }

    /// Runs one claimed request to its end (or until it is no longer ours).
    #[tracing::instrument(name = "copy", skip_all, fields(request = %request.id, user = %request.user_id))]
    async fn copy(&self, request: Request) {
        if let Some(hook) = &self.before_copy {
            hook(&request);
        }
        let m = &self.migrations;
        let Ok(Some(person)) = user::Entity::find_by_id(request.user_id.get())
            .one(&m.db)
            .await
        else {
            tracing::error!("the request's person is unknown");
            return;
        };
        let to = request.destination.as_ref();
        let sides = async {
            let credentials = m.accounts.old_credentials(request.user_id).await?;
            Ok::<_, AccountError>((
                m.accounts.old_side(credentials),
                self.destination(&person.email, to).await?,
            ))
        }
        .await;
        let (source, destination) = match sides {
            Ok(sides) => sides,
            Err(e) => {
                let broken = Broken::from_account(e, request.id);
                self.finish(&request, &person, Err(broken)).await;
                return;
            }
        };
        // Nothing chosen would mean "every folder" to the engine, trash included: never that.
        if request.folders.is_empty() {
            let broken = Broken {
                message: "No folders were chosen for this migration; cancel it and start again."
                    .into(),
                forget_password: false,
                class: FailureClass::Internal,
            };
            self.finish(&request, &person, Err(broken)).await;
            return;
        }
        let old_server = source.endpoint.to_string();
        let include = request.folders.iter().map(|f| Pattern::exact(f)).collect();
        let job = self.job(source, destination, false, include);
        let result = self.copy_with_heartbeat(&request, &job).await;
        match result {
            None => tracing::info!("request paused, cancelled or taken over: stopped"),
            Some(Ok(report)) => {
                self.finish(&request, &person, Ok(report)).await;
                self.read_after_copy(&request, &person, &job).await;
            }
            Some(Err(e)) => {
                let broken = Broken::from_copy(e, request.id, &old_server, m.asks_password());
                self.finish(&request, &person, Err(broken)).await
            }
        }
    }

    /// Once a copy is done: what arrived on the old server since the person's switch, and their old
    /// addresses ([`cutover::reads`](super::cutover::reads)). The copy stands whatever this finds.
    async fn read_after_copy(&self, request: &Request, person: &user::Model, job: &CopyJob) {
        let Ok(email) = app::dto::EmailAddress::parse(&person.email) else {
            return;
        };
        let read = super::cutover::reads::after_copy(
            &self.migrations,
            &email,
            &job.source,
            &request.folders,
            job.transcripts.source.clone(),
            now(),
        );
        if let Err(e) = read.await {
            tracing::warn!(error = %e, "cannot read the old mailbox's new mail and addresses after the copy");
        }
    }

    /// Runs the engine on `job` while writing the request's progress every second, which is also its
    /// heartbeat; `None` when the write finds the request no longer ours (the copy stops at once).
    async fn copy_with_heartbeat(
        &self,
        request: &Request,
        job: &CopyJob,
    ) -> Option<Result<Report, CopyError>> {
        let queue = Queue {
            db: &self.migrations.db,
        };
        let tracker = Mutex::new(Tracker::default());
        let started = Instant::now();
        let on_progress = |p: &crate::engine::copy::Progress<'_>| {
            tracker
                .lock()
                .expect("progress lock")
                .record(p, started.elapsed());
        };
        let progress_json = || {
            let snapshot = tracker
                .lock()
                .expect("progress lock")
                .snapshot(started.elapsed(), now());
            Versioned::json(stored::Progress::from(&snapshot))
        };
        let protocol_json = || {
            Versioned::json(stored::Protocol {
                updated_at: now(),
                source: job.transcripts.source.summary().into(),
                destination: job.transcripts.destination.summary().into(),
            })
        };
        let copy = copy_mailbox(&self.migrations.db, job, &on_progress);
        tokio::pin!(copy);
        let mut beat = tokio::time::interval(BEAT);
        let result = loop {
            tokio::select! {
                result = &mut copy => break Some(result),
                _ = beat.tick() => {
                    let (progress, protocol) = (progress_json(), protocol_json());
                    match queue.record_progress(request.id, holder(request), &progress, &protocol).await {
                        Ok(true) => {}
                        Ok(false) => break None,
                        // The database hiccupped: keep copying; if it stays away, the heartbeat expires
                        // and another worker resumes from the journal.
                        Err(e) => tracing::warn!(error = %e, "cannot record progress"),
                    }
                }
            }
        };
        if result.is_some() {
            // The last chunks' progress, so the page ends at 100 %.
            let _ = queue
                .record_progress(
                    request.id,
                    holder(request),
                    &progress_json(),
                    &protocol_json(),
                )
                .await;
        }
        result
    }

    /// Records how the run ended, with its emails, in one transaction: what [`Ending::decide`] says.
    #[tracing::instrument(skip_all, fields(request = %request.id, user = %request.user_id))]
    async fn finish(
        &self,
        request: &Request,
        person: &user::Model,
        result: Result<Report, Broken>,
    ) {
        let (ending, view) = match &result {
            Ok(report) => {
                let view = self
                    .report_view(report, person, request.destination.as_ref())
                    .await;
                (
                    Ending::decide(Ok((report, &view)), &request.folders),
                    Some(view),
                )
            }
            Err(broken) => (Ending::decide(Err(broken), &request.folders), None),
        };
        match self
            .apply_ending(request, person, view.as_ref(), &ending)
            .await
        {
            Ok(()) => tracing::info!(ok = result.is_ok(), "request finished"),
            // Paused or cancelled in the last instant: the journal has everything; nothing to record.
            Err(QueueError::Changed { now, .. }) => {
                tracing::info!(state = %now, "request changed while finishing")
            }
            Err(e) => tracing::error!(error = %e, "cannot record the end of a request"),
        }
    }

    /// The report, the state change, the forgotten password and the emails of `ending`, together.
    async fn apply_ending(
        &self,
        request: &Request,
        person: &user::Model,
        view: Option<&MigrationReport>,
        ending: &Ending,
    ) -> Result<(), QueueError> {
        let m = &self.migrations;
        let portal = m.portal_url();
        let txn = crate::db::begin(&m.db).await?;
        let queue = Queue { db: &txn };
        if let Some(view) = view {
            let json = Versioned::json(stored::Report::from(view));
            queue.record_report(request.id, &json).await?;
        }
        queue
            .apply(
                request.id,
                ending.event(),
                Actor::Worker(holder(request)),
                ending.problem(),
            )
            .await?;
        queue
            .record_failure_class(request.id, ending.class())
            .await?;
        let switch = super::cutover::store::of(&txn, &person.email).await?;
        // A typed old password stays (sealed) while catch-ups are still to come: they need it.
        let catch_ups_ahead = switch
            .as_ref()
            .is_some_and(|c| c.next_catch_up_at.is_some());
        if ending.forgets_password() && !catch_ups_ahead {
            m.accounts
                .purge_old_password(&txn, UserId(person.id))
                .await?;
        }
        // Fountain's own catch-ups after the switch tell only what is new: what the run before said
        // is the last error if it ended needing attention.
        let caught_up_from = super::timeline::caught_up_from(&txn, request.id).await?;
        let earlier = match caught_up_from {
            Some(RequestState::NeedsAttention) => request.last_error.as_deref(),
            _ => None,
        };
        if !super::ending::tells(ending, caught_up_from.is_some(), earlier) {
            txn.commit().await?;
            return Ok(());
        }
        let email = match (ending.problem(), view) {
            (None, Some(view)) => emails::done(&m.templates, &person.display_name, view, &portal),
            (problem, _) => emails::needs_attention(
                &m.templates,
                &person.display_name,
                problem.unwrap_or_default(),
                &portal,
            ),
        };
        match email {
            Ok(email) => outbox::enqueue(&txn, to_person(request, person), email).await?,
            Err(e) => tracing::error!(error = %e, "a status email's template is broken"),
        }
        // The person's email says IT has been told: this is the telling.
        let told = (ending.problem(), ending.class(), &m.settings.helpdesk_email);
        if let (Some(problem), Some(class), Some(helpdesk)) = told {
            let notice = emails::HelpdeskNotice {
                person: &person.display_name,
                email: &person.email,
                request_id: request.id.get(),
                problem,
                class,
                helpdesk_url: &m.request_page_url(request.id),
            };
            match emails::to_helpdesk(&m.templates, &notice) {
                Ok(email) => {
                    let about = outbox::About {
                        user_id: None,
                        request_id: Some(request.id),
                        recipient: helpdesk,
                    };
                    outbox::enqueue(&txn, about, email).await?
                }
                Err(e) => tracing::error!(error = %e, "the helpdesk email's template is broken"),
            }
        }
        txn.commit().await?;
        Ok(())
    }

    async fn report_view(
        &self,
        report: &Report,
        person: &user::Model,
        destination: Option<&DestinationName>,
    ) -> MigrationReport {
        let instructions = self
            .migrations
            .client_instructions(&person.email, destination)
            .unwrap_or_else(|e| {
                format!("(the instructions template is broken: {e}; ask the helpdesk)")
            });
        let decided = report
            .folders
            .iter()
            .flat_map(|f| f.left_behind.iter().chain(&f.repaired))
            .map(|d| d.quarantine_id)
            .collect::<Vec<i64>>();
        // Without the headers the report still says how many; the person's page has the rest.
        let notes = corrupt::annotations(&self.migrations.db, decided)
            .await
            .unwrap_or_else(|e| {
                tracing::warn!(error = %e, "cannot read the quarantine for the report");
                Default::default()
            });
        report_view(report, instructions, &notes)
    }
}

impl Broken {
    fn from_account(e: AccountError, request_id: RequestId) -> Broken {
        let forget_password = matches!(e, AccountError::Unreadable(_));
        let class = failure::of_account(&e);
        let message = match &e {
            // Internals (file paths, database errors) stay in the log, under a reference.
            AccountError::Setup(_) | AccountError::Db(_) | AccountError::Unreadable(_) => {
                internal_problem(request_id, &e)
            }
            _ => e.to_string(),
        };
        Broken {
            message,
            forget_password,
            class,
        }
    }

    fn from_copy(
        e: CopyError,
        request_id: RequestId,
        old_server: &str,
        asks_password: bool,
    ) -> Broken {
        let class = failure::of_copy(&e, old_server);
        match e {
            CopyError::Imap(ImapError::Auth { endpoint, .. })
                if asks_password && endpoint == old_server =>
            {
                Broken {
                    message: "The old mail server no longer accepts the password Fountain was given \
                              (was it changed?). Connect your old mailbox again, then press Try again: \
                              the copy resumes where it stopped."
                        .into(),
                    forget_password: true,
                    class,
                }
            }
            CopyError::Journal(e) => Broken {
                message: internal_problem(request_id, &e),
                forget_password: false,
                class,
            },
            other => Broken {
                message: other.to_string(),
                forget_password: false,
                class,
            },
        }
    }
}

/// What people read about a failure inside Fountain: the details are logged under a reference.
fn internal_problem(request_id: RequestId, e: &dyn std::fmt::Display) -> String {
    let reference = crate::telemetry::reference();
    tracing::error!(request = %request_id, reference = %reference, error = %e, "internal problem");
    format!(
        "Fountain stopped on an internal problem (reference {reference}). Nothing copied so far is \
         lost. The helpdesk has been told; once they have looked, Try again resumes where it stopped."
    )
}

/// Who holds a claimed request (set by the claim).
/// An email to the request's owner, about it.
fn to_person<'a>(request: &Request, person: &'a user::Model) -> outbox::About<'a> {
    outbox::About {
        user_id: Some(UserId(person.id)),
        request_id: Some(request.id),
        recipient: &person.email,
    }
}

fn holder(request: &Request) -> &str {
    request.worker.as_deref().unwrap_or_default()
}

/// The engine's report as pages and emails show it; `notes` are the headers and IT's reasons of the
/// messages left behind or repaired, by quarantine row.
pub fn report_view(
    report: &Report,
    instructions: String,
    notes: &std::collections::BTreeMap<i64, (corrupt::summary::Summary, String)>,
) -> MigrationReport {
    let note =
        |d: &crate::engine::copy::Decided| notes.get(&d.quarantine_id).cloned().unwrap_or_default();
    MigrationReport {
        folders: report
            .folders
            .iter()
            .map(|f| FolderResult {
                source: f.source.clone(),
                destination: f.destination.clone(),
                source_messages: f.source_messages,
                source_bytes: f.source_bytes,
                destination_messages: f.destination_messages.map(u64::from),
                destination_bytes: f.destination_bytes,
                copied: f.copied_before + f.copied_now,
                quarantined: f
                    .quarantined
                    .iter()
                    .map(|q| QuarantinedView {
                        uid: q.uid,
                        reason: q.reason.clone(),
                        kept_whole: q.kept_whole,
                    })
                    .collect(),
                left_behind: f
                    .left_behind
                    .iter()
                    .map(|d| {
                        let (summary, reason) = note(d);
                        LeftBehind {
                            id: QuarantineId(d.quarantine_id),
                            uid: d.uid,
                            date: summary.date,
                            from: summary.from,
                            subject: summary.subject,
                            reason,
                        }
                    })
                    .collect(),
                repaired: f
                    .repaired
                    .iter()
                    .map(|d| Repaired {
                        uid: d.uid,
                        subject: note(d).0.subject,
                        repairs: corrupt::to_dto(&d.repairs),
                    })
                    .collect(),
                notes: f.notes.clone(),
            })
            .collect(),
        instructions,
    }
}
