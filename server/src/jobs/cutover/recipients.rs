//! Who a message was for, from its delivery headers: the envelope recipient the old server recorded
//! (`Delivered-To`, `X-Original-To`, `Envelope-To`) and the addresses it was written to (`To`, `Cc`).
//! Pure: headers from real organisations are neither ASCII nor well-formed, so anything that is not
//! plainly an address is dropped, never guessed at.
use app::dto::EmailAddress;

/// The header fields read, as the FETCH asks for them.
pub const FIELDS: &str = "DELIVERED-TO X-ORIGINAL-TO ENVELOPE-TO TO CC";

/// How an address is known to have reached the mailbox.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Evidence {
    /// Written in `To` or `Cc`: it may be a list or a colleague the person was copied with.
    Addressed,
    /// The envelope recipient the delivering server recorded: mail for it landed here.
    Delivered,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Recipient {
    pub address: EmailAddress,
    pub evidence: Evidence,
}

/// The recipients a header block names, envelope ones first, each address once (its strongest
/// evidence).
pub fn recipients(header: &[u8]) -> Vec<Recipient> {
    let text = String::from_utf8_lossy(header);
    let mut found: Vec<Recipient> = Vec::new();
    for (name, value) in fields(&text) {
        let evidence = match name.to_ascii_lowercase().as_str() {
            "delivered-to" | "x-original-to" | "envelope-to" => Evidence::Delivered,
            "to" | "cc" => Evidence::Addressed,
            _ => continue,
        };
        for address in addresses_in(&value) {
            match found.iter_mut().find(|r| r.address == address) {
                Some(known) => known.evidence = known.evidence.max(evidence),
                None => found.push(Recipient { address, evidence }),
            }
        }
    }
    found.sort_by_key(|r| std::cmp::Reverse(r.evidence));
    found
}

/// The envelope recipient among `recipients` in one of `domains`, else the first addressed one there.
pub fn delivered_to<'a>(
    recipients: &'a [Recipient],
    domains: &[String],
) -> Option<&'a EmailAddress> {
    recipients
        .iter()
        .find(|r| in_domains(&r.address, domains))
        .map(|r| &r.address)
}

/// Whether the address is in one of `domains` (lowercase, exact: `old.example.org` is not
/// `example.org`).
pub fn in_domains(address: &EmailAddress, domains: &[String]) -> bool {
    let domain = address.as_str().rsplit_once('@').map_or("", |(_, d)| d);
    domains
        .iter()
        .any(|d| d.trim().trim_end_matches('.').eq_ignore_ascii_case(domain))
}

/// The header's fields as (name, unfolded value).
fn fields(text: &str) -> Vec<(String, String)> {
    let mut out: Vec<(String, String)> = Vec::new();
    for line in text.split('\n') {
        let line = line.strip_suffix('\r').unwrap_or(line);
        if line.starts_with([' ', '\t']) {
            if let Some((_, value)) = out.last_mut() {
                value.push(' ');
                value.push_str(line.trim());
            }
            continue;
        }
        if let Some((name, value)) = line.split_once(':') {
            let name = name.trim_end();
            if !name.is_empty() && name.bytes().all(|b| b.is_ascii_graphic()) {
                out.push((name.to_owned(), value.trim().to_owned()));
            }
        }
    }
    out
}

/// The addresses of an address-list value: `Name <a@b>`, bare `a@b`, groups (`Team: a@b, c@d;`),
/// quoted names with commas, comments; what is left that does not parse as an address is dropped.
fn addresses_in(value: &str) -> Vec<EmailAddress> {
    let mut parts: Vec<String> = vec![String::new()];
    let (mut quoted, mut escaped, mut comment, mut angle) = (false, false, 0u32, false);
    for c in value.chars() {
        if escaped {
            escaped = false;
            if comment == 0 {
                parts.last_mut().expect("one part").push(c);
            }
            continue;
        }
        match c {
            '\\' if quoted || comment > 0 => escaped = true,
            '"' if comment == 0 => {
                quoted = !quoted;
                parts.last_mut().expect("one part").push(c);
            }
            '(' if !quoted => comment += 1,
            ')' if !quoted && comment > 0 => comment -= 1,
            _ if comment > 0 => {}
            '<' if !quoted => {
                angle = true;
                parts.last_mut().expect("one part").push(c);
            }
            '>' if !quoted => {
                angle = false;
                parts.last_mut().expect("one part").push(c);
            }
            ',' | ';' if !quoted && !angle => parts.push(String::new()),
            _ => parts.last_mut().expect("one part").push(c),
        }
    }
    parts.iter().filter_map(|p| address_of(p)).collect()
}

