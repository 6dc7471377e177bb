//! A wave's plots as SVG text, drawn on the server: the dashboard inserts them as they are (they show
//! before any script runs, and print), and the printable report embeds the same text. Pure: a
//! dashboard in, markup out; every text in it escaped.
use crate::dto::{PersonStanding, WaveDashboard, WaveSample};
use crate::format::{format_unix, human_size};

const W: f64 = 640.0;
const H: f64 = 160.0;
/// Room for the axis labels: left, right, top, bottom.
const LEFT: f64 = 70.0;
const RIGHT: f64 = 10.0;
const TOP: f64 = 10.0;
const BOTTOM: f64 = 22.0;
/// People drawn as bars at most; the CSV report has everyone.
pub const MOST_BARS: usize = 60;
const BAR_ROW: f64 = 16.0;

/// `text` safe inside SVG (and HTML) text and attribute values.
pub fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

/// A plot area: time across from `t0` to `t1`, values up from 0 to `top`.
struct Frame {
    t0: i64,
    t1: i64,
    top: f64,
}

impl Frame {
    fn new(t0: i64, t1: i64, top: f64) -> Frame {
        Frame {
            t0,
            t1: t1.max(t0 + 1),
            top: if top > 0.0 { top } else { 1.0 },
        }
    }

    fn x(&self, t: i64) -> f64 {
        let share = (t - self.t0) as f64 / (self.t1 - self.t0) as f64;
        LEFT + share.clamp(0.0, 1.0) * (W - LEFT - RIGHT)
    }

    fn y(&self, value: f64) -> f64 {
        let share = (value / self.top).clamp(0.0, 1.0);
        H - BOTTOM - share * (H - TOP - BOTTOM)
    }

    /// The axes with the first and last time under them and the top value beside them.
    fn axes(&self, top_label: &str) -> String {
        let (x0, x1, y0, y1) = (LEFT, W - RIGHT, H - BOTTOM, TOP);
        format!(
            "<line class=\"axis\" x1=\"{x0}\" y1=\"{y0}\" x2=\"{x1}\" y2=\"{y0}\" stroke=\"currentColor\"/>\
             <line class=\"axis\" x1=\"{x0}\" y1=\"{y0}\" x2=\"{x0}\" y2=\"{y1}\" stroke=\"currentColor\"/>\
             <text x=\"{tx}\" y=\"{ty}\" text-anchor=\"end\" font-size=\"11\">{top}</text>\
             <text x=\"{tx}\" y=\"{y0}\" text-anchor=\"end\" font-size=\"11\">0</text>\
             <text x=\"{x0}\" y=\"{by}\" font-size=\"11\">{from}</text>\
             <text x=\"{x1}\" y=\"{by}\" text-anchor=\"end\" font-size=\"11\">{to}</text>",
            tx = LEFT - 4.0,
            ty = TOP + 10.0,
            top = escape(top_label),
            by = H - 6.0,
            from = escape(&format_unix(self.t0)),
            to = escape(&format_unix(self.t1)),
        )
    }
}

fn svg(id: &str, label: &str, height: f64, body: &str) -> String {
    format!(
        "<svg xmlns=\"http://www.w3.org/2000/svg\" id=\"{id}\" class=\"chart\" viewBox=\"0 0 {W} {height}\" \
         width=\"{W}\" height=\"{height}\" role=\"img\" aria-label=\"{label}\"><title>{label}</title>{body}</svg>",
        id = escape(id),
        label = escape(label),
    )
}

fn polyline(class: &str, points: &[(f64, f64)], dashed: bool) -> String {
    let points: Vec<String> = points
        .iter()
        .map(|(x, y)| format!("{x:.1},{y:.1}"))
        .collect();
    format!(
        "<polyline class=\"{class}\" points=\"{}\" fill=\"none\" stroke=\"currentColor\" stroke-width=\"2\"{}/>",
        points.join(" "),
        if dashed {
            " stroke-dasharray=\"5 4\""
        } else {
            ""
        }
    )
}

/// The time span of the samples up to `until`, or `None` without samples.
fn span(samples: &[WaveSample], until: i64) -> Option<(i64, i64)> {
    let first = samples.first()?.at;
    let last = samples.last()?.at.max(until);
    Some((first, last))
}

