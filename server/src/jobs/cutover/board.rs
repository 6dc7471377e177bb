//! IT's view after the switch: who is caught up, what still reaches the old server and for which
//! address, and who is quiet — the list to read before the old server is turned off.
use std::collections::HashMap;

use app::dto::{Arrived, CutoverBoard, CutoverPerson, EmailAddress, Quietness};
use sea_orm::{ConnectionTrait, DbErr, EntityTrait};

use super::quiet::quietness;
use super::store;
use crate::db::entity::wave;
use crate::jobs::waves::report::latest_requests;

pub async fn board(db: &impl ConnectionTrait, quiet_secs: i64) -> Result<CutoverBoard, DbErr> {
    let switches = store::all(db).await?;
    let arrived = store::arrivals_by_address(db).await?;
    let emails: Vec<String> = switches.iter().map(|s| s.email.clone()).collect();
    let users = crate::db::people::ids_by_email(db, &emails).await?;
    let ids: Vec<i64> = users.values().copied().collect();
    let latest = latest_requests(db, &ids).await?;
    let waves: HashMap<i64, String> = wave::Entity::find()
        .all(db)
        .await?
        .into_iter()
        .map(|w| (w.id, w.name))
        .collect();
    let mut people: Vec<CutoverPerson> = switches
        .into_iter()
        .filter_map(|s| {
            let mut by_address: Vec<Arrived> = arrived
                .get(&s.email)
                .into_iter()
                .flatten()
                .map(|(address, messages, last)| Arrived {
                    address: address.clone(),
                    messages: *messages,
                    last: *last,
                })
                .collect();
            by_address.sort_by(|a, b| b.messages.cmp(&a.messages).then(b.last.cmp(&a.last)));
            let last_arrival = by_address.iter().map(|a| a.last).max();
            let migration = users
                .get(&s.email)
                .and_then(|id| latest.get(id))
                .and_then(|r| app::dto::RequestState::parse(&r.state));
            Some(CutoverPerson {
                email: EmailAddress::parse(&s.email).ok()?,
                wave: s.wave_id.and_then(|id| waves.get(&id).cloned()),
                switched_at: s.switched_at,
                catch_ups: u32::try_from(s.catch_ups).unwrap_or(0),
                last_catch_up_at: s.last_catch_up_at,
                next_catch_up_at: s.next_catch_up_at,
                migration,
                quietness: quietness(s.switched_at, last_arrival, s.probed_at, quiet_secs),
                trouble: s.probe_error,
                arrived: by_address,
            })
        })
        .collect();
    people.sort_by_key(|p| (p.quietness.is_quiet(), order(p.quietness)));
    let quiet = people.iter().filter(|p| p.quietness.is_quiet()).count() as u64;
    Ok(CutoverBoard { people, quiet })
}

/// Those with mail still coming first, then those not read yet, then those listening.
fn order(q: Quietness) -> u8 {
    match q {
        Quietness::StillArriving { .. } => 0,
        Quietness::NotReadYet => 1,
        Quietness::Listening { .. } => 2,
        Quietness::Quiet { .. } => 3,
    }
}
