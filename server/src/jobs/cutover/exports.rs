//! The routing maps for confirmed old addresses: a Postfix `virtual` table, a CSV, and LDIF that adds
//! `mailAlternateAddress` to each person's directory entry. Pure. An address two people claim is in
//! none of them (mail for it would go to one at random): it is listed as a conflict for IT.
use std::collections::{BTreeMap, HashSet};

use app::dto::EmailAddress;
use base64::Engine as _;

/// Mail for `old` goes to `new`.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct Route {
    pub old: EmailAddress,
    pub new: EmailAddress,
}

/// An old address more than one person confirmed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Conflict {
    pub address: EmailAddress,
    pub people: Vec<EmailAddress>,
}

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Routes {
    /// By old address.
    pub routes: Vec<Route>,
    pub conflicts: Vec<Conflict>,
}

/// The routes of `(person, old address)` confirmations: an address that is the person's own new one
/// needs none; one claimed by two people, or that is another known person's address (`known`),
/// is a conflict.
pub fn routes(confirmed: &[(EmailAddress, EmailAddress)], known: &HashSet<EmailAddress>) -> Routes {
    let mut by_old: BTreeMap<&EmailAddress, Vec<&EmailAddress>> = BTreeMap::new();
    for (person, old) in confirmed {
        if person != old {
            let people = by_old.entry(old).or_default();
            if !people.contains(&person) {
                people.push(person);
            }
            // Someone's own address stays theirs.
            if known.contains(old) && !people.contains(&old) {
                people.push(old);
            }
        }
    }
    let mut out = Routes::default();
    for (old, mut people) in by_old {
        if let [new] = people.as_slice() {
            out.routes.push(Route {
                old: old.clone(),
                new: (*new).clone(),
            });
        } else {
            people.sort();
            out.conflicts.push(Conflict {
                address: old.clone(),
                people: people.into_iter().cloned().collect(),
            });
        }
    }
    out
}

/// A routing map's format.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    Postfix,
    Csv,
    Ldif,
}

impl Format {
    /// As a download names it (`?format=postfix`).
    pub fn parse(name: &str) -> Option<Format> {
        match name {
            "postfix" => Some(Format::Postfix),
            "csv" => Some(Format::Csv),
            "ldif" => Some(Format::Ldif),
            _ => None,
        }
    }

    /// The map of `routes` (`dn_template` for LDIF's entries).
    pub fn render(self, routes: &[Route], dn_template: &str) -> String {
        match self {
            Format::Postfix => postfix(routes),
            Format::Csv => csv(routes),
            Format::Ldif => ldif(routes, dn_template),
        }
    }

    /// The file a download saves it as, and its content type.
    pub fn file(self) -> (&'static str, &'static str) {
        match self {
            Format::Postfix => ("virtual", "text/plain; charset=utf-8"),
            Format::Csv => ("old-addresses.csv", "text/csv; charset=utf-8"),
            Format::Ldif => ("old-addresses.ldif", "text/plain; charset=utf-8"),
        }
    }
}

/// A Postfix `virtual(5)` table: `old<TAB>new` a line, for `postmap`.
pub fn postfix(routes: &[Route]) -> String {
    let mut out =
        String::from("# Old addresses to new ones, confirmed by their owners (Fountain).\n");
    for r in routes {
        out.push_str(&format!("{}\t{}\n", r.old, r.new));
    }
    out
}

/// `old_address,new_address` with a header line.
pub fn csv(routes: &[Route]) -> String {
    let mut out = crate::spreadsheet::line(&["old_address", "new_address"]);
    for r in routes {
        out.push_str(&crate::spreadsheet::line(&[r.old.as_str(), r.new.as_str()]));
    }
    out
}

