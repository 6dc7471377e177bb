//! What copies have really moved on the old server, for the estimates: each measured copy is one
//! person's first finished request, its bytes over the time it spent copying (pauses and queueing
//! left out). Pure: the requests' log and sizes in, rates out.
use std::collections::HashMap;

/// Bytes per second of each request in `bytes` (request → bytes it copied) that `events` (request, at,
/// state it went to; oldest first) show copying and then done.
pub fn copy_rates<'a>(
    events: impl IntoIterator<Item = (i64, i64, &'a str)>,
    bytes: &HashMap<i64, u64>,
) -> Vec<f64> {
    let mut copying_since: HashMap<i64, i64> = HashMap::new();
    let mut spent: HashMap<i64, i64> = HashMap::new();
    let mut done = Vec::new();
    for (request, at, to) in events {
        if !bytes.contains_key(&request) {
            continue;
        }
        // Any change ends a stretch of copying; a change to copying starts one. The log counts
        // whole seconds: a stretch within one second counts as one (a slower rate, never none).
        if let Some(since) = copying_since.remove(&request) {
            *spent.entry(request).or_default() += (at - since).max(1);
        }
        match to {
            "copying" => {
                copying_since.insert(request, at);
            }
            "done" => done.push(request),
            _ => {}
        }
    }
    done.into_iter()
        .filter_map(|request| {
            let secs = *spent.get(&request)?;
            let bytes = *bytes.get(&request)?;
            (secs > 0 && bytes > 0).then(|| bytes as f64 / secs as f64)
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn pauses_and_queueing_are_not_copying_time() {
        let bytes = HashMap::from([(1, 1_000_000), (2, 500)]);
        let events = [
            (1, 0, "queued"),
            (1, 100, "copying"),
            (1, 110, "paused"),
            (1, 500, "queued"),
            (1, 600, "copying"),
            (1, 610, "done"),
            // Never done: not a measurement.
            (2, 0, "copying"),
            (2, 50, "failed"),
            // Not one of the requests asked about.
            (3, 0, "copying"),
            (3, 1, "done"),
        ];
        assert_eq!(copy_rates(events, &bytes), [50_000.0]);
    }

    proptest! {
        #[test]
        fn rates_are_positive_and_one_per_done_request(
            events in proptest::collection::vec((0i64..5, 0i64..1000, prop_oneof![Just("copying"), Just("paused"), Just("done"), Just("queued")]), 0..60),
        ) {
            let mut events = events;
            events.sort_by_key(|e| e.1);
            let bytes: HashMap<i64, u64> = (0..5).map(|r| (r, 1_000 * (r as u64 + 1))).collect();
            let rates = copy_rates(events.iter().map(|(r, at, to)| (*r, *at, *to)), &bytes);
            prop_assert!(rates.iter().all(|r| r.is_finite() && *r > 0.0));
            let dones = events.iter().filter(|e| e.2 == "done").count();
            prop_assert!(rates.len() <= dones);
        }
    }
}
