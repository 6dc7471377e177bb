//! The ports the body (`server`) implements for the face. Server functions reach the database and
//! the engine only through these, injected as Leptos context per request.
use std::sync::Arc;

use actix_web::HttpMessage;
use leptos::prelude::*;

use crate::dto::{
    AddressDecision, BulkOutcome, CorruptQueue, CutoverBoard, DecisionKind, DecisionOutcome,
    DestinationBoard, DestinationName, DestinationOutcome, EmailAddress, EmailKind, EmailPreview,
    MigrationView, Person, PersonAddresses, QuarantineId, QueueDecision, QueueDecisionOutcome,
    Reason, Repair, RepairPreview, RequestAction, RequestDetail, RequestId, Role, ServerLimits,
    ServerRole, ServerStatus, StaffEmail, SwitchOutcome, SwitchTarget, TemplateFile, Triage,
    TriageQuery, TriageSelection, Viewer, WaveCommand, WaveDashboard, WaveMessages, WaveName,
    WavePlan, WaveSettings, WaveState, WaveSummary,
};
use crate::error::AppError;

/// Everything server functions need from the body.
#[async_trait::async_trait]
pub trait Portal: Send + Sync + 'static {
    /// People who have signed in, newest first, whose name or email contains `filter`.
    async fn people(&self, filter: &str, limit: u64) -> Result<Vec<Person>, AppError>;

    /// A page of the helpdesk's triage queue (requests stuck, failed, needing attention or waiting
    /// for the person), narrowed and ordered as `query` says, with counts of the whole queue.
    async fn triage(&self, query: TriageQuery) -> Result<Triage, AppError>;

    /// Presses `action` for every request of the triage queue `selection` holds, each recorded with
    /// who and why; refused when the selection no longer holds `expected` requests.
    async fn act_on_selection(
        &self,
        staff: &Viewer,
        selection: TriageSelection,
        action: RequestAction,
        reason: Reason,
        expected: u64,
    ) -> Result<BulkOutcome, AppError>;

    /// One request for the helpdesk: the person, progress, report and timeline.
    async fn request_detail(&self, id: RequestId) -> Result<RequestDetail, AppError>;

    /// Presses one of the person's buttons for them (same state machine), recorded with who and why.
    async fn act_for_person(
        &self,
        staff: &Viewer,
        id: RequestId,
        action: RequestAction,
        reason: Reason,
    ) -> Result<RequestDetail, AppError>;

    /// Adds a note to the request's timeline.
    async fn add_note(
        &self,
        staff: &Viewer,
        id: RequestId,
        text: Reason,
    ) -> Result<RequestDetail, AppError>;

    /// Emails the request's owner (ask to reconnect, or the last email again), recorded with why.
    async fn email_person(
        &self,
        staff: &Viewer,
        id: RequestId,
        which: StaffEmail,
        reason: Reason,
    ) -> Result<RequestDetail, AppError>;

    /// A page of the requests with quarantined messages, most waiting first (division IT).
    async fn corrupt_mailboxes(&self, page: u32) -> Result<CorruptQueue, AppError>;

    /// Decides for every waiting message of the queue that `decision` takes (the queue must hold
    /// `expected` waiting messages, as the confirmation said), with why.
    async fn decide_for_queue(
        &self,
        staff: &Viewer,
        decision: QueueDecision,
        expected: u64,
        reason: Reason,
    ) -> Result<QueueDecisionOutcome, AppError>;

    /// What the repairs (every one it needs, when none are asked) would change in the message.
    async fn repair_preview(
        &self,
        request: RequestId,
        id: QuarantineId,
        repairs: Vec<Repair>,
    ) -> Result<RepairPreview, AppError>;

    /// Records IT's decision for quarantined messages, with why; the request runs again once none
    /// waits.
    async fn decide_quarantined(
        &self,
        staff: &Viewer,
        request: RequestId,
        ids: Vec<QuarantineId>,
        decision: DecisionKind,
        repairs: Vec<Repair>,
        reason: Reason,
    ) -> Result<DecisionOutcome, AppError>;

    /// Every wave with its counts, newest first (division IT).
    async fn waves(&self) -> Result<Vec<WaveSummary>, AppError>;

    /// A wave's plan before it starts: largest first, with p50 and p90 finishes (division IT).
    async fn wave_plan(&self, name: WaveName) -> Result<WavePlan, AppError>;

    /// Where a running wave stands: people by state, bytes, throughput, the finish at p50 and p90
    /// (division IT).
    async fn wave_dashboard(&self, name: WaveName) -> Result<WaveDashboard, AppError>;

    /// What a wave tells its people and when, a dry run (division IT).
    async fn wave_messages(&self, name: WaveName) -> Result<WaveMessages, AppError>;

    /// Changes a wave's concurrency, mode and window (division IT).
    async fn change_wave(
        &self,
        staff: &Viewer,
        name: WaveName,
        settings: WaveSettings,
    ) -> Result<(), AppError>;

    /// Starts, pauses or resumes a wave (division IT); its new state.
    async fn drive_wave(
        &self,
        staff: &Viewer,
        name: WaveName,
        command: WaveCommand,
    ) -> Result<WaveState, AppError>;

    /// Everyone whose delivery moved: catch-ups, mail still reaching the old server, who is quiet.
    async fn cutover_board(&self) -> Result<CutoverBoard, AppError>;

    /// Marks delivery moved to the new server, now, for a wave or for people (catch-ups follow).
    async fn switch_delivery(
        &self,
        staff: &Viewer,
        target: SwitchTarget,
    ) -> Result<SwitchOutcome, AppError>;

    /// The destinations configured besides the default, and who goes to each.
    async fn destination_board(&self) -> Result<DestinationBoard, AppError>;

    /// Sends a wave or people to a destination (`None`: the default new server).
    async fn set_destination(
        &self,
        staff: &Viewer,
        target: SwitchTarget,
        to: Option<DestinationName>,
    ) -> Result<DestinationOutcome, AppError>;

    /// Everyone's old addresses found in their mail, people with a conflict first.
    async fn old_addresses(&self) -> Result<Vec<PersonAddresses>, AppError>;

    /// The viewer's own old addresses.
    async fn my_old_addresses(&self, viewer: &Viewer) -> Result<PersonAddresses, AppError>;

    /// The viewer says whether `address` is theirs.
    async fn decide_old_address(
        &self,
        viewer: &Viewer,
        address: EmailAddress,
        decision: AddressDecision,
    ) -> Result<PersonAddresses, AppError>;

    /// The old and new servers: as configured, the limits in force and how each is doing now.
    async fn server_statuses(&self) -> Result<Vec<ServerStatus>, AppError>;

    /// Changes a server's limits while Fountain runs, recorded with who and why.
    async fn change_server_limits(
        &self,
        staff: &Viewer,
        role: ServerRole,
        limits: ServerLimits,
        reason: Reason,
    ) -> Result<Vec<ServerStatus>, AppError>;

    /// Every email and instructions template, as loaded (division IT).
    async fn email_templates(&self) -> Result<Vec<TemplateFile>, AppError>;

    /// An email as `person` (an address; empty: the viewer) would receive it.
    async fn preview_email(
        &self,
        viewer: &Viewer,
        kind: EmailKind,
        person: String,
    ) -> Result<EmailPreview, AppError>;

    /// The preview, sent to the viewer marked as a test.
    async fn send_test_email(
        &self,
        viewer: &Viewer,
        kind: EmailKind,
        person: String,
    ) -> Result<EmailPreview, AppError>;

    /// The viewer's own migration: account, scan, request, progress, report.
    async fn my_migration(&self, viewer: &Viewer) -> Result<MigrationView, AppError>;

    /// Checks the old-server login at once (a real IMAP login) and keeps it; nothing is kept if it fails.
    async fn connect_old_account(
        &self,
        viewer: &Viewer,
        login: String,
        password: Option<crate::dto::Password>,
    ) -> Result<MigrationView, AppError>;

    /// Queues a scan of the viewer's old mailbox (or returns the one already running).
    async fn start_scan(&self, viewer: &Viewer) -> Result<MigrationView, AppError>;

    /// Queues the migration of the chosen folders; a second submit returns the same request.
    async fn start_migration(
        &self,
        viewer: &Viewer,
        folders: Vec<String>,
    ) -> Result<MigrationView, AppError>;

    /// Pauses, resumes, cancels, retries or catches up one request; only its owner may.
    async fn control_request(
        &self,
        viewer: &Viewer,
        request_id: RequestId,
        action: RequestAction,
    ) -> Result<MigrationView, AppError>;
}

