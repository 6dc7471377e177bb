//! Which roles open which area of the portal. The server's gate (full page loads) and the pages'
//! own checks (in-app navigation) both read this one table.
use crate::dto::Role;

pub const MY_MIGRATION: &[Role] = &[Role::User];
pub const HELPDESK: &[Role] = &[Role::Helpdesk, Role::It];
pub const IT: &[Role] = &[Role::It];

/// The roles needed for a page path, or `None` for open pages.
pub fn required_roles(path: &str) -> Option<&'static [Role]> {
    let first = path
        .trim_start_matches('/')
        .split(['/', '?'])
        .next()
        .unwrap_or("");
    match first {
        "me" => Some(MY_MIGRATION),
        "helpdesk" => Some(HELPDESK),
        "it" => Some(IT),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn areas_are_gated() {
        assert_eq!(required_roles("/me"), Some(MY_MIGRATION));
        assert_eq!(required_roles("/helpdesk?q=ann"), Some(HELPDESK));
        assert_eq!(required_roles("/it/waves"), Some(IT));
        assert_eq!(required_roles("/"), None);
        assert_eq!(required_roles("/items"), None);
        assert_eq!(required_roles("/pkg/fountain.js"), None);
    }
}
