//! Server functions: the portal's API. Each checks the caller's role on the server.
use leptos::prelude::*;

use crate::dto::{
    BulkOutcome, CorruptQueue, DecisionKind, DecisionOutcome, EmailKind, EmailPreview,
    MigrationView, Password, Person, QuarantineId, QueueDecision, QueueDecisionOutcome, Repair,
    RepairPreview, RequestAction, RequestDetail, RequestId, ServerRole, ServerStatus, StaffEmail,
    TemplateFile, Triage, TriageQuery, TriageSelection, Viewer, WaveCommand, WaveDashboard,
    WaveMessages, WaveMode, WavePlan, WaveState, WaveSummary,
};
use crate::error::AppError;

/// Who is signed in, if anyone.
#[server(prefix = "/api", endpoint = "whoami")]
pub async fn whoami() -> Result<Option<Viewer>, AppError> {
    Ok(crate::port::viewer())
}

/// Find people who have signed in (helpdesk and IT).
#[server(prefix = "/api", endpoint = "people")]
pub async fn people(filter: String) -> Result<Vec<Person>, AppError> {
    crate::port::require_any(crate::areas::HELPDESK)?;
    let filter = filter.trim();
    if filter.chars().count() > 200 {
        return Err(AppError::BadRequest(
            "That search is too long: use at most 200 characters.".into(),
        ));
    }
    crate::port::portal()?.people(filter, 100).await
}

/// A page of the requests that need someone, narrowed and ordered (helpdesk and IT).
#[server(prefix = "/api", endpoint = "helpdesk_triage")]
pub async fn helpdesk_triage(
    // Nothing sent: the first page of everything, by reason.
    #[server(default)] query: TriageQuery,
) -> Result<Triage, AppError> {
    crate::port::require_any(crate::areas::HELPDESK)?;
    crate::port::portal()?.triage(query).await
}

/// One request in full: the person, progress, report and timeline (helpdesk and IT).
#[server(prefix = "/api", endpoint = "request_detail")]
pub async fn load_request_detail(request_id: RequestId) -> Result<RequestDetail, AppError> {
    crate::port::require_any(crate::areas::HELPDESK)?;
    let outcome = crate::port::portal()?.request_detail(request_id).await;
    crate::port::status_of(outcome)
}

/// The same action for every request of a triage selection, saying why; `expected` is the count the
/// confirmation showed (helpdesk and IT).
#[server(prefix = "/api", endpoint = "act_on_selection")]
pub async fn act_on_selection(
    // "Every request shown" has no field to send.
    #[server(default)] selection: TriageSelection,
    action: RequestAction,
    reason: String,
    expected: u64,
) -> Result<BulkOutcome, AppError> {
    let staff = crate::port::require_any(crate::areas::HELPDESK)?;
    let reason = parse_reason(&reason)?;
    let outcome = crate::port::portal()?
        .act_on_selection(&staff, selection, action, reason, expected)
        .await;
    crate::port::status_of(outcome)
}

/// Pause, resume, cancel or retry a request for its owner, saying why (helpdesk and IT).
#[server(prefix = "/api", endpoint = "act_for_person")]
pub async fn act_for_person(
    request_id: RequestId,
    action: RequestAction,
    reason: String,
) -> Result<RequestDetail, AppError> {
    let staff = crate::port::require_any(crate::areas::HELPDESK)?;
    let reason = parse_reason(&reason)?;
    let outcome = crate::port::portal()?
        .act_for_person(&staff, request_id, action, reason)
        .await;
    crate::port::status_of(outcome)
}

/// A note on a request's timeline (helpdesk and IT).
#[server(prefix = "/api", endpoint = "add_note")]
pub async fn add_note(request_id: RequestId, text: String) -> Result<RequestDetail, AppError> {
    let staff = crate::port::require_any(crate::areas::HELPDESK)?;
    let text = parse_reason(&text)?;
    let outcome = crate::port::portal()?
        .add_note(&staff, request_id, text)
        .await;
    crate::port::status_of(outcome)
}