/// One mailbox of a list, or `None`.
fn address_of(part: &str) -> Option<EmailAddress> {
    let spec = match (part.rfind('<'), part.rfind('>')) {
        (Some(open), Some(close)) if open < close => {
            let inside = &part[open + 1..close];
            // An obsolete source route (`<@relay:a@b>`) is not the address.
            inside.rsplit_once(':').map_or(inside, |(_, a)| a)
        }
        (None, None) => {
            // A group's name ends with a colon outside quotes: `Team: a@b`.
            let unquoted_colon = group_colon(part);
            unquoted_colon.map_or(part, |i| &part[i + 1..])
        }
        _ => return None,
    };
    let spec = spec.trim();
    if spec.contains('"') || spec.starts_with('#') {
        return None;
    }
    EmailAddress::parse(spec).ok()
}

/// The byte offset of a group name's colon, if the part starts with one.
fn group_colon(part: &str) -> Option<usize> {
    let mut quoted = false;
    for (i, c) in part.char_indices() {
        match c {
            '"' => quoted = !quoted,
            ':' if !quoted => return Some(i),
            '@' if !quoted => return None,
            _ => {}
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn addresses(header: &str) -> Vec<(String, Evidence)> {
        recipients(header.as_bytes())
            .into_iter()
            .map(|r| (r.address.as_str().to_owned(), r.evidence))
            .collect()
    }

    #[test]
    fn envelope_recipients_come_first_and_each_address_once() {
        let header = "To: \"Archer, Ann\" <Ann.Archer@Old.Example.org>, bob@old.example.org\r\n\
                      Cc: Team: carol@old.example.org, (a comment, with a comma) dan@old.example.org;\r\n\
                      Delivered-To: ann.archer@old.example.org\r\n\
                      X-Original-To: sales@old.example.org\r\n\r\n";
        assert_eq!(
            addresses(header),
            vec![
                ("ann.archer@old.example.org".into(), Evidence::Delivered),
                ("sales@old.example.org".into(), Evidence::Delivered),
                ("bob@old.example.org".into(), Evidence::Addressed),
                ("carol@old.example.org".into(), Evidence::Addressed),
                ("dan@old.example.org".into(), Evidence::Addressed),
            ]
        );
    }

    #[test]
    fn folded_non_ascii_and_odd_headers() {
        let header = "tO: =?utf-8?q?Jos=C3=A9?= <josé.garcía@old.example.org>,\r\n\
                      \t Ünïcode Name <ü@old.example.org>\r\n\
                      Cc: undisclosed-recipients:;\r\n\
                      Envelope-To: <@relay.example:zoë@old.example.org>\r\n\
                      To: not an address, \"quoted local\"@old.example.org, <broken\r\n";
        assert_eq!(
            addresses(header),
            vec![
                ("zoë@old.example.org".into(), Evidence::Delivered),
                ("josé.garcía@old.example.org".into(), Evidence::Addressed),
                ("ü@old.example.org".into(), Evidence::Addressed),
            ]
        );
    }

    #[test]
    fn domains_match_exactly() {
        let found = recipients(b"To: a@sub.old.example.org, b@old.example.org\r\n");
        let domains = vec!["Old.Example.org.".to_owned()];
        assert_eq!(
            delivered_to(&found, &domains).map(|a| a.as_str()),
            Some("b@old.example.org")
        );
        assert!(!in_domains(&found[0].address, &domains));
    }

    proptest! {
        #[test]
        fn any_bytes_give_addresses_that_parse_again(header in proptest::collection::vec(any::<u8>(), 0..400)) {
            for r in recipients(&header) {
                prop_assert_eq!(EmailAddress::parse(r.address.as_str()), Ok(r.address.clone()));
                prop_assert!(!r.address.as_str().starts_with('#'));
            }
        }

        #[test]
        fn any_display_name_keeps_the_address(name in "[^\"\\\\\r\n]{0,40}", local in "[a-z0-9._-]{1,12}") {
            prop_assume!(!local.starts_with('.') && !local.ends_with('.') && !local.contains(".."));
            let header = format!("To: \"{name}\" <{local}@old.example.org>\r\n");
            let found = addresses(&header);
            let expected = format!("{local}@old.example.org");
            prop_assert_eq!(found, vec![(expected, Evidence::Addressed)]);
        }
    }
}
