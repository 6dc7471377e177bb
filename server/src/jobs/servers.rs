//! The old and new servers' limits while Fountain runs. The configuration file sets them; division
//! IT may change them without a restart (connections at once, MB/s, pausing new claims), each change
//! stored with who and why. Every process (the portal's workers and `fountain worker`s) reads the
//! latest change per server on its polling round and applies it to its own budgets: a lowered cap
//! holds from the next connection, connections already open finish their work.
use std::collections::HashMap;

use app::dto::{
    DestinationName, LimitChange, Reason, ServerLimits, ServerLive, ServerRole, ServerStatus,
};
use sea_orm::{ColumnTrait, DbErr, EntityTrait, QueryFilter, QueryOrder, QuerySelect, Set};

use super::destinations::Closed;
use super::Migrations;
use crate::config::{MailAuth, MailServer, Profile};
use crate::db::entity::server_limit_change as row;
use crate::db::now;
use crate::engine::throttle::{budget_key, BudgetState, Limits};

/// Changes shown per server, newest first.
const CHANGES_SHOWN: u64 = 20;

/// The limits in force on every configured server.
#[derive(Debug, Clone, PartialEq)]
pub struct InForce(HashMap<ServerRole, ServerLimits>);

impl InForce {
    /// Whether IT paused new claims on the old server: no scan or copy starts at all.
    pub fn claims_paused(&self) -> bool {
        self.0
            .get(&ServerRole::Old)
            .is_some_and(|l| l.claims_paused)
    }

    /// The destinations IT paused new claims on: their requests wait, the others' go on.
    pub fn closed(&self) -> Closed {
        let paused = |role: &ServerRole| self.0.get(role).is_some_and(|l| l.claims_paused);
        let mut destinations: Vec<DestinationName> = self
            .0
            .iter()
            .filter(|(_, l)| l.claims_paused)
            .filter_map(|(role, _)| match role {
                ServerRole::Destination(name) => Some(name.clone()),
                _ => None,
            })
            .collect();
        destinations.sort();
        Closed {
            default: paused(&ServerRole::New),
            destinations,
        }
    }

    /// Copies the old server takes at once, each holding `parallel_folders` connections.
    pub fn old_server_copies(&self, parallel_folders: usize) -> usize {
        let connections = self
            .0
            .get(&ServerRole::Old)
            .map_or(1, |l| l.max_connections);
        super::waves::preview::copies_for(connections as usize, parallel_folders)
    }
}

impl Migrations {
    /// What the configuration file sets for `server`.
    pub fn configured_limits(&self, server: &MailServer) -> ServerLimits {
        let (connections, rate) = self.settings.limits_of(server);
        ServerLimits {
            max_connections: connections as u32,
            max_mb_per_sec: rate,
            claims_paused: false,
        }
    }

    /// Whether a server mail is written to is the old server itself: then a copy's two connections
    /// share one budget, which must allow two.
    pub fn same_server_both_sides(&self, role: &ServerRole) -> bool {
        let old = budget_key(&self.settings.old_server.endpoint());
        match role {
            ServerRole::Old => self
                .settings
                .servers()
                .iter()
                .skip(1)
                .any(|(_, s)| budget_key(&s.endpoint()) == old),
            other => self
                .settings
                .server(other)
                .is_some_and(|s| budget_key(&s.endpoint()) == old),
        }
    }

    /// Reads IT's latest changes and applies them to this process's budgets.
    pub async fn refresh_limits(&self) -> Result<InForce, DbErr> {
        let mut in_force = HashMap::new();
        for (role, server) in self.settings.servers() {
            let latest = changes(self, &role, Some(1)).await?.pop();
            let limits = latest.map_or_else(|| self.configured_limits(server), |c| c.limits);
            self.throttle.set(&server.endpoint(), budget_limits(limits));
            in_force.insert(role, limits);
        }
        Ok(InForce(in_force))
    }

    /// IT changes a server's limits, saying why; in force in this process at once, in the others
    /// on their next polling round.
    pub async fn change_limits(
        &self,
        staff: &str,
        role: &ServerRole,
        limits: ServerLimits,
        reason: &Reason,
    ) -> Result<(), DbErr> {
        row::Entity::insert(row::ActiveModel {
            server: Set(role.as_str().to_owned()),
            max_connections: Set(limits.max_connections as i32),
            max_mb_per_sec: Set(limits.max_mb_per_sec),
            claims_paused: Set(limits.claims_paused),
            reason: Set(reason.as_str().to_owned()),
            changed_by: Set(staff.to_owned()),
            changed_at: Set(now()),
            ..Default::default()
        })
        .exec(&self.db)
        .await?;
        tracing::info!(by = %staff, server = role.as_str(), ?limits, "server limits changed");
        self.refresh_limits().await.map(|_| ())
    }

    /// Every change of `role`'s limits, newest first (the newest `limit` for `Some`).
    pub async fn limit_changes(
        &self,
        role: &ServerRole,
        limit: Option<u64>,
    ) -> Result<Vec<LimitChange>, DbErr> {
        changes(self, role, limit).await
    }

