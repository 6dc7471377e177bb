//! Division IT's waves: each with its people, sizes and settings, and a wave's plan on demand — who
//! goes in which order (largest first), when each should start and end, and the wave's finish at p50
//! and p90 against its window, drawn as SVG on the server (one row per slot, a bar per person); a
//! wave's dashboard while it runs ([`super::wave_dashboard`]), its emails ([`super::wave_messages`])
//! and its settings.
use leptos::prelude::*;

use crate::api::{plan_wave, waves, ChangeWave, DriveWave};
use crate::components::wave_dashboard::Dashboard;
use crate::components::wave_messages::Mailing;
use crate::dto::{WaveCommand, WaveMode, WavePlan, WaveSummary};
use crate::format::{format_unix, human_duration, human_size};

/// One bar of the plan's chart: a person's copy at p50 on its slot, and where it ends at p90.
#[derive(Debug, Clone, PartialEq)]
pub struct Bar {
    pub x: f64,
    pub width: f64,
    pub y: f64,
    pub p90_x: f64,
    pub label: String,
}

/// The chart's bars in a `width` × (`row` per slot) box, the time axis up to the p90 finish.
pub fn bars(plan: &WavePlan, width: f64, row: f64) -> Vec<Bar> {
    let span = plan.finish_p90_secs.max(plan.finish_p50_secs).max(1.0);
    let x = |secs: f64| (secs / span * width).clamp(0.0, width);
    plan.people
        .iter()
        .map(|p| Bar {
            x: x(p.start_p50_secs),
            width: (x(p.finish_p50_secs) - x(p.start_p50_secs)).max(1.0),
            y: p.slot as f64 * row,
            p90_x: x(p.finish_p90_secs),
            label: format!("{} ({})", p.email, human_size(p.bytes)),
        })
        .collect()
}

/// `text` as a URL query value: every byte but the unreserved ones percent-encoded.
fn query_value(text: &str) -> String {
    text.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'.' | b'_' | b'~' => {
                (b as char).to_string()
            }
            _ => format!("%{b:02X}"),
        })
        .collect()
}

#[component]
pub fn Waves() -> impl IntoView {
    // Starting, pausing or resuming reloads the list, which shows the wave's new state.
    let drive = ServerAction::<DriveWave>::new();
    let change = ServerAction::<ChangeWave>::new();
    // Saved settings reload the list too, which shows them.
    let list = Resource::new(
        move || (drive.version().get(), change.version().get()),
        |_| waves(),
    );
    let shown = RwSignal::new(None::<(Panel, WaveSummary)>);
    let refused = move || {
        drive.value().get().and_then(Result::err).map(|e| {
            view! { <p class="error" role="alert" id="waves-refused">{e.to_string()}</p> }
        })
    };
    view! {
        <ImportForm />
        {refused}
        <Suspense fallback=|| view! { <p class="muted">"Loading…"</p> }>
            {move || Suspend::new(async move {
                match list.await {
                    Ok(all) if all.is_empty() => view! {
                        <p class="muted" id="waves-empty">"No waves yet: import a CSV file above (or fountain waves import FILE --wave NAME) to make one."</p>
                    }.into_any(),
                    Ok(all) => view! { <WaveTable waves=all shown=shown drive=drive /> }.into_any(),
                    Err(e) => view! { <p class="error">{e.to_string()}</p> }.into_any(),
                }
            })}
        </Suspense>
        {move || shown.get().map(|(panel, w)| {
            let name = w.name.as_str().to_owned();
            match panel {
                Panel::Plan => view! { <Plan name=name /> }.into_any(),
                Panel::Dashboard => {
                    let report = format!("/it/waves/report.html?wave={}", query_value(&name));
                    view! { <Dashboard name=name report=report /> }.into_any()
                }
                Panel::Emails => view! { <Mailing name=name /> }.into_any(),
                Panel::Settings => view! { <SettingsForm wave=w change=change /> }.into_any(),
            }
        })}
    }
}

/// What is shown under the list for the wave chosen.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Panel {
    Plan,
    Dashboard,
    Emails,
    Settings,
}

impl Panel {
    const ALL: [(Panel, &'static str, &'static str); 4] = [
        (Panel::Plan, "plan", "Plan"),
        (Panel::Dashboard, "dashboard", "Dashboard"),
        (Panel::Emails, "messages", "Emails"),
        (Panel::Settings, "settings", "Settings"),
    ];
}

