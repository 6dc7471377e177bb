//! Data exchanged between the portal's pages and its server functions.
use serde::{Deserialize, Serialize};

/// What a person may do in Fountain. Granted from the identity provider's group claim at sign-in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub enum Role {
    /// Migrates their own mailbox.
    User,
    /// Reviews stuck, failed or attention-needing requests.
    Helpdesk,
    /// Division IT: waves, corrupt mailboxes, server limits.
    It,
}

impl Role {
    pub const ALL: [Role; 3] = [Role::User, Role::Helpdesk, Role::It];

    pub fn as_str(self) -> &'static str {
        match self {
            Role::User => "user",
            Role::Helpdesk => "helpdesk",
            Role::It => "it",
        }
    }

    pub fn parse(s: &str) -> Option<Role> {
        Role::ALL.into_iter().find(|r| r.as_str() == s)
    }

    /// "Helpdesk or Division IT": the roles of an area, for messages.
    pub fn any_of(roles: &[Role]) -> String {
        roles
            .iter()
            .map(|r| r.label())
            .collect::<Vec<_>>()
            .join(" or ")
    }

    pub fn label(self) -> &'static str {
        match self {
            Role::User => "User",
            Role::Helpdesk => "Helpdesk",
            Role::It => "Division IT",
        }
    }
}

/// The signed-in person, as every page and server function sees them.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Viewer {
    pub user_id: UserId,
    pub email: String,
    pub display_name: String,
    pub roles: Vec<Role>,
}

impl Viewer {
    pub fn has(&self, role: Role) -> bool {
        self.roles.contains(&role)
    }
}

/// A person who has signed in at least once, as helpdesk and IT see them.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Person {
    pub user_id: UserId,
    pub email: String,
    pub display_name: String,
    pub roles: Vec<Role>,
    /// Unix seconds.
    pub last_login_at: i64,
}

mod address;
mod cutover;
mod destination;
mod detail;
mod failure;
mod ids;
mod migration;
mod password;
mod quarantine;
mod reason;
mod servers;
mod state;
mod templates;
mod triage;
mod wave_dashboard;
mod wave_messages;
mod waves;
pub use address::{AddressError, EmailAddress};
pub use cutover::{
    AddressDecision, Arrived, CutoverBoard, CutoverPerson, OldAddress, PersonAddresses, Quietness,
    SwitchOutcome, SwitchTarget,
};
pub use destination::{
    DestinationBoard, DestinationName, DestinationNameError, DestinationOutcome, PersonDestination,
};
pub use detail::{
    ProtocolSide, ProtocolSummary, RequestDetail, StaffEmail, TimelineEntry, What, Who,
};
pub use failure::FailureClass;
pub use ids::{QuarantineId, RequestId, ScanId, UserId};
pub use migration::*;
pub use password::Password;
pub use quarantine::{
    Change, CorruptMailbox, CorruptQueue, Decision, DecisionKind, DecisionOutcome, DiffLine,
    LeftBehind, QuarantinedItem, QueueDecision, QueueDecisionOutcome, Repair, RepairPreview,
    Repaired,
};
pub use reason::{Reason, ReasonError};
pub use servers::{LimitChange, LimitsError, ServerLimits, ServerLive, ServerRole, ServerStatus};
pub use state::RequestState;
pub use templates::{EmailKind, EmailPreview, TemplateFile};
pub use triage::{
    BulkOutcome, Stall, Triage, TriageBucket, TriageQuery, TriageRow, TriageSelection, TriageSort,
    UndeliveredEmail, UNDELIVERED_SHOWN,
};
pub use wave_dashboard::{PersonStanding, Standing, WaveDashboard, WaveSample};
pub use wave_messages::{Delivery, WaveEmail, WaveMessage, WaveMessages};
pub use waves::{
    PlannedPerson, WaveCommand, WaveMode, WaveName, WaveNameError, WavePlan, WaveSettings,
    WaveState, WaveSummary,
};
