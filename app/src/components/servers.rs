//! Division IT's servers: each configured server with its limits (configured and in force), how it
//! is doing now (connections, the adaptive limit and its history, latency, errors), the form that
//! changes its limits without a restart, and every change with who and why.
use std::time::Duration;

use leptos::form::ActionForm;
use leptos::prelude::*;

use crate::api::{server_statuses, SetServerLimits};
use crate::components::live::poll_while;
use crate::components::sparkline::Sparkline;
use crate::dto::{LimitChange, ServerLimits, ServerRole, ServerStatus};
use crate::format::format_unix;

#[component]
pub fn Servers() -> impl IntoView {
    let change = ServerAction::<SetServerLimits>::new();
    let (version, set_version) = signal(0u32);
    // Followed while something moves on a server.
    let live = Resource::new(move || version.get(), |_| server_statuses());
    poll_while(live, set_version, Duration::from_secs(3), |s| {
        s.iter().any(ServerStatus::busy)
    });
    // The forms' values: read again only after a change, never while someone types.
    let saved = Resource::new(move || change.version().get(), |_| server_statuses());
    Effect::new(move |previous: Option<()>| {
        change.version().track();
        if previous.is_some() {
            set_version.update(|v| *v += 1);
        }
    });
    view! {
        {move || change.value().get().map(|outcome| match outcome {
            Ok(_) => view! { <p class="notice" id="limits-outcome">"Saved: in force for the next connection."</p> }.into_any(),
            Err(e) => view! { <p class="error" role="alert" id="limits-outcome">{e.to_string()}</p> }.into_any(),
        })}
        <div class="servers">
            // The servers to show: the two every configuration has, and each destination IT
            // configured besides (read again only after a change, so open forms stay open).
            <Transition fallback=|| view! { <p class="muted">"Loading…"</p> }>
                {move || Suspend::new(async move {
                    let roles = roles_of(&saved.await.unwrap_or_default());
                    roles
                        .into_iter()
                        .map(|role| view! { <ServerCard role=role live=live saved=saved change=change /> })
                        .collect_view()
                })}
            </Transition>
        </div>
        <p class="muted">
            "The latest 20 changes are listed under each server. "
            <a href="/it/server-limits.csv" rel="external" download="server-limits.csv" id="server-limits-csv">"Export every change as CSV"</a>
        </p>
    }
}

/// The old and new servers, then each configured destination in the order given.
fn roles_of(statuses: &[ServerStatus]) -> Vec<ServerRole> {
    let mut roles = ServerRole::FIXED.to_vec();
    roles.extend(
        statuses
            .iter()
            .map(|s| s.role.clone())
            .filter(|r| matches!(r, ServerRole::Destination(_))),
    );
    roles
}

type Statuses = Resource<Result<Vec<ServerStatus>, crate::error::AppError>>;

#[component]
fn ServerCard(
    role: ServerRole,
    live: Statuses,
    saved: Statuses,
    change: ServerAction<SetServerLimits>,
) -> impl IntoView {
    let id = format!("server-{}", role.element_key());
    let (shown, formed) = (role.clone(), role);
    view! {
        <article class="server" id=id>
            <Transition fallback=|| view! { <p class="muted">"Loading…"</p> }>
                {move || {
                    let role = shown.clone();
                    Suspend::new(async move {
                        match live.await {
                            Ok(all) => match all.into_iter().find(|s| s.role == role) {
                                Some(s) => view! { <ServerState s=s /> }.into_any(),
                                None => view! {
                                    <h3>{role.label()}</h3>
                                    <p class="muted">"Not configured yet: migrations open once [migration] is set."</p>
                                }
                                .into_any(),
                            },
                            Err(e) => view! { <p class="error">{e.to_string()}</p> }.into_any(),
                        }
                    })
                }}
            </Transition>
            <Suspense fallback=|| ()>
                {move || {
                    let role = formed.clone();
                    Suspend::new(async move {
                        saved
                            .await
                            .ok()
                            .and_then(|all| all.into_iter().find(|s| s.role == role))
                            .map(|s| view! { <LimitsForm role=s.role.clone() now=s.in_force change=change /> })
                    })
                }}
            </Suspense>
        </article>
    }
}