/// Emails a request's owner: ask them to reconnect, or the last email again (helpdesk and IT).
#[server(prefix = "/api", endpoint = "email_person")]
pub async fn email_person(
    request_id: RequestId,
    which: StaffEmail,
    reason: String,
) -> Result<RequestDetail, AppError> {
    let staff = crate::port::require_any(crate::areas::HELPDESK)?;
    let reason = parse_reason(&reason)?;
    let outcome = crate::port::portal()?
        .email_person(&staff, request_id, which, reason)
        .await;
    crate::port::status_of(outcome)
}

/// A reason as typed, or the error that says what to type (with its HTTP status set).
#[cfg(feature = "ssr")]
fn parse_reason(typed: &str) -> Result<crate::dto::Reason, AppError> {
    let parsed = crate::dto::Reason::parse(typed).map_err(|e| AppError::BadRequest(e.to_string()));
    crate::port::status_of(parsed)
}

/// A page of the requests with quarantined messages, most waiting first (division IT).
#[server(prefix = "/api", endpoint = "corrupt_mailboxes")]
pub async fn corrupt_mailboxes(#[server(default)] page: u32) -> Result<CorruptQueue, AppError> {
    crate::port::require_any(crate::areas::IT)?;
    let outcome = crate::port::portal()?.corrupt_mailboxes(page).await;
    crate::port::status_of(outcome)
}

/// Sends every waiting message of the queue again, or repairs and sends every one a repair fixes,
/// saying why; `expected` is the number of waiting messages the confirmation named (division IT).
#[server(prefix = "/api", endpoint = "decide_for_queue")]
pub async fn decide_for_queue(
    decision: QueueDecision,
    expected: u64,
    reason: String,
) -> Result<QueueDecisionOutcome, AppError> {
    let staff = crate::port::require_any(crate::areas::IT)?;
    let reason = parse_reason(&reason)?;
    let outcome = crate::port::portal()?
        .decide_for_queue(&staff, decision, expected, reason)
        .await;
    crate::port::status_of(outcome)
}

/// What repairing a quarantined message would change, before anything is sent (division IT).
#[server(prefix = "/api", endpoint = "preview_repair")]
pub async fn preview_repair(
    request_id: RequestId,
    id: QuarantineId,
    // None asked: every repair the message needs.
    #[server(default)] repairs: Vec<Repair>,
) -> Result<RepairPreview, AppError> {
    crate::port::require_any(crate::areas::IT)?;
    let outcome = crate::port::portal()?
        .repair_preview(request_id, id, repairs)
        .await;
    crate::port::status_of(outcome)
}

/// Sends quarantined messages again, repaired or not, or accepts them as not migrated, saying why;
/// the request runs again once none waits (division IT).
#[server(prefix = "/api", endpoint = "decide_quarantined")]
pub async fn decide_quarantined(
    request_id: RequestId,
    ids: Vec<QuarantineId>,
    decision: DecisionKind,
    #[server(default)] repairs: Vec<Repair>,
    reason: String,
) -> Result<DecisionOutcome, AppError> {
    let staff = crate::port::require_any(crate::areas::IT)?;
    let reason = parse_reason(&reason)?;
    let outcome = crate::port::portal()?
        .decide_quarantined(&staff, request_id, ids, decision, repairs, reason)
        .await;
    crate::port::status_of(outcome)
}

/// Every wave with its counts, newest first (division IT).
#[server(prefix = "/api", endpoint = "waves")]
pub async fn waves() -> Result<Vec<WaveSummary>, AppError> {
    crate::port::require_any(crate::areas::IT)?;
    let outcome = crate::port::portal()?.waves().await;
    crate::port::status_of(outcome)
}

/// A wave's plan before it starts: largest first, with p50 and p90 finishes (division IT).
#[server(prefix = "/api", endpoint = "plan_wave")]
pub async fn plan_wave(name: String) -> Result<WavePlan, AppError> {
    crate::port::require_any(crate::areas::IT)?;
    let name = crate::dto::WaveName::parse(&name).map_err(|e| AppError::BadRequest(e.to_string()));
    let name = crate::port::status_of(name)?;
    let outcome = crate::port::portal()?.wave_plan(name).await;
    crate::port::status_of(outcome)
}

