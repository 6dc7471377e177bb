//! A wave's printable report (`/it/waves/report.html?wave=NAME`): where it stands, its plots (the
//! same SVG as the dashboard's, so they print and need no script), and each person's results —
//! folders, messages and bytes on the old server against the new, kept aside, left behind. Pure:
//! the dashboard and the rows in, the page out.
use app::charts;
use app::dto::WaveDashboard;
use app::format::{format_unix, human_size};

use crate::jobs::waves::report::Row;
use crate::notify::html::escape;

pub fn page(d: &WaveDashboard, rows: &[Row]) -> String {
    let name = escape(d.name.as_str());
    let window = match (d.window_start, d.window_end) {
        (Some(s), Some(e)) => format!("{} – {} (UTC)", format_unix(s), format_unix(e)),
        (Some(s), None) => format!("from {} (UTC)", format_unix(s)),
        _ => "none".to_owned(),
    };
    let states: Vec<String> = d
        .by_state
        .iter()
        .map(|(s, n)| format!("{n} {}", s.in_words()))
        .collect();
    let failures: Vec<String> = d
        .failures
        .iter()
        .map(|(class, n)| format!("{n} {}", class.label()))
        .collect();
    let finish = match (d.finish_p50, d.finish_p90) {
        (Some(p50), Some(p90)) => format!(
            "{} typically, {} when slow (UTC){}",
            format_unix(p50),
            format_unix(p90),
            d.window_fit()
                .map(|f| format!(": it {f}"))
                .unwrap_or_default()
        ),
        _ => "nothing sized is left to copy".to_owned(),
    };
    let count = |n: Option<u64>| n.map_or("?".to_owned(), |n| n.to_string());
    let table: String = rows
        .iter()
        .map(|r| {
            let t = &r.totals;
            format!(
                "<tr><td>{}</td><td>{}</td><td class=\"num\">{}</td><td class=\"num\">{}</td><td class=\"num\">{}</td>\
                 <td class=\"num\">{}</td><td class=\"num\">{}</td><td class=\"num\">{}</td><td class=\"num\">{}</td>\
                 <td class=\"num\">{}</td></tr>",
                escape(&r.email),
                escape(&r.state),
                t.folders,
                t.source_messages,
                count(t.destination_messages),
                human_size(t.source_bytes),
                t.destination_bytes.map_or("?".to_owned(), human_size),
                t.quarantined,
                t.left_behind,
                t.repaired,
            )
        })
        .collect();
    let more = d.people.len().saturating_sub(charts::MOST_BARS);
    format!(
        r#"<!DOCTYPE html><html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>Wave “{name}” — Fountain</title><link rel="stylesheet" href="/pkg/fountain.css"></head>
<body class="printable"><main class="page report" id="wave-report">
<h1>Wave “{name}”</h1>
<p class="muted">Read {read} (UTC). State: {state}. Window: {window}.</p>
<section class="card"><h2>Where it stands</h2><ul id="wave-report-summary">
<li>{done} of {total} copied ({people} people{not_sized}).</li>
<li>People: {states}.</li>
<li>Finish: {finish}.</li>
<li>Failures by class: {failures}.</li>
</ul></section>
<section class="card"><h2>Progress</h2>{bytes}{burn}{rate}</section>
<section class="card"><h2>Each person</h2>{bars}{more}</section>
<section class="card"><h2>Results</h2><table class="table" id="wave-report-results"><thead><tr>
<th>Email</th><th>State</th><th>Folders</th><th>Messages (old)</th><th>Messages (new)</th><th>Bytes (old)</th><th>Bytes (new)</th><th>Kept aside</th><th>Left behind</th><th>Repaired</th>
</tr></thead><tbody>{table}</tbody></table></section>
</main></body></html>"#,
        read = format_unix(d.now),
        state = d.state.as_str(),
        window = escape(&window),
        done = human_size(d.bytes_done),
        total = human_size(d.bytes_total),
        people = d.people.len(),
        not_sized = if d.not_sized > 0 {
            format!(", {} not sized yet", d.not_sized)
        } else {
            String::new()
        },
        states = escape(&states.join(", ")),
        finish = escape(&finish),
        failures = escape(&if failures.is_empty() {
            "none".to_owned()
        } else {
            failures.join(", ")
        }),
        bytes = charts::bytes_over_time(d),
        burn = charts::burn_down(d),
        rate = charts::throughput_over_time(d),
        bars = charts::people_bars(&d.people),
        more = if more > 0 {
            format!("<p class=\"muted\">And {more} more: every person is in the results below.</p>")
        } else {
            String::new()
        },
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::jobs::waves::report::Totals;
    use app::dto::{RequestState, Standing, WaveName, WaveSample, WaveState};

    #[test]
    fn the_page_holds_the_plots_and_each_person_escaped() {
        let d = WaveDashboard {
            name: WaveName::parse("Finance <März>").unwrap(),
            state: WaveState::Finished,
            now: 1_700_000_100,
            window_start: None,
            window_end: None,
            people: vec![],
            by_state: vec![(Standing::Request(RequestState::Done), 1)],
            bytes_done: 500,
            bytes_total: 500,
            not_sized: 0,
            throughput: None,
            finish_p50: None,
            finish_p90: None,
            rate_p50: 1.0,
            rate_p10: 1.0,
            measured_copies: 1,
            samples: vec![
                WaveSample {
                    at: 1_700_000_000,
                    bytes_done: 0,
                    bytes_total: 500,
                },
                WaveSample {
                    at: 1_700_000_100,
                    bytes_done: 500,
                    bytes_total: 500,
                },
            ],
            failures: vec![],
        };
        let rows = [Row {
            email: "a&b@example.org".into(),
            state: "done".into(),
            totals: Totals {
                folders: 2,
                source_messages: 10,
                source_bytes: 500,
                destination_messages: Some(10),
                destination_bytes: Some(500),
                ..Totals::default()
            },
        }];
        let html = page(&d, &rows);
        assert!(html.contains("Wave “Finance &lt;März&gt;”"));
        assert!(html.contains("a&amp;b@example.org"));
        for id in [
            "wave-bytes-chart",
            "wave-burndown-chart",
            "wave-throughput-chart",
        ] {
            assert!(html.contains(&format!("id=\"{id}\"")), "{id}");
        }
        assert!(html.contains("1 done"));
        assert!(html.contains("nothing sized is left to copy"));
    }
}