/// The wave's copies at once, mode and window, as the server function takes them; its answer below.
#[component]
fn SettingsForm(wave: WaveSummary, change: ServerAction<ChangeWave>) -> impl IntoView {
    let when = |at: Option<i64>| at.map(format_unix).unwrap_or_default();
    let current = wave.mode;
    let mode = move |m: WaveMode, words: &'static str| {
        view! { <option value=m.as_str() selected=current == m>{words}</option> }
    };
    let answer = move || {
        change.value().get().map(|done| match done {
            Ok(()) => view! { <p class="notice" id="wave-settings-saved">"Saved: the list above shows the wave as it is now."</p> }.into_any(),
            Err(e) => view! { <p class="error" role="alert" id="wave-settings-refused">{e.to_string()}</p> }.into_any(),
        })
    };
    view! {
        <ActionForm action=change attr:id="wave-settings" attr:class="stacked">
            <h3>{format!("Settings of “{}”", wave.name)}</h3>
            <input type="hidden" name="name" value=wave.name.as_str().to_owned() />
            <label for="wave-concurrency">"Copies at once (within each server's own limit)"</label>
            <input id="wave-concurrency" name="concurrency" type="number" min="1" max="64" required value=wave.concurrency.to_string() />
            <label for="wave-mode">"Who starts each copy"</label>
            <select id="wave-mode" name="mode">
                {mode(WaveMode::Invite, "People, invited and reminded by email")}
                {mode(WaveMode::ItRun, "IT: Fountain copies for them (needs the old server's admin login)")}
            </select>
            <label for="wave-window-start">"Window opens (UTC, 2026-12-05 18:00; empty: at once)"</label>
            <input id="wave-window-start" name="window_start" type="text" value=when(wave.window_start) />
            <label for="wave-window-end">"Window closes (UTC; empty: never)"</label>
            <input id="wave-window-end" name="window_end" type="text" value=when(wave.window_end) />
            <button id="wave-settings-save" type="submit" class="button primary">"Save"</button>
        </ActionForm>
        {answer}
    }
}

/// A plain form posted to the server (multipart), so it works without scripts: the answer is a page
/// saying how many were added, or each refused line.
#[component]
fn ImportForm() -> impl IntoView {
    view! {
        <form method="post" action="/it/waves/import" enctype="multipart/form-data" id="import-form" class="stacked">
            <label for="import-wave">"Wave (made if there is none)"</label>
            <input id="import-wave" name="wave" type="text" required maxlength="80" placeholder="Finance, March" />
            <label for="import-file">"People, as CSV: a first line naming the columns (email; optional old_login, destination, note)"</label>
            <input id="import-file" name="file" type="file" accept=".csv,text/csv" required />
            <button id="import-submit" type="submit" class="button primary">"Import"</button>
        </form>
    }
}

#[component]
fn WaveTable(
    waves: Vec<WaveSummary>,
    shown: RwSignal<Option<(Panel, WaveSummary)>>,
    drive: ServerAction<DriveWave>,
) -> impl IntoView {
    let rows = waves
        .into_iter()
        .enumerate()
        .map(|(i, w)| {
            let name = w.name.as_str().to_owned();
            let report = format!("/it/waves/report.csv?wave={}", query_value(&name));
            let window = match (w.window_start, w.window_end) {
                (Some(s), Some(e)) => format!("{} – {}", format_unix(s), format_unix(e)),
                (Some(s), None) => format!("from {}", format_unix(s)),
                _ => "not scheduled".to_owned(),
            };
            let command = WaveCommand::offered(w.state).map(|(command, words)| {
                let name = name.clone();
                view! {
                    <button type="button" class="button primary" id=format!("wave-{i}-{}", command.as_str())
                        disabled=move || drive.pending().get()
                        on:click=move |_| {
                            drive.dispatch(DriveWave { name: name.clone(), command });
                        }>{words}</button>
                    " "
                }
            });
            let panels = Panel::ALL
                .into_iter()
                .map(|(panel, id, words)| {
                    let w = w.clone();
                    view! {
                        <button type="button" class="button" id=format!("wave-{i}-{id}")
                            on:click=move |_| shown.set(Some((panel, w.clone())))>{words}</button>
                        " "
                    }
                })
                .collect_view();
            view! {
                <tr id=format!("wave-{i}") data-state=w.state.as_str()>
                    <td>{name.clone()}</td>
                    <td>{w.state.as_str()}</td>
                    <td>{match w.mode { crate::dto::WaveMode::Invite => "invite", crate::dto::WaveMode::ItRun => "IT-run" }}</td>
                    <td class="num">{format!("{} ({} sized, {})", w.members, w.scanned, human_size(w.bytes))}</td>
                    <td class="num">{w.concurrency}</td>
                    <td>{window}</td>
                    <td>
                        {command}
                        {panels}
                        <a href=report rel="external" download="wave-report.csv" id=format!("wave-{i}-report")>"Results as CSV"</a>
                    </td>
                </tr>
            }
        })
        .collect_view();
    view! {
        <div class="table-wrap">
            <table class="table" id="waves">
                <thead><tr><th>"Wave"</th><th>"State"</th><th>"Mode"</th><th>"People"</th><th>"At once"</th><th>"Window (UTC)"</th><th></th></tr></thead>
                <tbody>{rows}</tbody>
            </table>
        </div>
    }
}