fn no_data(id: &str, label: &str) -> String {
    svg(
        id,
        label,
        40.0,
        "<text x=\"10\" y=\"24\" font-size=\"12\">Nothing measured yet: the plot starts when the wave runs.</text>",
    )
}

/// Bytes on the new server over time, under the wave's total.
pub fn bytes_over_time(d: &WaveDashboard) -> String {
    const ID: &str = "wave-bytes-chart";
    const LABEL: &str = "Bytes copied over time";
    let Some((t0, t1)) = span(&d.samples, d.now) else {
        return no_data(ID, LABEL);
    };
    let top = d
        .samples
        .iter()
        .map(|s| s.bytes_total.max(s.bytes_done))
        .chain([d.bytes_total, d.bytes_done])
        .max()
        .unwrap_or(0) as f64;
    let f = Frame::new(t0, t1, top);
    let done: Vec<(f64, f64)> = d
        .samples
        .iter()
        .map(|s| (f.x(s.at), f.y(s.bytes_done as f64)))
        .collect();
    let total = [(f.x(t0), f.y(top)), (f.x(t1), f.y(top))];
    let body = format!(
        "{}{}{}",
        f.axes(&human_size(top as u64)),
        polyline("total", &total, true),
        polyline("done", &done, false)
    );
    svg(ID, LABEL, H, &body)
}

/// What the wave moved between samples, in bytes per second, as bars (at most `MOST_COLUMNS`).
pub fn throughput_over_time(d: &WaveDashboard) -> String {
    const ID: &str = "wave-throughput-chart";
    const LABEL: &str = "Throughput over time";
    const MOST_COLUMNS: usize = 60;
    let rates = rates_between(&d.samples, MOST_COLUMNS);
    let Some((t0, t1)) = span(&d.samples, d.samples.last().map_or(d.now, |s| s.at)) else {
        return no_data(ID, LABEL);
    };
    if rates.is_empty() {
        return no_data(ID, LABEL);
    }
    let top = rates.iter().map(|r| r.2).fold(0.0, f64::max);
    let f = Frame::new(t0, t1, top);
    let bars: String = rates
        .iter()
        .map(|&(from, to, rate)| {
            let (x0, x1) = (f.x(from), f.x(to));
            let y = f.y(rate);
            format!(
                "<rect class=\"rate\" x=\"{x0:.1}\" y=\"{y:.1}\" width=\"{:.1}\" height=\"{:.1}\" fill=\"currentColor\" opacity=\"0.6\"/>",
                (x1 - x0 - 1.0).max(1.0),
                (H - BOTTOM - y).max(0.0)
            )
        })
        .collect();
    let body = format!(
        "{}{bars}",
        f.axes(&format!("{}/s", human_size(top.round() as u64)))
    );
    svg(ID, LABEL, H, &body)
}

/// (from, to, bytes per second) between consecutive samples, merged into at most `columns`
/// stretches of equal count; a stretch where the count went down (a resized mailbox) moves 0.
pub fn rates_between(samples: &[WaveSample], columns: usize) -> Vec<(i64, i64, f64)> {
    if samples.len() < 2 || columns == 0 {
        return Vec::new();
    }
    let steps = samples.len() - 1;
    let per = steps.div_ceil(columns);
    (0..steps)
        .step_by(per)
        .map(|i| {
            let (a, b) = (samples[i], samples[(i + per).min(steps)]);
            let secs = (b.at - a.at).max(1) as f64;
            (
                a.at,
                b.at,
                b.bytes_done.saturating_sub(a.bytes_done) as f64 / secs,
            )
        })
        .collect()
}

