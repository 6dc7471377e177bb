//! The body's implementation of the face's `Portal` port.
use std::sync::Arc;

use app::dto::{
    AddressDecision, BulkOutcome, CorruptQueue, CutoverBoard, DecisionKind, DecisionOutcome,
    DestinationBoard, DestinationName, DestinationOutcome, EmailAddress, EmailKind, EmailPreview,
    MigrationView, Person, PersonAddresses, QuarantineId, QueueDecision, QueueDecisionOutcome,
    Reason, Repair, RepairPreview, RequestAction, RequestDetail, RequestId, ServerLimits,
    ServerRole, ServerStatus, StaffEmail, SwitchOutcome, SwitchTarget, TemplateFile, Triage,
    TriageQuery, TriageSelection, Viewer, WaveCommand, WaveDashboard, WaveMessages, WaveName,
    WavePlan, WaveSettings, WaveState, WaveSummary,
};
use app::error::AppError;
use sea_orm::DatabaseConnection;

use super::{corrupt, cutover, destinations, helpdesk, it, self_service, servers, waves};
use crate::jobs::Migrations;

pub struct DbPortal {
    pub db: DatabaseConnection,
    /// `None` until IT configures `[migration]`.
    pub migrations: Option<Arc<Migrations>>,
}

#[async_trait::async_trait]
impl app::port::Portal for DbPortal {
    async fn people(&self, filter: &str, limit: u64) -> Result<Vec<Person>, AppError> {
        crate::db::people::search(&self.db, filter, limit)
            .await
            .map_err(internal)
    }

    async fn triage(&self, query: TriageQuery) -> Result<Triage, AppError> {
        let everything = match self.migrations.as_deref() {
            Some(m) => m.triage().await.map_err(internal)?,
            None => crate::jobs::triage::Everything {
                rows: Vec::new(),
                moving: false,
            },
        };
        let per_page = crate::jobs::triage::PER_PAGE;
        let mut triage = crate::jobs::triage::page(everything, &query, per_page);
        triage.undelivered = crate::notify::outbox::given_up(&self.db, app::dto::UNDELIVERED_SHOWN)
            .await
            .map_err(internal)?;
        Ok(triage)
    }

    async fn act_on_selection(
        &self,
        staff: &Viewer,
        selection: TriageSelection,
        action: RequestAction,
        reason: Reason,
        expected: u64,
    ) -> Result<BulkOutcome, AppError> {
        let m = self.migrations.as_deref();
        helpdesk::bulk(m, staff, selection, action, &reason, expected).await
    }

    async fn request_detail(&self, id: RequestId) -> Result<RequestDetail, AppError> {
        helpdesk::detail(self.migrations.as_deref(), id).await
    }

    async fn act_for_person(
        &self,
        staff: &Viewer,
        id: RequestId,
        action: RequestAction,
        reason: Reason,
    ) -> Result<RequestDetail, AppError> {
        helpdesk::act(self.migrations.as_deref(), staff, id, action, &reason).await
    }

    async fn add_note(
        &self,
        staff: &Viewer,
        id: RequestId,
        text: Reason,
    ) -> Result<RequestDetail, AppError> {
        helpdesk::note(self.migrations.as_deref(), staff, id, &text).await
    }

    async fn email_person(
        &self,
        staff: &Viewer,
        id: RequestId,
        which: StaffEmail,
        reason: Reason,
    ) -> Result<RequestDetail, AppError> {
        helpdesk::email(self.migrations.as_deref(), staff, id, which, &reason).await
    }

    async fn corrupt_mailboxes(&self, page: u32) -> Result<CorruptQueue, AppError> {
        corrupt::queue(self.migrations.as_deref(), page).await
    }

    async fn decide_for_queue(
        &self,
        staff: &Viewer,
        decision: QueueDecision,
        expected: u64,
        reason: Reason,
    ) -> Result<QueueDecisionOutcome, AppError> {
        let m = self.migrations.as_deref();
        corrupt::decide_for_queue(m, staff, decision, expected, &reason).await
    }

    async fn repair_preview(
        &self,
        request: RequestId,
        id: QuarantineId,
        repairs: Vec<Repair>,
    ) -> Result<RepairPreview, AppError> {
        corrupt::preview(self.migrations.as_deref(), request, id, &repairs).await
    }

    async fn decide_quarantined(
        &self,
        staff: &Viewer,
        request: RequestId,
        ids: Vec<QuarantineId>,
        decision: DecisionKind,
        repairs: Vec<Repair>,
        reason: Reason,
    ) -> Result<DecisionOutcome, AppError> {
        let m = self.migrations.as_deref();
        corrupt::decide(m, staff, request, &ids, decision, &repairs, &reason).await
    }

