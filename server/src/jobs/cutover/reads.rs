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
use crate::engine::imap::{ImapError, ListedFolder, Source};
use crate::engine::plan::folders::SpecialUse;
use crate::engine::plan::mutf7;
use crate::engine::plan::select::{selected, Pattern};
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
    let mut slot = budget.connection().await;
    let connected = async {
        let mut old = slot
            .open(Source::connect(
                &source.endpoint,
                &source.credentials,
                transcript,
            ))
            .await?;
        let listed = old.list().await?;
        Ok::<_, ImapError>((old, listed))
    };
    let (mut old, listed) = match connected.await {
        Ok(both) => both,
        Err(e) => {
            if switch.is_some() {
                store::probed(&m.db, email.as_str(), now, Some(&e.to_string())).await?;
            }
            return Err(e.into());
        }
    };
    let chosen = chosen(&listed, folders);
    if let Some(switch) = &switch {
        // What a person files themselves (sent, drafts, deleted) is not mail arriving.
        let received = except(
            &chosen,
            &[SpecialUse::Sent, SpecialUse::Drafts, SpecialUse::Trash],
        );
        let (found, trouble) = arrivals(&mut old, &received, switch.switched_at, domains).await;
        store::record_arrivals(&m.db, email.as_str(), &found, now).await?;
        // Only a read of every folder can say the old address has gone quiet.
        store::probed(&m.db, email.as_str(), now, trouble.as_deref()).await?;
    }
    if discover {
        // Received mail only: what a person sent or drafted names others.
        let mut received = except(
            &chosen,
            &[
                SpecialUse::Sent,
                SpecialUse::Drafts,
                SpecialUse::Trash,
                SpecialUse::Junk,
            ],
        );
        received.truncate(DISCOVERY_FOLDERS);
        let mut samples = Vec::new();
        for folder in received {
            let read = async {
                old.examine(&folder.wire_name).await?;
                old.headers_since(
                    now - DISCOVERY_YEARS_SECS,
                    recipients::FIELDS,
                    DISCOVERY_PER_FOLDER,
                )
                .await
            };
            match read.await {
                Ok(read) => samples.extend(read.into_iter().map(|s| Sample {
                    recipients: recipients(&s.header),
                    at: s.internal_date,
                })),
                // A folder gone since the copy: the others still tell.
                Err(e) => {
                    tracing::warn!(folder = %folder.wire_name, error = %e, "cannot read a folder's delivery headers")
                }
            }
        }
        let mut found = discovery::candidates(&samples, domains, email, now);
        // A colleague's own address (same-domain moves) is theirs, however often it was written.
        let named: Vec<String> = found
            .iter()
            .map(|c| c.address.as_str().to_owned())
            .collect();
        let theirs = crate::db::people::ids_by_email(&m.db, &named).await?;
        found.retain(|c| !theirs.contains_key(c.address.as_str()));
        addresses::record_discovered(&m.db, email, &found, now).await?;
    }
    old.logout().await;
    Ok(())
}

/// The listed folders the copy chose (`folders` are the names people see, as the copy matches them).
fn chosen<'a>(listed: &'a [ListedFolder], folders: &[String]) -> Vec<&'a ListedFolder> {
    if folders.is_empty() {
        return Vec::new();
    }
    let include: Vec<Pattern> = folders.iter().map(|f| Pattern::exact(f)).collect();
    listed
        .iter()
        .filter(|f| f.selectable)
        .filter(|f| {
            let name = mutf7::decode(&f.wire_name).unwrap_or_else(|_| f.wire_name.clone());
            selected(&name, f.separator.unwrap_or('/'), &include, &[])
        })
        .collect()
}

/// `folders` but those of the `kinds` given.
fn except<'a>(folders: &[&'a ListedFolder], kinds: &[SpecialUse]) -> Vec<&'a ListedFolder> {
    folders
        .iter()
        .copied()
        .filter(|f| f.special_use.is_none_or(|k| !kinds.contains(&k)))
        .collect()
}

/// The messages in `folders` the old server took at or after `since`, with who each was for; and
/// what could not be read, if anything.
async fn arrivals(
    old: &mut Source,
    folders: &[&ListedFolder],
    since: i64,
    domains: &[String],
) -> (Vec<Found>, Option<String>) {
    let mut found = Vec::new();
    let mut trouble = None;
    for folder in folders {
        let read = async {
            let status = old.examine(&folder.wire_name).await?;
            let read = old
                .headers_since(since, recipients::FIELDS, ARRIVALS_PER_FOLDER)
                .await?;
            Ok::<_, ImapError>((status, read))
        };
        let (status, read) = match read.await {
            Ok(both) => both,
            Err(e) => {
                trouble.get_or_insert_with(|| e.to_string());
                continue;
            }
        };
        for sample in read {
            let named = recipients(&sample.header);
            found.push(Found {
                folder: folder.wire_name.clone(),
                uid_validity: status.uid_validity.unwrap_or(0),
                uid: sample.uid,
                arrived_at: sample.internal_date.unwrap_or(since),
                address: delivered_address(&named, domains),
            });
        }
    }
    (found, trouble)
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