/// Bytes left over time, and from now the line to the p50 and the p90 finish; the window's end.
pub fn burn_down(d: &WaveDashboard) -> String {
    const ID: &str = "wave-burndown-chart";
    const LABEL: &str = "Bytes left, and the estimated finish";
    let Some((t0, t1)) = span(&d.samples, d.now) else {
        return no_data(ID, LABEL);
    };
    let end = [Some(t1), d.finish_p50, d.finish_p90, d.window_end]
        .into_iter()
        .flatten()
        .max()
        .unwrap_or(t1);
    let left = |s: &WaveSample| s.bytes_total.saturating_sub(s.bytes_done) as f64;
    let top = d.samples.iter().map(left).fold(0.0, f64::max);
    let f = Frame::new(t0, end, top);
    let past: Vec<(f64, f64)> = d
        .samples
        .iter()
        .map(|s| (f.x(s.at), f.y(left(s))))
        .collect();
    let now_left = d.bytes_total.saturating_sub(d.bytes_done) as f64;
    let mut body = f.axes(&human_size(top as u64));
    body.push_str(&polyline("left", &past, false));
    for (class, finish) in [("p50", d.finish_p50), ("p90", d.finish_p90)] {
        if let Some(finish) = finish {
            let line = [(f.x(d.now), f.y(now_left)), (f.x(finish), f.y(0.0))];
            body.push_str(&polyline(class, &line, true));
        }
    }
    if let Some(window_end) = d.window_end {
        let x = f.x(window_end);
        body.push_str(&format!(
            "<line class=\"window-end\" x1=\"{x:.1}\" y1=\"{TOP}\" x2=\"{x:.1}\" y2=\"{}\" stroke=\"currentColor\" stroke-dasharray=\"2 3\"/>\
             <text x=\"{:.1}\" y=\"{}\" text-anchor=\"end\" font-size=\"11\">window ends</text>",
            H - BOTTOM,
            x - 3.0,
            TOP + 10.0
        ));
    }
    svg(ID, LABEL, H, &body)
}

/// A bar per person (the first [`MOST_BARS`]): the share of their mailbox on the new server.
pub fn people_bars(people: &[PersonStanding]) -> String {
    const ID: &str = "wave-people-chart";
    const LABEL: &str = "Each person's progress";
    let shown = &people[..people.len().min(MOST_BARS)];
    if shown.is_empty() {
        return no_data(ID, LABEL);
    }
    let (label_w, bar_w) = (260.0, W - 260.0 - 60.0);
    let rows: String = shown
        .iter()
        .enumerate()
        .map(|(i, p)| {
            let y = i as f64 * BAR_ROW;
            let share = share_done(p);
            format!(
                "<g class=\"person\"><title>{title}</title>\
                 <text x=\"{tx}\" y=\"{ty:.1}\" text-anchor=\"end\" font-size=\"11\">{email}</text>\
                 <rect x=\"{label_w}\" y=\"{ry:.1}\" width=\"{bar_w}\" height=\"{rh}\" fill=\"none\" stroke=\"currentColor\" opacity=\"0.4\"/>\
                 <rect class=\"done\" x=\"{label_w}\" y=\"{ry:.1}\" width=\"{dw:.1}\" height=\"{rh}\" fill=\"currentColor\"/>\
                 <text x=\"{px}\" y=\"{ty:.1}\" font-size=\"11\">{pct}</text></g>",
                title = escape(&format!(
                    "{}: {} of {}, {}",
                    p.email,
                    human_size(p.bytes_done),
                    p.bytes_total.map_or("size unknown".to_owned(), human_size),
                    p.standing.in_words()
                )),
                tx = label_w - 6.0,
                ty = y + 12.0,
                email = escape(&p.email),
                ry = y + 3.0,
                rh = BAR_ROW - 5.0,
                dw = share.map_or(0.0, |s| s * bar_w),
                px = label_w + bar_w + 6.0,
                pct = share.map_or("?".to_owned(), |s| format!("{:.0}%", s * 100.0)),
            )
        })
        .collect();
    svg(ID, LABEL, shown.len() as f64 * BAR_ROW + 4.0, &rows)
}