    async fn waves(&self) -> Result<Vec<WaveSummary>, AppError> {
        waves::list(&self.db).await
    }

    async fn wave_plan(&self, name: WaveName) -> Result<WavePlan, AppError> {
        waves::plan(self.migrations.as_deref(), &name).await
    }

    async fn wave_dashboard(&self, name: WaveName) -> Result<WaveDashboard, AppError> {
        waves::dashboard(self.migrations.as_deref(), &name).await
    }

    async fn wave_messages(&self, name: WaveName) -> Result<WaveMessages, AppError> {
        waves::messages(self.migrations.as_deref(), &name).await
    }

    async fn change_wave(
        &self,
        staff: &Viewer,
        name: WaveName,
        settings: WaveSettings,
    ) -> Result<(), AppError> {
        waves::change(self.migrations.as_deref(), staff, &name, settings).await
    }

    async fn drive_wave(
        &self,
        staff: &Viewer,
        name: WaveName,
        command: WaveCommand,
    ) -> Result<WaveState, AppError> {
        waves::drive(self.migrations.as_deref(), staff, &name, command).await
    }

    async fn cutover_board(&self) -> Result<CutoverBoard, AppError> {
        cutover::cutover_board(self.migrations.as_deref()).await
    }

    async fn switch_delivery(
        &self,
        staff: &Viewer,
        target: SwitchTarget,
    ) -> Result<SwitchOutcome, AppError> {
        cutover::switch(self.migrations.as_deref(), staff, target).await
    }

    async fn destination_board(&self) -> Result<DestinationBoard, AppError> {
        destinations::board(self.migrations.as_deref()).await
    }

    async fn set_destination(
        &self,
        staff: &Viewer,
        target: SwitchTarget,
        to: Option<DestinationName>,
    ) -> Result<DestinationOutcome, AppError> {
        destinations::set(self.migrations.as_deref(), staff, target, to).await
    }

    async fn old_addresses(&self) -> Result<Vec<PersonAddresses>, AppError> {
        cutover::everyone(&self.db).await
    }

    async fn my_old_addresses(&self, viewer: &Viewer) -> Result<PersonAddresses, AppError> {
        cutover::mine(&self.db, viewer).await
    }

    async fn decide_old_address(
        &self,
        viewer: &Viewer,
        address: EmailAddress,
        decision: AddressDecision,
    ) -> Result<PersonAddresses, AppError> {
        cutover::decide(&self.db, viewer, address, decision).await
    }

    async fn server_statuses(&self) -> Result<Vec<ServerStatus>, AppError> {
        servers::statuses(self.migrations.as_deref()).await
    }

    async fn change_server_limits(
        &self,
        staff: &Viewer,
        role: ServerRole,
        limits: ServerLimits,
        reason: Reason,
    ) -> Result<Vec<ServerStatus>, AppError> {
        servers::change(self.migrations.as_deref(), staff, role, limits, &reason).await
    }

    async fn email_templates(&self) -> Result<Vec<TemplateFile>, AppError> {
        it::templates(self.migrations.as_deref())
    }

    async fn preview_email(
        &self,
        viewer: &Viewer,
        kind: EmailKind,
        person: String,
    ) -> Result<EmailPreview, AppError> {
        it::preview(self.migrations.as_deref(), viewer, kind, &person).await
    }

    async fn send_test_email(
        &self,
        viewer: &Viewer,
        kind: EmailKind,
        person: String,
    ) -> Result<EmailPreview, AppError> {
        it::send_test(self.migrations.as_deref(), viewer, kind, &person).await
    }

    async fn my_migration(&self, viewer: &Viewer) -> Result<MigrationView, AppError> {
        self_service::view(self.migrations.as_deref(), viewer).await
    }

    async fn connect_old_account(
        &self,
        viewer: &Viewer,
        login: String,
        password: Option<app::dto::Password>,
    ) -> Result<MigrationView, AppError> {
        let password = password.map(app::dto::Password::expose);
        self_service::connect(self.migrations.as_deref(), viewer, login, password).await
    }

    async fn start_scan(&self, viewer: &Viewer) -> Result<MigrationView, AppError> {
        self_service::scan(self.migrations.as_deref(), viewer).await
    }

    async fn start_migration(
        &self,
        viewer: &Viewer,
        folders: Vec<String>,
    ) -> Result<MigrationView, AppError> {
        self_service::start(self.migrations.as_deref(), viewer, folders).await
    }

    async fn control_request(
        &self,
        viewer: &Viewer,
        request_id: RequestId,
        action: RequestAction,
    ) -> Result<MigrationView, AppError> {
        self_service::control(self.migrations.as_deref(), viewer, request_id, action).await
    }
}

fn internal(e: sea_orm::DbErr) -> AppError {
    super::internal("database error in a server function", e)
}
