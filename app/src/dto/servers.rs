//! The old and new servers as division IT sees them: as configured, the limits in force (IT may
//! change them while Fountain runs, each change with who and why) and how the server is doing now.
use serde::{Deserialize, Serialize};

use super::DestinationName;

/// Which configured server: stored and sent as its name (`old`, `new`, or a destination's).
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub enum ServerRole {
    /// Where mail is copied from.
    Old,
    /// Where mail is copied to, unless IT sends a person elsewhere.
    New,
    /// Another server mail is copied to, for the people IT sends there.
    Destination(DestinationName),
}

impl ServerRole {
    /// The two servers every configuration has (destinations come from the configuration).
    pub const FIXED: [ServerRole; 2] = [ServerRole::Old, ServerRole::New];

    /// As stored and in element ids.
    pub fn as_str(&self) -> &str {
        match self {
            ServerRole::Old => "old",
            ServerRole::New => "new",
            ServerRole::Destination(name) => name.as_str(),
        }
    }

    /// In element ids: a destination's behind `to-`, so no name can take the old or new server's ids
    /// (a destination named `old-guard`, say).
    pub fn element_key(&self) -> String {
        match self {
            ServerRole::Destination(name) => format!("to-{name}"),
            fixed => fixed.as_str().to_owned(),
        }
    }

    pub fn parse(stored: &str) -> Option<ServerRole> {
        match stored {
            "old" => Some(ServerRole::Old),
            "new" => Some(ServerRole::New),
            other => DestinationName::parse(other)
                .ok()
                .filter(|n| n.as_str() == other)
                .map(ServerRole::Destination),
        }
    }

    pub fn label(&self) -> String {
        match self {
            ServerRole::Old => "Old server".into(),
            ServerRole::New => "New server".into(),
            ServerRole::Destination(name) => format!("Destination “{name}”"),
        }
    }
}

impl TryFrom<String> for ServerRole {
    type Error = String;
    fn try_from(s: String) -> Result<Self, Self::Error> {
        ServerRole::parse(&s).ok_or_else(|| format!("{s:?} is not a configured server"))
    }
}

impl From<ServerRole> for String {
    fn from(role: ServerRole) -> String {
        role.as_str().to_owned()
    }
}

/// What a server may take from each Fountain process.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct ServerLimits {
    /// Connections open at once.
    pub max_connections: u32,
    /// Megabytes per second read or written; `None`: no limit.
    pub max_mb_per_sec: Option<f64>,
    /// No new scan or copy starts on it (those running go on).
    pub claims_paused: bool,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum LimitsError {
    #[error(
        "Connections at once must be a whole number from 1 to {}.",
        ServerLimits::MAX_CONNECTIONS
    )]
    Connections,
    #[error(
        "MB per second must be a number above 0 and at most {}, or empty for no limit.",
        ServerLimits::MAX_MB_PER_SEC
    )]
    Rate,
}

impl ServerLimits {
    pub const MAX_CONNECTIONS: u32 = 256;
    pub const MAX_MB_PER_SEC: f64 = 100_000.0;

    /// Limits as typed in the form: connections a whole number, the rate a decimal number (a comma
    /// is taken for the decimal point) or empty.
    pub fn parse(
        max_connections: &str,
        max_mb_per_sec: &str,
        claims_paused: bool,
    ) -> Result<ServerLimits, LimitsError> {
        let max_connections = max_connections
            .trim()
            .parse::<u32>()
            .ok()
            .filter(|n| (1..=Self::MAX_CONNECTIONS).contains(n))
            .ok_or(LimitsError::Connections)?;
        let rate = max_mb_per_sec.trim();
        let max_mb_per_sec = if rate.is_empty() {
            None
        } else {
            let rate = rate.replace(',', ".");
            Some(
                rate.parse::<f64>()
                    .ok()
                    .filter(|r| r.is_finite() && *r > 0.0 && *r <= Self::MAX_MB_PER_SEC)
                    .ok_or(LimitsError::Rate)?,
            )
        };
        Ok(ServerLimits {
            max_connections,
            max_mb_per_sec,
            claims_paused,
        })
    }
}

/// One change of a server's limits.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct LimitChange {
    /// Unix seconds.
    pub at: i64,
    pub by: String,
    pub reason: String,
    pub limits: ServerLimits,
}

/// How a server is doing in this portal's process now.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ServerLive {
    /// Unix seconds: when this was read (the history's right edge).
    pub observed_at: i64,
    pub connections_open: u32,
    /// Operations allowed at once by the adaptive limit.
    pub adaptive_limit: u32,
    pub operations_in_flight: u32,
    /// (Unix seconds, limit) at each change of the adaptive limit, oldest first.
    pub history: Vec<(i64, u32)>,
    /// Milliseconds per operation, smoothed; `None` before any.
    pub latency_ms: Option<f64>,
    pub errors_last_minute: u32,
    /// Connections the server was seen to take at once, when it refused one more (this process keeps
    /// to that, trying one more now and then); `None` while it takes what IT allows.
    #[serde(default)]
    pub connection_ceiling: Option<u32>,
    /// Why no new scan or copy starts on the server now (the load guard: it is straining), if so.
    #[serde(default)]
    pub guard: Option<String>,
}

