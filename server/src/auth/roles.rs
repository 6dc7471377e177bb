//! Roles from the identity provider's group claim. Pure.
use app::dto::Role;
use serde_json::Value;

use crate::config::RolesConfig;

/// The groups named in `claim` (a JSON array of strings, or one string of space/comma-separated names).
pub fn groups(claims: &Value, claim: &str) -> Vec<String> {
    match claims.get(claim) {
        Some(Value::Array(items)) => items
            .iter()
            .filter_map(Value::as_str)
            .map(str::to_owned)
            .collect(),
        Some(Value::String(s)) => s
            .split([',', ' '])
            .filter(|g| !g.is_empty())
            .map(str::to_owned)
            .collect(),
        _ => Vec::new(),
    }
}

/// The roles a person holds, in a stable order.
pub fn roles_from_claims(claims: &Value, config: &RolesConfig) -> Vec<Role> {
    let groups = groups(claims, &config.claim);
    let member = |group: &str| !group.is_empty() && groups.iter().any(|g| g == group);
    let mut roles = Vec::new();
    if config.user_group.is_empty() || member(&config.user_group) {
        roles.push(Role::User);
    }
    if member(&config.helpdesk_group) {
        roles.push(Role::Helpdesk);
    }
    if member(&config.it_group) {
        roles.push(Role::It);
    }
    roles
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn config(user_group: &str) -> RolesConfig {
        RolesConfig {
            claim: "groups".into(),
            user_group: user_group.into(),
            helpdesk_group: "helpdesk".into(),
            it_group: "msd-it".into(),
        }
    }

    #[test]
    fn everyone_is_a_user_when_no_user_group_is_set() {
        assert_eq!(roles_from_claims(&json!({}), &config("")), vec![Role::User]);
    }

    #[test]
    fn user_group_restricts_users() {
        assert!(roles_from_claims(&json!({"groups": ["staff"]}), &config("msd")).is_empty());
        assert_eq!(
            roles_from_claims(&json!({"groups": ["msd"]}), &config("msd")),
            vec![Role::User]
        );
    }

    #[test]
    fn staff_roles_come_from_their_groups() {
        let claims = json!({"groups": ["msd", "helpdesk", "msd-it"]});
        assert_eq!(
            roles_from_claims(&claims, &config("msd")),
            vec![Role::User, Role::Helpdesk, Role::It]
        );
    }

    #[test]
    fn string_claims_and_other_claim_names_work() {
        let mut c = config("");
        c.claim = "roles".into();
        assert_eq!(
            roles_from_claims(&json!({"roles": "msd-it, helpdesk"}), &c),
            vec![Role::User, Role::Helpdesk, Role::It]
        );
        // A group that merely contains the configured name does not count.
        assert_eq!(
            roles_from_claims(&json!({"roles": ["msd-it-old"]}), &c),
            vec![Role::User]
        );
    }

    #[test]
    fn non_string_members_are_ignored() {
        assert_eq!(
            groups(&json!({"groups": [1, null, "it"]}), "groups"),
            vec!["it".to_string()]
        );
    }
}
