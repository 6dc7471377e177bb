//! `[migration.cutover]`: what happens once delivery moved to the new server.
use serde::Deserialize;

use crate::jobs::cutover::schedule::CatchUpSchedule;

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CutoverConfig {
    /// After the switch, a catch-up every this many minutes (fractions allowed) …
    #[serde(default = "default_every_minutes")]
    pub catch_up_every_minutes: f64,
    /// … for this many hours; then one a day …
    #[serde(default = "default_frequent_hours")]
    pub catch_up_frequent_hours: f64,
    /// … until this many days after the switch.
    #[serde(default = "default_days")]
    pub catch_up_days: f64,
    /// A person with nothing new on the old server for this many days is "quiet".
    #[serde(default = "default_quiet_days")]
    pub quiet_after_days: f64,
    /// The organisation's old mail domains (`["old.example.org"]`): the addresses in them that
    /// reached a person are offered to them as theirs, for the routing maps. Empty: none are.
    #[serde(default)]
    pub old_domains: Vec<String>,
    /// The LDIF export's entry for a person: `{email}` and `{localpart}` are their new address and
    /// its local part (escaped for a DN).
    #[serde(default = "default_ldif_dn")]
    pub ldif_dn: String,
}

fn default_every_minutes() -> f64 {
    60.0
}
fn default_frequent_hours() -> f64 {
    24.0
}
fn default_days() -> f64 {
    14.0
}
fn default_quiet_days() -> f64 {
    3.0
}
fn default_ldif_dn() -> String {
    "mail={email},ou=people,dc=example,dc=org".into()
}

impl Default for CutoverConfig {
    fn default() -> Self {
        Self {
            catch_up_every_minutes: default_every_minutes(),
            catch_up_frequent_hours: default_frequent_hours(),
            catch_up_days: default_days(),
            quiet_after_days: default_quiet_days(),
            old_domains: Vec::new(),
            ldif_dn: default_ldif_dn(),
        }
    }
}

impl CutoverConfig {
    pub(super) fn validate(&self) -> Result<(), String> {
        let positive = |v: f64| v.is_finite() && v > 0.0;
        if !positive(self.catch_up_every_minutes) || self.catch_up_every_minutes > 1440.0 {
            return Err(
                "migration.cutover.catch_up_every_minutes must be above 0 and at most 1440".into(),
            );
        }
        for (key, value) in [
            ("catch_up_frequent_hours", self.catch_up_frequent_hours),
            ("catch_up_days", self.catch_up_days),
            ("quiet_after_days", self.quiet_after_days),
        ] {
            if !value.is_finite() || !(0.0..=3650.0).contains(&value) {
                return Err(format!(
                    "migration.cutover.{key} must be between 0 and 3650"
                ));
            }
        }
        if !self.ldif_dn.contains('=') {
            return Err(
                "migration.cutover.ldif_dn must be a DN such as mail={email},ou=people,dc=example,dc=org"
                    .into(),
            );
        }
        for domain in &self.old_domains {
            if domain.trim().is_empty()
                || domain.contains('@')
                || domain.contains(char::is_whitespace)
            {
                return Err(format!(
                    "migration.cutover.old_domains: {domain:?} is not a domain (write old.example.org)"
                ));
            }
        }
        Ok(())
    }

    /// The catch-ups' schedule in seconds.
    pub fn schedule(&self) -> CatchUpSchedule {
        CatchUpSchedule {
            every_secs: (self.catch_up_every_minutes * 60.0).round().max(1.0) as i64,
            frequent_secs: (self.catch_up_frequent_hours * 3600.0).round() as i64,
            until_secs: (self.catch_up_days * 86_400.0).round() as i64,
        }
    }

    /// Seconds with nothing new after which a person is quiet.
    pub fn quiet_secs(&self) -> i64 {
        (self.quiet_after_days * 86_400.0).round() as i64
    }
}