/// Where a wave stands as it runs: people by state, bytes, throughput, finish at p50 and p90, the
/// slowest and the stuck, failures by class (division IT).
#[server(prefix = "/api", endpoint = "wave_dashboard")]
pub async fn wave_board(name: String) -> Result<WaveDashboard, AppError> {
    crate::port::require_any(crate::areas::IT)?;
    let name = crate::dto::WaveName::parse(&name).map_err(|e| AppError::BadRequest(e.to_string()));
    let name = crate::port::status_of(name)?;
    let outcome = crate::port::portal()?.wave_dashboard(name).await;
    crate::port::status_of(outcome)
}

/// What a wave tells its people and when, a dry run: invitation or notice, reminders, who and when
/// (division IT).
#[server(prefix = "/api", endpoint = "wave_messages")]
pub async fn wave_mailing(name: String) -> Result<WaveMessages, AppError> {
    crate::port::require_any(crate::areas::IT)?;
    let name = crate::dto::WaveName::parse(&name).map_err(|e| AppError::BadRequest(e.to_string()));
    let name = crate::port::status_of(name)?;
    let outcome = crate::port::portal()?.wave_messages(name).await;
    crate::port::status_of(outcome)
}

/// Changes a wave's copies at once, mode and window (UTC, "2026-12-05 18:00"; empty: none), as
/// the IT page's form sends them (division IT).
#[server(prefix = "/api", endpoint = "change_wave")]
pub async fn change_wave(
    name: String,
    concurrency: u32,
    mode: WaveMode,
    window_start: String,
    window_end: String,
) -> Result<(), AppError> {
    let staff = crate::port::require_any(crate::areas::IT)?;
    let name = crate::dto::WaveName::parse(&name).map_err(|e| AppError::BadRequest(e.to_string()));
    let name = crate::port::status_of(name)?;
    let when = |what: &str, typed: &str| {
        crate::format::parse_window_time(typed).ok_or_else(|| {
            AppError::BadRequest(format!(
                "The window's {what} “{typed}” is not a time: write it in UTC as 2026-12-05 18:00, or leave it empty."
            ))
        })
    };
    let window = when("start", &window_start).and_then(|s| Ok((s, when("end", &window_end)?)));
    let (window_start, window_end) = crate::port::status_of(window)?;
    let settings = crate::dto::WaveSettings {
        concurrency,
        mode,
        window_start,
        window_end,
    };
    let outcome = crate::port::portal()?
        .change_wave(&staff, name, settings)
        .await;
    crate::port::status_of(outcome)
}

/// Starts, pauses or resumes a wave; its schedule does the rest (division IT).
#[server(prefix = "/api", endpoint = "drive_wave")]
pub async fn drive_wave(name: String, command: WaveCommand) -> Result<WaveState, AppError> {
    let staff = crate::port::require_any(crate::areas::IT)?;
    let name = crate::dto::WaveName::parse(&name).map_err(|e| AppError::BadRequest(e.to_string()));
    let name = crate::port::status_of(name)?;
    let outcome = crate::port::portal()?
        .drive_wave(&staff, name, command)
        .await;
    crate::port::status_of(outcome)
}

/// The old and new servers with their limits and live state (division IT).
#[server(prefix = "/api", endpoint = "server_statuses")]
pub async fn server_statuses() -> Result<Vec<ServerStatus>, AppError> {
    crate::port::require_any(crate::areas::IT)?;
    let outcome = crate::port::portal()?.server_statuses().await;
    crate::port::status_of(outcome)
}

/// Changes a server's limits without a restart, saying why: connections at once, MB per second
/// (empty: no limit), new claims paused (division IT).
#[server(prefix = "/api", endpoint = "set_server_limits")]
pub async fn set_server_limits(
    server: ServerRole,
    max_connections: String,
    #[server(default)] max_mb_per_sec: String,
    // An unticked box sends no field.
    #[server(default)] claims_paused: bool,
    reason: String,
) -> Result<Vec<ServerStatus>, AppError> {
    let staff = crate::port::require_any(crate::areas::IT)?;
    let limits = crate::dto::ServerLimits::parse(&max_connections, &max_mb_per_sec, claims_paused)
        .map_err(|e| AppError::BadRequest(e.to_string()));
    let limits = crate::port::status_of(limits)?;
    let reason = parse_reason(&reason)?;
    let outcome = crate::port::portal()?
        .change_server_limits(&staff, server, limits, reason)
        .await;
    crate::port::status_of(outcome)
}