/// The share of the mailbox on the new server, 0 to 1; `None` when its size is unknown.
pub fn share_done(p: &PersonStanding) -> Option<f64> {
    let total = p.bytes_total?;
    Some(if total == 0 {
        1.0
    } else {
        (p.bytes_done as f64 / total as f64).clamp(0.0, 1.0)
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::dto::{RequestState, Standing, WaveName, WaveState};
    use proptest::prelude::*;

    fn sample(at: i64, done: u64) -> WaveSample {
        WaveSample {
            at,
            bytes_done: done,
            bytes_total: 1_000,
        }
    }

    fn dashboard(samples: Vec<WaveSample>, people: Vec<PersonStanding>) -> WaveDashboard {
        let last = samples.last().copied();
        WaveDashboard {
            name: WaveName::parse("W").unwrap(),
            state: WaveState::Running,
            now: last.map_or(0, |s| s.at),
            window_start: None,
            window_end: Some(1_000),
            people,
            by_state: vec![],
            bytes_done: last.map_or(0, |s| s.bytes_done),
            bytes_total: 1_000,
            not_sized: 0,
            throughput: None,
            finish_p50: Some(400),
            finish_p90: Some(600),
            rate_p50: 1.0,
            rate_p10: 1.0,
            measured_copies: 0,
            samples,
            failures: vec![],
        }
    }

    /// Every number in `attr="…"` attributes named `name`.
    fn numbers(svg: &str, name: &str) -> Vec<f64> {
        let key = format!(" {name}=\"");
        svg.split(&key)
            .skip(1)
            .filter_map(|rest| rest.split('"').next()?.parse().ok())
            .collect()
    }

    #[test]
    fn rates_are_what_moved_over_the_time_it_took() {
        let s = [
            sample(0, 0),
            sample(10, 100),
            sample(20, 100),
            sample(30, 50),
        ];
        assert_eq!(
            rates_between(&s, 10),
            [(0, 10, 10.0), (10, 20, 0.0), (20, 30, 0.0)]
        );
        // Merged into fewer columns: each over its own stretch.
        assert_eq!(rates_between(&s, 2), [(0, 20, 5.0), (20, 30, 0.0)]);
        assert!(rates_between(&s[..1], 10).is_empty());
    }

    #[test]
    fn names_are_escaped_and_bars_show_each_share() {
        let person = |email: &str, done, total| PersonStanding {
            email: email.into(),
            standing: Standing::Request(RequestState::Copying),
            bytes_done: done,
            bytes_total: total,
            bytes_per_sec: None,
            finish_p50: None,
            finish_p90: None,
            stuck: false,
            class: None,
        };
        let svg = people_bars(&[person("<script>@x", 50, Some(100)), person("b@x", 0, None)]);
        assert!(!svg.contains("<script>"));
        assert!(svg.contains("&lt;script&gt;@x"));
        assert!(svg.contains(">50%<") && svg.contains(">?<"));
    }

    #[test]
    fn without_samples_the_plots_say_so() {
        let d = dashboard(vec![], vec![]);
        for svg in [bytes_over_time(&d), burn_down(&d), throughput_over_time(&d)] {
            assert!(svg.contains("Nothing measured yet"), "{svg}");
        }
    }

    #[test]
    fn the_burn_down_reaches_zero_at_the_estimates_and_marks_the_window() {
        let d = dashboard(vec![sample(0, 0), sample(100, 250)], vec![]);
        let svg = burn_down(&d);
        assert!(svg.contains("class=\"p50\"") && svg.contains("class=\"p90\""));
        assert!(svg.contains("window ends"));
    }

    proptest! {
        #[test]
        fn every_point_stays_inside_the_plot(
            steps in proptest::collection::vec((1i64..10_000, 0u64..1_000_000), 0..40),
            extra in 0i64..100_000,
        ) {
            let mut at = 1_700_000_000;
            let mut done = 0;
            let samples: Vec<WaveSample> = steps.iter().map(|&(dt, more)| {
                at += dt;
                done += more;
                WaveSample { at, bytes_done: done, bytes_total: done + extra as u64 }
            }).collect();
            let mut d = dashboard(samples, vec![]);
            d.now += extra;
            d.finish_p50 = Some(d.now + extra);
            d.finish_p90 = Some(d.now + 2 * extra);
            for svg in [bytes_over_time(&d), burn_down(&d), throughput_over_time(&d)] {
                for x in numbers(&svg, "x").into_iter().chain(numbers(&svg, "x1")).chain(numbers(&svg, "x2")) {
                    prop_assert!((0.0..=W).contains(&x), "{x} in {svg}");
                }
                for y in numbers(&svg, "y").into_iter().chain(numbers(&svg, "y1")).chain(numbers(&svg, "y2")) {
                    prop_assert!((0.0..=H).contains(&y), "{y} in {svg}");
                }
                for point in svg.split(" points=\"").skip(1).filter_map(|rest| rest.split('"').next()) {
                    for pair in point.split(' ').filter(|p| !p.is_empty()) {
                        let (x, y) = pair.split_once(',').expect("x,y");
                        let (x, y): (f64, f64) = (x.parse().unwrap(), y.parse().unwrap());
                        prop_assert!((0.0..=W).contains(&x) && (0.0..=H).contains(&y), "{pair} in {svg}");
                    }
                }
                prop_assert!(!svg.contains("NaN") && !svg.contains("inf"));
            }
        }
    }
}