    /// Every configured server: as configured, in force, and how it is doing in this process.
    pub async fn server_statuses(&self) -> Result<Vec<ServerStatus>, DbErr> {
        let mut statuses = Vec::new();
        for (role, server) in self.settings.servers() {
            let changes = changes(self, &role, Some(CHANGES_SHOWN)).await?;
            let configured = self.configured_limits(server);
            let in_force = changes.first().map_or(configured, |c| c.limits);
            let budget = self.throttle.server(&server.endpoint());
            statuses.push(ServerStatus {
                role,
                address: address(server),
                auth: auth_name(server).to_owned(),
                profile: profile_name(server.profile).to_owned(),
                configured,
                in_force,
                live: live(budget.state()),
                changes,
            });
        }
        Ok(statuses)
    }
}

/// The newest `limit` changes of `role`'s limits (all of them for `None`), newest first.
async fn changes(
    m: &Migrations,
    role: &ServerRole,
    limit: Option<u64>,
) -> Result<Vec<LimitChange>, DbErr> {
    let mut query = row::Entity::find()
        .filter(row::Column::Server.eq(role.as_str()))
        .order_by_desc(row::Column::Id);
    if let Some(limit) = limit {
        query = query.limit(limit);
    }
    Ok(query
        .all(&m.db)
        .await?
        .into_iter()
        .map(|r| LimitChange {
            at: r.changed_at,
            by: r.changed_by,
            reason: r.reason,
            limits: ServerLimits {
                max_connections: r.max_connections.max(1) as u32,
                max_mb_per_sec: r.max_mb_per_sec.filter(|r| r.is_finite() && *r > 0.0),
                claims_paused: r.claims_paused,
            },
        })
        .collect())
}

/// The budget's limits for what IT set.
fn budget_limits(limits: ServerLimits) -> Limits {
    Limits {
        max_connections: limits.max_connections.max(1) as usize,
        bytes_per_second: limits.max_mb_per_sec.map(|mb| (mb * 1_000_000.0) as u64),
    }
}

fn live(state: BudgetState) -> ServerLive {
    let count = |n: usize| u32::try_from(n).unwrap_or(u32::MAX);
    ServerLive {
        observed_at: now(),
        connections_open: count(state.connections_open),
        adaptive_limit: count(state.limit),
        operations_in_flight: count(state.in_flight),
        history: state
            .history
            .into_iter()
            .map(|(at, limit)| (at, count(limit)))
            .collect(),
        latency_ms: state.latency_ms,
        errors_last_minute: count(state.errors_last_minute),
        connection_ceiling: state.connection_ceiling.map(count),
        guard: state.guard.map(|trip| trip.to_string()),
    }
}

/// `scheme://host:port`: the configured URL without anything else it may hold.
fn address(server: &MailServer) -> String {
    let endpoint = server.endpoint();
    format!(
        "{}://{}:{}",
        server.url.scheme(),
        endpoint.host,
        endpoint.port
    )
}

fn auth_name(server: &MailServer) -> &'static str {
    match server.auth {
        MailAuth::Password => "password",
        MailAuth::Proxy => "proxy",
        MailAuth::Master => "master",
        MailAuth::Xoauth2 => "xoauth2",
    }
}

fn profile_name(profile: Profile) -> &'static str {
    match profile {
        Profile::Generic => "generic",
        Profile::Zimbra => "zimbra",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_rate_in_megabytes_becomes_bytes_and_the_cap_is_never_zero() {
        let limits = budget_limits(ServerLimits {
            max_connections: 3,
            max_mb_per_sec: Some(1.5),
            claims_paused: true,
        });
        assert_eq!(
            limits,
            Limits {
                max_connections: 3,
                bytes_per_second: Some(1_500_000),
            }
        );
        let unlimited = budget_limits(ServerLimits {
            max_connections: 0,
            max_mb_per_sec: None,
            claims_paused: false,
        });
        assert_eq!(unlimited.max_connections, 1);
        assert_eq!(unlimited.bytes_per_second, None);
    }

    #[test]
    fn a_paused_old_server_stops_every_claim_and_a_paused_destination_only_its_own() {
        let limits = |paused| ServerLimits {
            max_connections: 2,
            max_mb_per_sec: None,
            claims_paused: paused,
        };
        let exchange = DestinationName::parse("exchange").unwrap();
        let servers = |old, new, other| {
            InForce(HashMap::from([
                (ServerRole::Old, limits(old)),
                (ServerRole::New, limits(new)),
                (ServerRole::Destination(exchange.clone()), limits(other)),
            ]))
        };
        let open = servers(false, false, false);
        assert!(!open.claims_paused() && open.closed().is_empty());
        assert!(servers(true, false, false).claims_paused());
        let new_paused = servers(false, true, false);
        assert!(!new_paused.claims_paused());
        assert_eq!(
            new_paused.closed(),
            Closed {
                default: true,
                destinations: vec![]
            }
        );
        let other_paused = servers(false, false, true);
        assert_eq!(
            other_paused.closed(),
            Closed {
                default: false,
                destinations: vec![exchange.clone()]
            }
        );
    }
}