#[component]
fn ServerState(s: ServerStatus) -> impl IntoView {
    let key = s.role.element_key();
    let id = |what: &str| format!("server-{key}-{what}");
    let live = &s.live;
    let latency = live
        .latency_ms
        .map_or_else(|| "—".to_owned(), |ms| format!("{ms:.0} ms"));
    let rate = |l: &ServerLimits| {
        l.max_mb_per_sec
            .map_or_else(|| "no limit".to_owned(), |r| format!("{r} MB/s"))
    };
    let claims = |l: &ServerLimits| if l.claims_paused { "paused" } else { "open" };
    let top = s
        .in_force
        .max_connections
        .max(live.history.iter().map(|h| h.1).max().unwrap_or(1));
    view! {
        <h3>{s.role.label()}" · "<code>{s.address.clone()}</code></h3>
        <p class="muted">{format!("Logs in by {}; kind {}.", s.auth, s.profile)}</p>
        {live.guard.clone().map(|why| view! {
            <p class="error" id=id("guard")>{format!("Load guard: {why}. Copies running go on, more slowly.")}</p>
        })}
        {s.in_force.claims_paused.then(|| view! {
            <p class="notice" id=id("paused")>{if s.role == ServerRole::Old {
                "New scans and copies wait: IT paused new claims on this server. Those running go on."
            } else {
                "New copies to this server wait: IT paused new claims on it. Those running go on."
            }}</p>
        })}
        <table class="table">
            <thead><tr><th>"Limit"</th><th>"Configured"</th><th>"In force"</th></tr></thead>
            <tbody>
                <tr>
                    <td>"Connections at once"</td>
                    <td>{s.configured.max_connections}</td>
                    <td id=id("max")>{s.in_force.max_connections}</td>
                </tr>
                <tr><td>"MB per second"</td><td>{rate(&s.configured)}</td><td id=id("rate")>{rate(&s.in_force)}</td></tr>
                <tr><td>"New claims"</td><td>{claims(&s.configured)}</td><td id=id("claims")>{claims(&s.in_force)}</td></tr>
            </tbody>
        </table>
        <dl class="live">
            <dt>"Connections open"</dt>
            <dd id=id("open")>{s.connections_line()}</dd>
            <dt>"Operations at once (adaptive limit)"</dt>
            <dd id=id("limit")>{format!("{} allowed, {} running", live.adaptive_limit, live.operations_in_flight)}</dd>
            <dt>"Latency"</dt>
            <dd id=id("latency")>{latency}</dd>
            <dt>"Errors in the last minute"</dt>
            <dd id=id("errors")>{live.errors_last_minute}</dd>
        </dl>
        <p class="muted">"The adaptive limit over time (it grows while the server answers quickly and halves on errors):"</p>
        <Sparkline
            id=id("history")
            history=live.history.clone()
            until=live.observed_at
            top=top
            label=format!("Adaptive limit of the {}", s.role.label().to_lowercase())
        />
        <Changes id=id("changes") changes=s.changes />
    }
}

#[component]
fn Changes(id: String, changes: Vec<LimitChange>) -> impl IntoView {
    if changes.is_empty() {
        return view! { <p class="muted" id=id>"Nobody changed these limits yet."</p> }.into_any();
    }
    let rows = changes
        .into_iter()
        .map(|c| {
            let what = format!(
                "{} connections, {}, new claims {}",
                c.limits.max_connections,
                c.limits
                    .max_mb_per_sec
                    .map_or_else(|| "no MB/s limit".to_owned(), |r| format!("{r} MB/s")),
                if c.limits.claims_paused {
                    "paused"
                } else {
                    "open"
                }
            );
            view! {
                <tr>
                    <td>{format_unix(c.at)}</td>
                    <td>{c.by}</td>
                    <td>{what}</td>
                    <td>{c.reason}</td>
                </tr>
            }
        })
        .collect_view();
    view! {
        <div class="table-wrap">
            <table class="table" id=id>
                <thead><tr><th>"When (UTC)"</th><th>"Who"</th><th>"Set to"</th><th>"Why"</th></tr></thead>
                <tbody>{rows}</tbody>
            </table>
        </div>
    }
    .into_any()
}

#[component]
fn LimitsForm(
    role: ServerRole,
    now: ServerLimits,
    change: ServerAction<SetServerLimits>,
) -> impl IntoView {
    let r = role.as_str().to_owned();
    let [open, form, connections, rate, paused, reason, save] = [
        "open",
        "form",
        "connections",
        "rate",
        "paused",
        "reason",
        "save",
    ]
    .map(|what| format!("limits-{r}-{what}"));
    view! {
        <details class="limits-form">
            <summary id=open>"Change these limits"</summary>
            <ActionForm action=change attr:id=form attr:class="stacked">
                <input type="hidden" name="server" value=r />
                <label for=connections.clone()>"Connections at once (from the next connection on)"</label>
                <input
                    id=connections
                    name="max_connections"
                    type="number"
                    min="1"
                    max=ServerLimits::MAX_CONNECTIONS.to_string()
                    required
                    value=now.max_connections.to_string()
                />
                <label for=rate.clone()>"MB per second (empty: no limit)"</label>
                <input
                    id=rate
                    name="max_mb_per_sec"
                    inputmode="decimal"
                    value=now.max_mb_per_sec.map(|r| r.to_string()).unwrap_or_default()
                />
                <label>
                    <input id=paused type="checkbox" name="claims_paused" value="true" checked=now.claims_paused />
                    " Pause new claims (nothing new starts here; what runs goes on)"
                </label>
                <label for=reason.clone()>"Why (recorded with your name)"</label>
                <textarea id=reason name="reason" required minlength="3"></textarea>
                <button id=save type="submit" class="button primary">"Save"</button>
            </ActionForm>
        </details>
    }
}
