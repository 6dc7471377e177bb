//! Pages that follow the server: polling while something moves, and a marker that the page runs in
//! the browser (until then its buttons do nothing; tests wait for it).
use std::time::Duration;

use leptos::prelude::*;

/// Bumps `version` every `every` while `resource` holds a value `moving` says is still moving (in
/// the browser only; stops with the component). A resource keyed on `version` looks again.
pub fn poll_while<T, E>(
    resource: Resource<Result<T, E>>,
    version: WriteSignal<u32>,
    every: Duration,
    moving: fn(&T) -> bool,
) where
    T: Clone + Send + Sync + 'static,
    E: Clone + Send + Sync + 'static,
    Result<T, E>: serde::Serialize + serde::de::DeserializeOwned,
{
    Effect::new(move |_| {
        let handle = set_interval_with_handle(
            move || {
                let still = resource
                    .get_untracked()
                    .and_then(Result::ok)
                    .is_some_and(|v| moving(&v));
                if still {
                    version.update(|v| *v += 1);
                }
            },
            every,
        )
        .ok();
        on_cleanup(move || {
            if let Some(h) = handle {
                h.clear();
            }
        });
    });
}

/// `true` once the page runs in the browser, for a `data-hydrated` attribute.
pub fn hydrated() -> ReadSignal<bool> {
    let (hydrated, set_hydrated) = signal(false);
    Effect::new(move |_| set_hydrated.set(true));
    hydrated
}