/// LDIF change records (RFC 2849) adding each person's old addresses as `mailAlternateAddress` to
/// the entry `dn_template` names (`{email}`, `{localpart}`: their new address, escaped for a DN).
pub fn ldif(routes: &[Route], dn_template: &str) -> String {
    let mut by_person: BTreeMap<&EmailAddress, Vec<&EmailAddress>> = BTreeMap::new();
    for r in routes {
        by_person.entry(&r.new).or_default().push(&r.old);
    }
    let mut out = String::from("version: 1\n");
    for (person, olds) in by_person {
        let local = person.as_str().rsplit_once('@').map_or("", |(l, _)| l);
        let dn = dn_template
            .replace("{email}", &dn_value(person.as_str()))
            .replace("{localpart}", &dn_value(local));
        out.push('\n');
        out.push_str(&ldif_line("dn", &dn));
        out.push_str("changetype: modify\nadd: mailAlternateAddress\n");
        for old in olds {
            out.push_str(&ldif_line("mailAlternateAddress", old.as_str()));
        }
        out.push_str("-\n");
    }
    out
}

/// An attribute value escaped for a DN (RFC 4514).
fn dn_value(value: &str) -> String {
    let mut out = String::new();
    let last = value.chars().count().saturating_sub(1);
    for (i, c) in value.chars().enumerate() {
        let special = matches!(c, ',' | '+' | '"' | '\\' | '<' | '>' | ';' | '=')
            || (i == 0 && matches!(c, '#' | ' '))
            || (i == last && c == ' ');
        if special {
            out.push('\\');
        }
        out.push(c);
    }
    out
}

/// `name: value`, or `name:: base64` where the value is not a safe string; folded at 76 columns.
fn ldif_line(name: &str, value: &str) -> String {
    let safe = value
        .bytes()
        .all(|b| (1..=127).contains(&b) && b != b'\n' && b != b'\r')
        && !value.starts_with([' ', ':', '<'])
        && !value.ends_with(' ');
    let line = if safe {
        format!("{name}: {value}")
    } else {
        format!(
            "{name}:: {}",
            base64::engine::general_purpose::STANDARD.encode(value.as_bytes())
        )
    };
    // ASCII only from here: folding between bytes is folding between characters.
    let mut out = String::new();
    let bytes = line.as_bytes();
    let mut start = 0;
    while start < bytes.len() {
        let width = if start == 0 { 76 } else { 75 };
        let end = (start + width).min(bytes.len());
        if start > 0 {
            out.push(' ');
        }
        out.push_str(&line[start..end]);
        out.push('\n');
        start = end;
    }
    out
}

#[cfg(test)]
#[path = "../../../tests/it/support/ldif.rs"]
mod ldif_reader;

#[cfg(test)]
mod tests {
    use super::ldif_reader::parse_ldif;
    use super::*;
    use proptest::prelude::*;

    fn a(s: &str) -> EmailAddress {
        EmailAddress::parse(s).unwrap()
    }

    #[test]
    fn conflicts_are_kept_out_and_listed() {
        let known: HashSet<EmailAddress> = [
            a("ann@new.example.org"),
            a("bob@new.example.org"),
            a("carl@old.example.org"),
        ]
        .into();
        let found = routes(
            &[
                (a("ann@new.example.org"), a("ann@old.example.org")),
                (a("ann@new.example.org"), a("sales@old.example.org")),
                (a("bob@new.example.org"), a("sales@old.example.org")),
                (a("bob@new.example.org"), a("bob@new.example.org")),
                (a("bob@new.example.org"), a("b@old.example.org")),
                // Carl migrates within the old domain: his address is his, whoever confirms it.
                (a("bob@new.example.org"), a("carl@old.example.org")),
            ],
            &known,
        );
        assert_eq!(
            found.routes,
            vec![
                Route {
                    old: a("ann@old.example.org"),
                    new: a("ann@new.example.org")
                },
                Route {
                    old: a("b@old.example.org"),
                    new: a("bob@new.example.org")
                },
            ]
        );
        assert_eq!(
            found.conflicts,
            vec![
                Conflict {
                    address: a("carl@old.example.org"),
                    people: vec![a("bob@new.example.org"), a("carl@old.example.org")],
                },
                Conflict {
                    address: a("sales@old.example.org"),
                    people: vec![a("ann@new.example.org"), a("bob@new.example.org")],
                },
            ]
        );
    }

