//! What Fountain reads on the old server once a person's copy is done (I/O; the decisions are in
//! [`recipients`](super::recipients) and [`discovery`](super::discovery)): after the switch, the
//! messages that arrived since, with the address each was delivered to; and the delivery headers of
//! recent mail, for the old addresses offered to the person. Headers only, read-only (EXAMINE and
//! `BODY.PEEK`), within the old server's connection budget.
use app::dto::EmailAddress;

use super::discovery::{self, Sample};
use super::recipients::{self, recipients, Recipient};
use super::store::{self, Found};
use super::{addresses, CutoverError};
use crate::engine::copy::Side;
use crate::engine::imap::transcript::Transcript;
use crate::engine::imap::{ImapError, Source};
use crate::engine::plan::folders::SpecialUse;
use crate::jobs::Migrations;

/// Headers read per folder for the old addresses: the newest this many of the last year.
const DISCOVERY_PER_FOLDER: usize = 500;
const DISCOVERY_FOLDERS: usize = 12;
const DISCOVERY_YEARS_SECS: i64 = 365 * 86_400;
/// Addresses are looked for again after this long.
const DISCOVERY_EVERY_SECS: i64 = 7 * 86_400;
/// At most this many messages a folder are recorded per read after the switch.
const ARRIVALS_PER_FOLDER: usize = 5_000;

/// After a copy of `email`'s mailbox finished: reads what arrived since their switch (if delivery
/// moved) and looks for their old addresses (if it is time). Failures are recorded, never fatal:
/// the copy is done whatever this finds.
pub async fn after_copy(
    m: &Migrations,
    email: &EmailAddress,
    source: &Side,
    folders: &[String],
    transcript: Transcript,
    now: i64,
) -> Result<(), CutoverError> {
    let switch = store::of(&m.db, email.as_str()).await?;
    let domains = &m.settings.cutover.old_domains;
    let discover = !domains.is_empty()
        && addresses::last_discovered(&m.db, email)
            .await?
            .is_none_or(|at| now - at >= DISCOVERY_EVERY_SECS);
    if switch.is_none() && !discover {
        return Ok(());
    }
    let budget = m.throttle.server(&source.endpoint);
    let _slot = budget.connection().await;
    let mut old = match Source::connect(&source.endpoint, &source.credentials, transcript).await {
        Ok(old) => old,
        Err(e) => {
            if switch.is_some() {
                store::probed(&m.db, email.as_str(), now, Some(&e.to_string())).await?;
            }
            return Err(e.into());
        }
    };
    if let Some(switch) = &switch {
        let read = arrivals(&mut old, folders, switch.switched_at, domains).await;
        match read {
            Ok(found) => {
                store::record_arrivals(&m.db, email.as_str(), &found, now).await?;
                store::probed(&m.db, email.as_str(), now, None).await?;
            }
            Err(e) => {
                store::probed(&m.db, email.as_str(), now, Some(&e.to_string())).await?;
                old.logout().await;
                return Err(e.into());
            }
        }
    }
    if discover {
        // Received mail only: what a person sent or drafted names others.
        let listed = old.list().await?;
        let received: Vec<String> = listed
            .iter()
            .filter(|f| f.selectable)
            .filter(|f| folders.contains(&f.wire_name))
            .filter(|f| {
                !matches!(
                    f.special_use,
                    Some(
                        SpecialUse::Sent
                            | SpecialUse::Drafts
                            | SpecialUse::Trash
                            | SpecialUse::Junk
                    )
                )
            })
            .map(|f| f.wire_name.clone())
            .take(DISCOVERY_FOLDERS)
            .collect();
        let mut samples = Vec::new();
        for folder in &received {
            old.examine(folder).await?;
            let read = old
                .headers_since(
                    now - DISCOVERY_YEARS_SECS,
                    recipients::FIELDS,
                    DISCOVERY_PER_FOLDER,
                )
                .await?;
            samples.extend(read.into_iter().map(|s| Sample {
                recipients: recipients(&s.header),
                at: s.internal_date,
            }));
        }
        let found = discovery::candidates(&samples, domains, email, now);
        addresses::record_discovered(&m.db, email, &found, now).await?;
    }
    old.logout().await;
    Ok(())
}

/// The messages in `folders` the old server took at or after `since`, with who each was for.
async fn arrivals(
    old: &mut Source,
    folders: &[String],
    since: i64,
    domains: &[String],
) -> Result<Vec<Found>, ImapError> {
    let mut found = Vec::new();
    for folder in folders {
        let status = old.examine(folder).await?;
        let read = old
            .headers_since(since, recipients::FIELDS, ARRIVALS_PER_FOLDER)
            .await?;
        for sample in read {
            let named = recipients(&sample.header);
            found.push(Found {
                folder: folder.clone(),
                uid_validity: status.uid_validity.unwrap_or(0),
                uid: sample.uid,
                arrived_at: sample.internal_date.unwrap_or(since),
                address: delivered_address(&named, domains),
            });
        }
    }
    Ok(found)
}

/// The address a message reached the mailbox by: in the old domains where it says, else its
/// envelope recipient, else "".
fn delivered_address(named: &[Recipient], domains: &[String]) -> String {
    recipients::delivered_to(named, domains)
        .or_else(|| {
            named
                .iter()
                .find(|r| r.evidence == recipients::Evidence::Delivered)
                .map(|r| &r.address)
        })
        .map(|a| a.as_str().to_owned())
        .unwrap_or_default()
}