/// Shared handle placed in context.
pub type PortalHandle = Arc<dyn Portal>;

pub fn portal() -> Result<PortalHandle, AppError> {
    use_context::<PortalHandle>().ok_or_else(|| AppError::Internal {
        reference: "portal-not-wired".into(),
    })
}

/// The signed-in person of this request: the body's session middleware puts it in the request's extensions.
pub fn viewer() -> Option<Viewer> {
    let req = use_context::<leptos_actix::Request>()?;
    let viewer = req.extensions().get::<Viewer>().cloned();
    viewer
}

/// The caller, if they hold one of `roles`; otherwise the error (with its HTTP status set).
pub fn require_any(roles: &[Role]) -> Result<Viewer, AppError> {
    let outcome = match viewer() {
        None => Err(AppError::Unauthenticated),
        Some(v) if roles.iter().any(|r| v.has(*r)) => Ok(v),
        Some(_) => Err(AppError::Forbidden(format!(
            "This needs the {} role, which your account does not have. Ask your IT team if you think it should.",
            Role::any_of(roles)
        ))),
    };
    if let Err(e) = &outcome {
        set_status(e.status());
    }
    outcome
}

/// Sets the HTTP status of the current response (server function or page).
pub fn set_status(code: u16) {
    if let (Some(res), Ok(status)) = (
        use_context::<leptos_actix::ResponseOptions>(),
        actix_web::http::StatusCode::from_u16(code),
    ) {
        res.set_status(status);
    }
}

/// Passes `outcome` on, setting the response's HTTP status from its error.
pub fn status_of<T>(outcome: Result<T, AppError>) -> Result<T, AppError> {
    if let Err(e) = &outcome {
        set_status(e.status());
    }
    outcome
}
