//! A wave's dashboard on the IT page: people by state, bytes done of the total, throughput, the
//! finish at p50 and p90 against the window, the slowest and the stuck, failures by class, and the
//! plots (bytes over time, burn-down, throughput, each person's bar) drawn as SVG on the server
//! ([`crate::charts`]). It follows the wave every few seconds while the wave runs.
use std::time::Duration;

use leptos::prelude::*;

use crate::api::wave_board;
use crate::charts;
use crate::components::live::poll_while;
use crate::dto::{WaveDashboard, WaveState};
use crate::format::{format_unix, human_duration, human_size};

#[component]
pub fn Dashboard(name: String, report: String) -> impl IntoView {
    let (version, set_version) = signal(0u32);
    let shown = name.clone();
    let data = Resource::new(
        move || (name.clone(), version.get()),
        |(name, _)| wave_board(name),
    );
    poll_while(data, set_version, Duration::from_secs(3), |d| {
        matches!(d.state, WaveState::Running | WaveState::Paused)
    });
    view! {
        <div class="dashboard" id="wave-dashboard" data-wave=shown>
            <Transition fallback=|| view! { <p class="muted">"Reading the wave…"</p> }>
                {move || {
                    let report = report.clone();
                    Suspend::new(async move {
                        match data.await {
                            Ok(d) => view! { <DashboardView d=d report=report /> }.into_any(),
                            Err(e) => view! { <p class="error">{e.to_string()}</p> }.into_any(),
                        }
                    })
                }}
            </Transition>
        </div>
    }
}

#[component]
fn DashboardView(d: WaveDashboard, report: String) -> impl IntoView {
    let share = if d.bytes_total == 0 {
        0.0
    } else {
        d.bytes_done as f64 / d.bytes_total as f64 * 100.0
    };
    let bytes = format!(
        "{} of {} copied ({share:.0}%){}",
        human_size(d.bytes_done),
        human_size(d.bytes_total),
        if d.not_sized > 0 {
            format!("; {} not sized yet", d.not_sized)
        } else {
            String::new()
        }
    );
    let throughput = d.throughput.map_or_else(
        || "Throughput: nothing moved in the last minutes.".to_owned(),
        |r| {
            format!(
                "Throughput: {}/s over the last minutes.",
                human_size(r.round() as u64)
            )
        },
    );
    let rate = match d.measured_copies {
        0 => "the configured rate (nothing measured on the old server yet)".to_owned(),
        n => format!(
            "the rate of {n} cop{} measured on the old server",
            if n == 1 { "y" } else { "ies" }
        ),
    };
    let finish = match (d.finish_p50, d.finish_p90) {
        (Some(p50), Some(p90)) => format!(
            "If it goes on from now: done by {} typically, {} when slow (UTC; in {} / {}), from {rate}.{}",
            format_unix(p50),
            format_unix(p90),
            human_duration((p50 - d.now).max(0) as u64),
            human_duration((p90 - d.now).max(0) as u64),
            d.window_fit().map(|f| format!(" It {f}.")).unwrap_or_default()
        ),
        _ => "Nothing sized is left to copy.".to_owned(),
    };
    let states = d
        .by_state
        .iter()
        .map(|(s, n)| view! { <li data-state=s.in_words().to_owned()>{format!("{} {}", n, s.in_words())}</li> })
        .collect_view();
    let slowest = d
        .slowest(5)
        .into_iter()
        .map(|p| {
            let rate = p.bytes_per_sec.map_or("?".to_owned(), |r| {
                format!("{}/s", human_size(r.round() as u64))
            });
            view! { <li>{format!("{} — {rate}", p.email)}</li> }
        })
        .collect_view();
    let stuck = d
        .stuck()
        .into_iter()
        .map(|p| view! { <li>{p.email.clone()}</li> })
        .collect_view();
    let failures = d
        .failures
        .iter()
        .map(|(class, n)| view! { <li>{format!("{n} {}", class.label())}</li> })
        .collect_view();
    let none =
        |empty: bool, words: &'static str| empty.then(|| view! { <li class="muted">{words}</li> });
    let (no_slow, no_stuck, no_failures) = (
        none(d.slowest(1).is_empty(), "no copy running"),
        none(d.stuck().is_empty(), "nobody"),
        none(d.failures.is_empty(), "none"),
    );
    let people = d
        .people
        .iter()
        .take(charts::MOST_BARS)
        .map(|p| {
            let total = p.bytes_total.map_or("?".to_owned(), human_size);
            let at = |t: Option<i64>| t.map_or("—".to_owned(), format_unix);
            view! {
                <tr>
                    <td>{p.email.clone()}</td>
                    <td>{p.standing.in_words()}</td>
                    <td class="num">{format!("{} of {total}", human_size(p.bytes_done))}</td>
                    <td>{at(p.finish_p50)}</td>
                    <td>{at(p.finish_p90)}</td>
                </tr>
            }
        })
        .collect_view();
    let plots = [
        charts::bytes_over_time(&d),
        charts::burn_down(&d),
        charts::throughput_over_time(&d),
        charts::people_bars(&d.people),
    ];
    let [bytes_chart, burn_chart, rate_chart, people_chart] = plots;
    view! {
        <h3>{format!("“{}”: {}", d.name, d.state.as_str())}</h3>
        <p id="wave-dashboard-bytes" data-done=d.bytes_done.to_string() data-total=d.bytes_total.to_string()>{bytes}</p>
        <p id="wave-dashboard-throughput">{throughput}</p>
        <p id="wave-dashboard-finish">{finish}</p>
        <div class="dashboard-lists">
            <div><h4>"People"</h4><ul id="wave-dashboard-states">{states}</ul></div>
            <div><h4>"Slowest copies"</h4><ul id="wave-dashboard-slowest">{slowest}{no_slow}</ul></div>
            <div><h4>"Stuck"</h4><ul id="wave-dashboard-stuck">{stuck}{no_stuck}</ul></div>
            <div><h4>"Failures by class"</h4><ul id="wave-dashboard-failures">{failures}{no_failures}</ul></div>
        </div>
        <div class="plots">
            <figure inner_html=bytes_chart></figure>
            <figure inner_html=burn_chart></figure>
            <figure inner_html=rate_chart></figure>
            <figure inner_html=people_chart></figure>
        </div>
        <div class="table-wrap">
            <table class="table" id="wave-dashboard-people">
                <thead><tr><th>"Person"</th><th>"State"</th><th>"Copied"</th><th>"Done by (p50, UTC)"</th><th>"When slow (p90)"</th></tr></thead>
                <tbody>{people}</tbody>
            </table>
        </div>
        <p><a href=report rel="external" target="_blank" id="wave-dashboard-report">"Printable report"</a></p>
    }
}