/// One configured server on IT's servers page.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ServerStatus {
    pub role: ServerRole,
    /// `imaps://host:port`, never with credentials.
    pub address: String,
    /// How Fountain logs in: `password`, `proxy`, `master` or `xoauth2`.
    pub auth: String,
    /// The server's kind (`dovecot`, `cyrus`, ...).
    pub profile: String,
    /// From the configuration file.
    pub configured: ServerLimits,
    /// IT's latest change, or the configured limits.
    pub in_force: ServerLimits,
    pub live: ServerLive,
    /// Newest first.
    pub changes: Vec<LimitChange>,
}

impl ServerStatus {
    /// Something is moving on it: worth following.
    pub fn busy(&self) -> bool {
        // A guard holding copies off it is followed too: the page shows it letting go.
        self.live.connections_open > 0
            || self.live.operations_in_flight > 0
            || self.live.guard.is_some()
    }

    /// Connections open of those allowed now: IT's cap, or fewer where the server refused more.
    pub fn connections_line(&self) -> String {
        let open = self.live.connections_open;
        let cap = self.in_force.max_connections;
        match self.live.connection_ceiling.filter(|&ceiling| ceiling < cap) {
            None => format!("{open} of {cap}"),
            Some(ceiling) => format!(
                "{open} of {ceiling}: the server refused a connection beyond {ceiling} at once, so \
                 Fountain keeps to {ceiling} and tries one more now and then, up to the {cap} in force"
            ),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn typed_limits_parse_or_say_what_to_type() {
        assert_eq!(
            ServerLimits::parse(" 3 ", "", true),
            Ok(ServerLimits {
                max_connections: 3,
                max_mb_per_sec: None,
                claims_paused: true,
            })
        );
        assert_eq!(
            ServerLimits::parse("2", "1,5", false).map(|l| l.max_mb_per_sec),
            Ok(Some(1.5))
        );
        for bad in ["0", "-1", "", "two", "257", "1.5", "99999999999"] {
            assert_eq!(
                ServerLimits::parse(bad, "", false),
                Err(LimitsError::Connections),
                "{bad:?}"
            );
        }
        for bad in ["0", "-2", "NaN", "inf", "1e400", "abc", "100001"] {
            assert_eq!(
                ServerLimits::parse("2", bad, false),
                Err(LimitsError::Rate),
                "{bad:?}"
            );
        }
    }

    fn status(cap: u32, open: u32, ceiling: Option<u32>) -> ServerStatus {
        let limits = ServerLimits {
            max_connections: cap,
            max_mb_per_sec: None,
            claims_paused: false,
        };
        ServerStatus {
            role: ServerRole::Old,
            address: "imaps://old.example.org:993".into(),
            auth: "password".into(),
            profile: "generic".into(),
            configured: limits,
            in_force: limits,
            live: ServerLive {
                observed_at: 0,
                connections_open: open,
                adaptive_limit: 1,
                operations_in_flight: 0,
                history: Vec::new(),
                latency_ms: None,
                errors_last_minute: 0,
                connection_ceiling: ceiling,
                guard: None,
            },
            changes: Vec::new(),
        }
    }

    #[test]
    fn connections_are_counted_against_the_ceiling_the_server_showed() {
        assert_eq!(status(8, 1, None).connections_line(), "1 of 8");
        let line = status(8, 2, Some(3)).connections_line();
        assert!(line.starts_with("2 of 3: the server refused"), "{line}");
        assert!(line.ends_with("up to the 8 in force"), "{line}");
        // IT lowered the cap below what the server took: the cap rules.
        assert_eq!(status(2, 2, Some(3)).connections_line(), "2 of 2");
    }

    #[test]
    fn a_reading_without_a_ceiling_still_parses() {
        let mut json = serde_json::to_value(status(4, 0, Some(2)).live).unwrap();
        json.as_object_mut().unwrap().remove("connection_ceiling");
        let live: ServerLive = serde_json::from_value(json).unwrap();
        assert_eq!(live.connection_ceiling, None);
    }

    #[test]
    fn roles_round_trip_through_their_stored_names() {
        let exchange = ServerRole::Destination(DestinationName::parse("exchange").unwrap());
        for role in ServerRole::FIXED.into_iter().chain([exchange]) {
            assert_eq!(ServerRole::parse(role.as_str()), Some(role.clone()));
            let json = serde_json::to_string(&role).unwrap();
            assert_eq!(serde_json::from_str::<ServerRole>(&json).unwrap(), role);
        }
        assert_eq!(ServerRole::parse("OLD"), None);
        assert_eq!(ServerRole::parse(" exchange"), None);
    }

    proptest! {
        #[test]
        fn anything_typed_parses_within_bounds_or_is_refused(
            connections in any::<String>(),
            rate in any::<String>(),
            paused in any::<bool>(),
        ) {
            if let Ok(limits) = ServerLimits::parse(&connections, &rate, paused) {
                prop_assert!((1..=ServerLimits::MAX_CONNECTIONS).contains(&limits.max_connections));
                if let Some(r) = limits.max_mb_per_sec {
                    prop_assert!(r.is_finite() && r > 0.0 && r <= ServerLimits::MAX_MB_PER_SEC);
                }
                prop_assert_eq!(limits.claims_paused, paused);
            }
        }

        #[test]
        fn numbers_in_range_are_taken(n in 1u32..=256, tenths in 1u32..10_000) {
            let rate = format!("{}.{}", tenths / 10, tenths % 10);
            let limits = ServerLimits::parse(&n.to_string(), &rate, false).unwrap();
            prop_assert_eq!(limits.max_connections, n);
            prop_assert!((limits.max_mb_per_sec.unwrap() - f64::from(tenths) / 10.0).abs() < 1e-9);
        }
    }
}