    #[test]
    fn ldif_groups_by_person_and_encodes_what_is_not_plain() {
        let routes = vec![
            Route {
                old: a("ann@old.example.org"),
                new: a("ann@new.example.org"),
            },
            Route {
                old: a("a.archer@old.example.org"),
                new: a("ann@new.example.org"),
            },
            Route {
                old: a("josé@old.example.org"),
                new: a("josé+x@new.example.org"),
            },
        ];
        let text = ldif(&routes, "uid={localpart},ou=people,dc=example,dc=org");
        let records = parse_ldif(&text).unwrap();
        assert_eq!(records.len(), 2);
        assert_eq!(records[0].0, "uid=ann,ou=people,dc=example,dc=org");
        assert_eq!(
            records[0].1,
            vec![
                ("changetype".to_owned(), "modify".to_owned()),
                ("add".to_owned(), "mailAlternateAddress".to_owned()),
                (
                    "mailAlternateAddress".to_owned(),
                    "ann@old.example.org".to_owned()
                ),
                (
                    "mailAlternateAddress".to_owned(),
                    "a.archer@old.example.org".to_owned()
                ),
            ]
        );
        assert_eq!(records[1].0, "uid=josé\\+x,ou=people,dc=example,dc=org");
        assert!(text.contains("dn:: "), "{text}");
    }

    proptest! {
        #[test]
        fn every_confirmed_address_routes_once_in_every_format(
            pairs in proptest::collection::vec(("[a-zé0-9._+-]{1,70}", 0usize..4), 0..20)
        ) {
            let people = ["ann@new.example.org", "bob@new.example.org", "ünal@new.example.org", "x@new.example.org"];
            let confirmed: Vec<(EmailAddress, EmailAddress)> = pairs
                .iter()
                .filter_map(|(local, who)| {
                    let old = EmailAddress::parse(&format!("{local}@old.example.org")).ok()?;
                    Some((a(people[*who]), old))
                })
                .collect();
            let found = routes(&confirmed, &HashSet::new());
            // Every confirmation is either routed to its person or listed in a conflict with them.
            for (person, old) in confirmed.iter().filter(|(p, o)| p != o) {
                let routed = found.routes.iter().any(|r| &r.old == old && &r.new == person);
                let contested = found.conflicts.iter().any(|c| &c.address == old && c.people.contains(person));
                prop_assert!(routed != contested, "{old} of {person}");
            }
            // Postfix: one key and one value a line, no key twice.
            let map = postfix(&found.routes);
            let lines: Vec<&str> = map.lines().filter(|l| !l.starts_with('#')).collect();
            prop_assert_eq!(lines.len(), found.routes.len());
            for (line, route) in lines.iter().zip(&found.routes) {
                let fields: Vec<&str> = line.split_whitespace().collect();
                prop_assert_eq!(fields, vec![route.old.as_str(), route.new.as_str()]);
            }
            // LDIF: every route comes back, under its person.
            let records = parse_ldif(&ldif(&found.routes, "mail={email},ou=people,dc=example,dc=org")).unwrap();
            let mut back: Vec<(String, String)> = records
                .iter()
                .flat_map(|(dn, attrs)| {
                    attrs
                        .iter()
                        .filter(|(n, _)| n == "mailAlternateAddress")
                        .map(move |(_, v)| (v.clone(), dn.clone()))
                })
                .collect();
            back.sort();
            let mut sent: Vec<(String, String)> = found
                .routes
                .iter()
                .map(|r| (r.old.to_string(), format!("mail={},ou=people,dc=example,dc=org", r.new.as_str().replace('+', "\\+"))))
                .collect();
            sent.sort();
            prop_assert_eq!(back, sent);
            prop_assert_eq!(csv(&found.routes).lines().count(), found.routes.len() + 1);
        }
    }
}