/// Every email and instructions template, as loaded (division IT).
#[server(prefix = "/api", endpoint = "email_templates")]
pub async fn email_templates() -> Result<Vec<TemplateFile>, AppError> {
    crate::port::require_any(crate::areas::IT)?;
    let outcome = crate::port::portal()?.email_templates().await;
    crate::port::status_of(outcome)
}

/// An email as a person would receive it, from their data (division IT).
#[server(prefix = "/api", endpoint = "preview_email")]
pub async fn preview_email(kind: EmailKind, person: String) -> Result<EmailPreview, AppError> {
    let viewer = crate::port::require_any(crate::areas::IT)?;
    let outcome = crate::port::portal()?
        .preview_email(&viewer, kind, person)
        .await;
    crate::port::status_of(outcome)
}

/// The same preview sent to the caller, marked as a test (division IT).
#[server(prefix = "/api", endpoint = "send_test_email")]
pub async fn send_test_email(kind: EmailKind, person: String) -> Result<EmailPreview, AppError> {
    let viewer = crate::port::require_any(crate::areas::IT)?;
    let outcome = crate::port::portal()?
        .send_test_email(&viewer, kind, person)
        .await;
    crate::port::status_of(outcome)
}

/// The caller's own migration, everything the page shows.
#[server(prefix = "/api", endpoint = "my_migration")]
pub async fn my_migration() -> Result<MigrationView, AppError> {
    let viewer = crate::port::require_any(crate::areas::MY_MIGRATION)?;
    crate::port::portal()?.my_migration(&viewer).await
}

/// Connects the caller's old account; the password is checked by a real login, then sealed.
#[server(prefix = "/api", endpoint = "connect_old_account")]
pub async fn connect_old_account(
    login: String,
    password: Option<Password>,
) -> Result<MigrationView, AppError> {
    let viewer = crate::port::require_any(crate::areas::MY_MIGRATION)?;
    let outcome = crate::port::portal()?
        .connect_old_account(&viewer, login, password)
        .await;
    crate::port::status_of(outcome)
}

/// Scans the caller's old mailbox (a worker does it; the page follows).
#[server(prefix = "/api", endpoint = "start_scan")]
pub async fn start_scan() -> Result<MigrationView, AppError> {
    let viewer = crate::port::require_any(crate::areas::MY_MIGRATION)?;
    let outcome = crate::port::portal()?.start_scan(&viewer).await;
    crate::port::status_of(outcome)
}

/// Starts copying the chosen folders. Submitting twice makes one request.
#[server(prefix = "/api", endpoint = "start_migration")]
pub async fn start_migration(folders: Vec<String>) -> Result<MigrationView, AppError> {
    let viewer = crate::port::require_any(crate::areas::MY_MIGRATION)?;
    if folders.is_empty() || folders.len() > 10_000 {
        let e = AppError::BadRequest("Tick at least one folder to copy.".into());
        crate::port::set_status(e.status());
        return Err(e);
    }
    let outcome = crate::port::portal()?
        .start_migration(&viewer, folders)
        .await;
    crate::port::status_of(outcome)
}

/// Pause, resume, cancel, retry or catch up a request of the caller's.
#[server(prefix = "/api", endpoint = "control_request")]
pub async fn control_request(
    request_id: RequestId,
    action: RequestAction,
) -> Result<MigrationView, AppError> {
    let viewer = crate::port::require_any(crate::areas::MY_MIGRATION)?;
    let outcome = crate::port::portal()?
        .control_request(&viewer, request_id, action)
        .await;
    crate::port::status_of(outcome)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_connect_input_never_prints_the_password() {
        let input = ConnectOldAccount {
            login: "alice".into(),
            password: Some(Password::new("hunter2".into())),
        };
        let shown = format!("{input:?}");
        assert!(
            shown.contains("alice") && !shown.contains("hunter2"),
            "{shown}"
        );
    }
}

/// Everyone whose delivery moved to the new server: catch-ups, mail still reaching the old server
/// by address, who is quiet (division IT).
#[server(prefix = "/api", endpoint = "cutover_board")]
pub async fn cutover_board() -> Result<crate::dto::CutoverBoard, AppError> {
    crate::port::require_any(crate::areas::IT)?;
    let outcome = crate::port::portal()?.cutover_board().await;
    crate::port::status_of(outcome)
}

