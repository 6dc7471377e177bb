//! Which old addresses are a person's, from the delivery headers of their old mail. Pure.
//!
//! Where a message names its envelope recipient (`Delivered-To` and kin), that is the address that
//! delivered it, and the message says nothing else; `To`/`Cc` are a list's address or colleagues
//! copied along, so there they only count where no envelope recipient is recorded, shared between
//! the addresses the message names. Recent mail weighs more (half as much every 180 days): an
//! address retired years ago should not be routed again without someone saying so.
use std::collections::BTreeMap;

use app::dto::EmailAddress;

use super::recipients::{in_domains, Evidence, Recipient};

/// One message as read: who it was for and when it arrived (Unix seconds, if known).
#[derive(Debug, Clone)]
pub struct Sample {
    pub recipients: Vec<Recipient>,
    pub at: Option<i64>,
}

/// An address offered to the person as theirs.
#[derive(Debug, Clone, PartialEq)]
pub struct Candidate {
    pub address: EmailAddress,
    /// Messages that named it.
    pub messages: u64,
    /// Weighted evidence: an envelope recipient counts 3, a written one its share of 1; by age.
    pub score: f64,
    pub last_seen: Option<i64>,
    /// Some message had it as its envelope recipient: mail for it was delivered here.
    pub delivered: bool,
}

/// At most this many addresses are offered to one person.
pub const MAX_CANDIDATES: usize = 12;
const HALF_LIFE_DAYS: f64 = 180.0;
/// An address only ever written to (never an envelope recipient) is offered when its score is at
/// least this share of the best one's.
const SHARE_OF_BEST: f64 = 0.05;

/// The addresses in `domains` that reached the mailbox, strongest first (at most
/// [`MAX_CANDIDATES`]); the person's own new address is not offered (nothing to route).
pub fn candidates(
    samples: &[Sample],
    domains: &[String],
    own: &EmailAddress,
    now: i64,
) -> Vec<Candidate> {
    let mut found: BTreeMap<EmailAddress, Candidate> = BTreeMap::new();
    for sample in samples {
        let ours: Vec<&Recipient> = sample
            .recipients
            .iter()
            .filter(|r| in_domains(&r.address, domains))
            .collect();
        let delivered: Vec<&&Recipient> = ours
            .iter()
            .filter(|r| r.evidence == Evidence::Delivered)
            .collect();
        let enveloped = !delivered.is_empty();
        let (counted, weight): (Vec<&Recipient>, f64) = if enveloped {
            (delivered.into_iter().copied().collect(), 3.0)
        } else {
            let n = ours.len().max(1) as f64;
            (ours.clone(), 1.0 / n)
        };
        let age_days = sample
            .at
            .map_or(HALF_LIFE_DAYS, |at| (now - at).max(0) as f64 / 86_400.0);
        let recency = 0.5f64.powf(age_days / HALF_LIFE_DAYS);
        for r in counted {
            let entry = found.entry(r.address.clone()).or_insert_with(|| Candidate {
                address: r.address.clone(),
                messages: 0,
                score: 0.0,
                last_seen: None,
                delivered: false,
            });
            entry.delivered |= enveloped;
            entry.messages += 1;
            entry.score += weight * recency;
            entry.last_seen = entry.last_seen.max(sample.at);
        }
    }
    found.remove(own);
    let mut list: Vec<Candidate> = found.into_values().collect();
    list.sort_by(|a, b| b.score.total_cmp(&a.score).then(a.address.cmp(&b.address)));
    let best = list.first().map_or(0.0, |c| c.score);
    list.retain(|c| c.delivered || c.score >= best * SHARE_OF_BEST);
    list.truncate(MAX_CANDIDATES);
    list
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::jobs::cutover::recipients::recipients;
    use proptest::prelude::*;

    const NOW: i64 = 1_800_000_000;
    const DAY: i64 = 86_400;

    fn sample(header: &str, days_ago: i64) -> Sample {
        Sample {
            recipients: recipients(header.as_bytes()),
            at: Some(NOW - days_ago * DAY),
        }
    }

    fn addresses(found: &[Candidate]) -> Vec<&str> {
        found.iter().map(|c| c.address.as_str()).collect()
    }

    fn domains() -> Vec<String> {
        vec!["old.example.org".into()]
    }

    fn own() -> EmailAddress {
        EmailAddress::parse("ann@new.example.org").unwrap()
    }

    #[test]
    fn the_envelope_recipient_wins_over_lists_and_colleagues() {
        let mut mail = Vec::new();
        for day in 0..20 {
            mail.push(sample(
                "To: all-staff@old.example.org\r\nDelivered-To: ann.archer@old.example.org\r\n",
                day,
            ));
            mail.push(sample(
                "To: bob@old.example.org\r\nCc: ann.archer@old.example.org\r\nX-Original-To: ann.archer@old.example.org\r\n",
                day,
            ));
        }
        mail.push(sample("Delivered-To: a.archer@old.example.org\r\n", 2));
        mail.push(sample("Delivered-To: someone@elsewhere.example\r\n", 1));
        let found = candidates(&mail, &domains(), &own(), NOW);
        assert_eq!(
            addresses(&found),
            vec!["ann.archer@old.example.org", "a.archer@old.example.org"]
        );
        assert_eq!(found[0].messages, 40);
        assert_eq!(found[1].last_seen, Some(NOW - 2 * DAY));
    }

    #[test]
    fn without_envelope_headers_written_addresses_share_and_recent_mail_weighs_more() {
        let mut mail = Vec::new();
        for day in 0..10 {
            mail.push(sample("To: ann@old.example.org\r\n", day));
        }
        // Copied along once with three colleagues: a small share each.
        mail.push(sample(
            "To: bob@old.example.org, carol@old.example.org, dan@old.example.org, ann@old.example.org\r\n",
            1,
        ));
        // A name retired long ago: many messages, years old.
        for _ in 0..30 {
            mail.push(sample("To: ann.old@old.example.org\r\n", 1500));
        }
        let found = candidates(&mail, &domains(), &own(), NOW);
        assert_eq!(addresses(&found)[0], "ann@old.example.org");
        let retired = found
            .iter()
            .find(|c| c.address.as_str() == "ann.old@old.example.org");
        assert!(
            retired.is_none_or(|c| c.score < found[0].score / 10.0),
            "{found:?}"
        );
        assert!(
            !addresses(&found).contains(&"bob@old.example.org"),
            "{found:?}"
        );
    }

    #[test]
    fn the_persons_own_new_address_is_not_offered() {
        let own = EmailAddress::parse("ann@old.example.org").unwrap();
        let found = candidates(
            &[sample("Delivered-To: ann@old.example.org\r\n", 0)],
            &domains(),
            &own,
            NOW,
        );
        assert!(found.is_empty());
    }

    proptest! {
        #[test]
        fn any_headers_give_few_candidates_in_the_domains(
            headers in proptest::collection::vec((proptest::collection::vec(any::<u8>(), 0..200), -400i64..4000), 0..30)
        ) {
            let mail: Vec<Sample> = headers
                .iter()
                .map(|(h, days)| Sample { recipients: recipients(h), at: Some(NOW - days * DAY) })
                .collect();
            let found = candidates(&mail, &domains(), &own(), NOW);
            prop_assert!(found.len() <= MAX_CANDIDATES);
            for pair in found.windows(2) {
                prop_assert!(pair[0].score >= pair[1].score);
            }
            for c in &found {
                prop_assert!(in_domains(&c.address, &domains()));
                prop_assert!(c.score.is_finite() && c.score > 0.0 && c.messages > 0);
            }
        }
    }
}
