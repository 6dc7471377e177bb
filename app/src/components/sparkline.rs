//! A small step chart of a value over time (the adaptive limit's history), drawn as SVG on the
//! server so it shows before any script runs.
use leptos::prelude::*;

/// The `points` of an SVG polyline `width` × `height` for `history` ((Unix seconds, value), oldest
/// first) up to `until`: each value held until the next, the top of the chart at `top`.
pub fn step_points(
    history: &[(i64, u32)],
    until: i64,
    top: u32,
    width: f64,
    height: f64,
) -> String {
    let Some(&(start, _)) = history.first() else {
        return String::new();
    };
    let until = until.max(history.last().map_or(start, |h| h.0));
    let span = (until - start).max(1) as f64;
    let top = f64::from(top.max(1));
    let x = |t: i64| ((t - start) as f64 / span * width).clamp(0.0, width);
    let y = |v: u32| height - (f64::from(v) / top).min(1.0) * height;
    let mut points = Vec::with_capacity(history.len() * 2 + 1);
    for (i, &(at, value)) in history.iter().enumerate() {
        if i > 0 {
            // Hold the previous value until this change.
            points.push((x(at), y(history[i - 1].1)));
        }
        points.push((x(at), y(value)));
    }
    if let Some(&(_, last)) = history.last() {
        points.push((width, y(last)));
    }
    points
        .iter()
        .map(|(x, y)| format!("{x:.1},{y:.1}"))
        .collect::<Vec<_>>()
        .join(" ")
}

#[component]
pub fn Sparkline(
    id: String,
    history: Vec<(i64, u32)>,
    until: i64,
    top: u32,
    label: String,
) -> impl IntoView {
    const W: f64 = 240.0;
    const H: f64 = 40.0;
    let points = step_points(&history, until, top, W, H);
    view! {
        <svg id=id class="sparkline" viewBox=format!("0 0 {W} {H}") width=W height=H role="img" aria-label=label>
            <polyline points=points fill="none" stroke="currentColor" stroke-width="2" />
        </svg>
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn parsed(points: &str) -> Vec<(f64, f64)> {
        points
            .split(' ')
            .filter(|p| !p.is_empty())
            .map(|p| {
                let (x, y) = p.split_once(',').unwrap();
                (x.parse().unwrap(), y.parse().unwrap())
            })
            .collect()
    }

    #[test]
    fn each_value_is_held_until_the_next() {
        // 2 from t=0, 4 from t=50, up to t=100; top 4, a 100 × 40 chart.
        let points = step_points(&[(0, 2), (50, 4)], 100, 4, 100.0, 40.0);
        assert_eq!(points, "0.0,20.0 50.0,20.0 50.0,0.0 100.0,0.0");
    }

    #[test]
    fn no_history_draws_nothing() {
        assert_eq!(step_points(&[], 10, 4, 100.0, 40.0), "");
    }

    proptest! {
        #[test]
        fn every_point_is_inside_the_chart(
            mut history in prop::collection::vec((0i64..10_000, 0u32..300), 0..50),
            until in -100i64..20_000,
            top in 0u32..300,
        ) {
            history.sort_by_key(|h| h.0);
            let points = parsed(&step_points(&history, until, top, 240.0, 40.0));
            for (x, y) in &points {
                prop_assert!((0.0..=240.0).contains(x) && (0.0..=40.0).contains(y));
            }
            prop_assert!(points.windows(2).all(|w| w[0].0 <= w[1].0), "time runs left to right");
        }
    }
}