/// Marks delivery moved, now, for a wave (`wave`) or for people (`people`: addresses separated by
/// spaces, commas or lines), as the IT page's form sends them; exactly one of the two (division IT).
#[server(prefix = "/api", endpoint = "switch_delivery")]
pub async fn switch_delivery(
    #[server(default)] wave: String,
    #[server(default)] people: String,
) -> Result<crate::dto::SwitchOutcome, AppError> {
    let staff = crate::port::require_any(crate::areas::IT)?;
    let target = crate::dto::SwitchTarget::from_form(&wave, &people).map_err(AppError::BadRequest);
    let target = crate::port::status_of(target)?;
    let outcome = crate::port::portal()?.switch_delivery(&staff, target).await;
    crate::port::status_of(outcome)
}

/// The destination servers configured besides the default, and who IT sent to each (division IT).
#[server(prefix = "/api", endpoint = "destination_board")]
pub async fn destination_board() -> Result<crate::dto::DestinationBoard, AppError> {
    crate::port::require_any(crate::areas::IT)?;
    let outcome = crate::port::portal()?.destination_board().await;
    crate::port::status_of(outcome)
}

/// Sends a wave (`wave`) or people (`people`: addresses separated by spaces, commas or lines) to
/// the destination `destination` (empty or `default`: the default new server), as the IT page's
/// form sends them (division IT). People whose migration started keep theirs.
#[server(prefix = "/api", endpoint = "set_destination")]
pub async fn set_destination(
    #[server(default)] wave: String,
    #[server(default)] people: String,
    #[server(default)] destination: String,
) -> Result<crate::dto::DestinationOutcome, AppError> {
    let staff = crate::port::require_any(crate::areas::IT)?;
    let target = crate::dto::SwitchTarget::from_form(&wave, &people).map_err(AppError::BadRequest);
    let target = crate::port::status_of(target)?;
    let to = match destination.trim() {
        "" | "default" => Ok(None),
        name => crate::dto::DestinationName::parse(name)
            .map(Some)
            .map_err(|e| AppError::BadRequest(e.to_string())),
    };
    let to = crate::port::status_of(to)?;
    let outcome = crate::port::portal()?
        .set_destination(&staff, target, to)
        .await;
    crate::port::status_of(outcome)
}

/// Everyone's old addresses found in their mail and what each said of them, conflicts first
/// (division IT).
#[server(prefix = "/api", endpoint = "old_addresses")]
pub async fn old_addresses() -> Result<Vec<crate::dto::PersonAddresses>, AppError> {
    crate::port::require_any(crate::areas::IT)?;
    let outcome = crate::port::portal()?.old_addresses().await;
    crate::port::status_of(outcome)
}

/// The caller's old addresses found in their mail.
#[server(prefix = "/api", endpoint = "my_old_addresses")]
pub async fn my_old_addresses() -> Result<crate::dto::PersonAddresses, AppError> {
    let viewer = crate::port::require_any(crate::areas::MY_MIGRATION)?;
    let outcome = crate::port::portal()?.my_old_addresses(&viewer).await;
    crate::port::status_of(outcome)
}

/// The caller says whether an old address is theirs (`confirmed` or `declined`).
#[server(prefix = "/api", endpoint = "decide_old_address")]
pub async fn decide_old_address(
    address: String,
    decision: String,
) -> Result<crate::dto::PersonAddresses, AppError> {
    use crate::dto::{AddressDecision, EmailAddress};
    let viewer = crate::port::require_any(crate::areas::MY_MIGRATION)?;
    let address = EmailAddress::parse(&address).map_err(|e| AppError::BadRequest(e.to_string()));
    let address = crate::port::status_of(address)?;
    let decision = match AddressDecision::parse(&decision) {
        Some(d @ (AddressDecision::Confirmed | AddressDecision::Declined)) => Ok(d),
        _ => Err(AppError::BadRequest(
            "Say whether the address is yours (confirmed) or not (declined).".into(),
        )),
    };
    let decision = crate::port::status_of(decision)?;
    let outcome = crate::port::portal()?
        .decide_old_address(&viewer, address, decision)
        .await;
    crate::port::status_of(outcome)
}