#[component]
fn Plan(name: String) -> impl IntoView {
    let shown = name.clone();
    let plan = Resource::new(move || name.clone(), plan_wave);
    view! {
        <Suspense fallback=|| view! { <p class="muted">"Planning…"</p> }>
            {move || {
                let shown = shown.clone();
                Suspend::new(async move {
                    match plan.await {
                        Ok(p) => view! { <PlanView name=shown plan=p /> }.into_any(),
                        Err(e) => view! { <p class="error">{e.to_string()}</p> }.into_any(),
                    }
                })
            }}
        </Suspense>
    }
}

#[component]
fn PlanView(name: String, plan: WavePlan) -> impl IntoView {
    const W: f64 = 600.0;
    const ROW: f64 = 18.0;
    let height = ROW * plan.slots.max(1) as f64;
    let mb = |r: f64| r / 1_000_000.0;
    let rate = match plan.measured_copies {
        0 => format!("{:.1} MB/s per copy, assumed (nothing measured on the old server yet)", mb(plan.rate_p50)),
        n => format!(
            "{:.1} MB/s per copy typically, {:.1} when slow, measured over {n} cop{} on the old server",
            mb(plan.rate_p50),
            mb(plan.rate_p10),
            if n == 1 { "y" } else { "ies" }
        ),
    };
    let ends = format!(
        "Ends {} after it starts (p90 {}); no order could end before {}.",
        human_duration(plan.finish_p50_secs.round() as u64),
        human_duration(plan.finish_p90_secs.round() as u64),
        human_duration(plan.lower_bound_secs.round() as u64),
    );
    let fits = plan.window_fit().map(|fit| format!("It {fit}."));
    let chart = bars(&plan, W, ROW)
        .into_iter()
        .map(|b| {
            view! {
                <g>
                    <title>{b.label}</title>
                    <rect x=format!("{:.1}", b.x) y=format!("{:.1}", b.y + 2.0) width=format!("{:.1}", b.width)
                        height=format!("{:.1}", ROW - 4.0) class="bar" />
                    <line x1=format!("{:.1}", b.x + b.width) x2=format!("{:.1}", b.p90_x)
                        y1=format!("{:.1}", b.y + ROW / 2.0) y2=format!("{:.1}", b.y + ROW / 2.0) class="p90" stroke="currentColor" />
                </g>
            }
        })
        .collect_view();
    let order = plan
        .people
        .iter()
        .enumerate()
        .map(|(i, p)| view! { <li>{format!("{}. {} — {}", i + 1, p.email, human_size(p.bytes))}</li> })
        .collect_view();
    view! {
        <div class="plan" id="wave-plan" data-wave=name.clone()>
            <h3>{format!("Plan of “{name}”: {} people, {} copies at once", plan.people.len(), plan.slots)}</h3>
            <p id="wave-plan-rate">{rate}</p>
            <p id="wave-plan-ends">{ends}" "{fits}</p>
            <svg id="wave-plan-chart" viewBox=format!("0 0 {W} {height}") width=W height=height role="img"
                aria-label="Each slot's copies over time, largest first">
                {chart}
            </svg>
            <ol id="wave-plan-order" class="numbered">{order}</ol>
            {(!plan.not_sized.is_empty()).then(|| view! {
                <p id="wave-plan-unsized">{format!("Not sized yet (no finished scan), not planned: {}", plan.not_sized.join(", "))}</p>
            })}
            {(!plan.already_done.is_empty()).then(|| view! {
                <p id="wave-plan-done">{format!("Already copied: {}", plan.already_done.join(", "))}</p>
            })}
        </div>
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::dto::PlannedPerson;

    fn person(slot: usize, start: f64, end: f64, p90: f64) -> PlannedPerson {
        PlannedPerson {
            email: format!("p{slot}@example.org"),
            bytes: 1_000,
            slot,
            start_p50_secs: start,
            finish_p50_secs: end,
            finish_p90_secs: p90,
        }
    }

    #[test]
    fn wave_names_go_into_a_link_whole() {
        assert_eq!(
            query_value("Finance – März & co"),
            "Finance%20%E2%80%93%20M%C3%A4rz%20%26%20co"
        );
    }

    #[test]
    fn bars_sit_on_their_slot_and_the_axis_ends_at_the_p90_finish() {
        let plan = WavePlan {
            rate_p50: 1.0,
            rate_p10: 0.5,
            measured_copies: 2,
            slots: 2,
            people: vec![person(0, 0.0, 50.0, 100.0), person(1, 0.0, 25.0, 50.0)],
            not_sized: vec![],
            already_done: vec![],
            finish_p50_secs: 50.0,
            finish_p90_secs: 100.0,
            lower_bound_secs: 40.0,
            window_secs: None,
        };
        let b = bars(&plan, 600.0, 18.0);
        assert_eq!(
            (b[0].x, b[0].width, b[0].y, b[0].p90_x),
            (0.0, 300.0, 0.0, 600.0)
        );
        assert_eq!((b[1].width, b[1].y, b[1].p90_x), (150.0, 18.0, 300.0));
        assert!(b.iter().all(|b| b.x + b.width <= 600.0 && b.p90_x <= 600.0));
    }
}
