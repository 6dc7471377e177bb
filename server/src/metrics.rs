//! What Fountain measures, for Prometheus: counters this process keeps (messages and bytes copied
//! per server, IMAP errors per server and class), and the text exposition format (version 0.0.4)
//! that `/metrics` writes them in, with the gauges read at scrape time (see `jobs::probes`).
use std::collections::BTreeMap;
use std::fmt::Write;
use std::sync::Mutex;

/// Counters since this process started, by server address (`host:port`).
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct Counters {
    /// (messages, bytes) written to each server.
    pub copied: BTreeMap<String, (u64, u64)>,
    /// Errors by (server, class).
    pub imap_errors: BTreeMap<(String, &'static str), u64>,
}

static COUNTERS: Mutex<Counters> = Mutex::new(Counters {
    copied: BTreeMap::new(),
    imap_errors: BTreeMap::new(),
});

/// `messages` messages of `bytes` in all now stand in a mailbox on `server`.
pub fn copied(server: &str, messages: u64, bytes: u64) {
    let mut counters = COUNTERS.lock().expect("metrics lock");
    let entry = counters.copied.entry(server.to_owned()).or_default();
    entry.0 += messages;
    entry.1 += bytes;
}

/// An IMAP error of `class` with `server`.
pub fn imap_error(server: &str, class: &'static str) {
    let mut counters = COUNTERS.lock().expect("metrics lock");
    *counters
        .imap_errors
        .entry((server.to_owned(), class))
        .or_default() += 1;
}

/// The counters as they stand.
pub fn counters() -> Counters {
    COUNTERS.lock().expect("metrics lock").clone()
}

/// Prometheus' text format, written family by family.
#[derive(Debug, Default)]
pub struct Exposition {
    out: String,
}

impl Exposition {
    /// Starts a family: its help line and type (`gauge` or `counter`).
    pub fn family(&mut self, name: &str, kind: &str, help: &str) {
        let help = help.replace('\\', "\\\\").replace('\n', "\\n");
        let _ = writeln!(self.out, "# HELP {name} {help}");
        let _ = writeln!(self.out, "# TYPE {name} {kind}");
    }

    /// One sample of the family just started.
    pub fn sample(&mut self, name: &str, labels: &[(&str, &str)], value: f64) {
        self.out.push_str(name);
        if !labels.is_empty() {
            self.out.push('{');
            for (i, (key, value)) in labels.iter().enumerate() {
                if i > 0 {
                    self.out.push(',');
                }
                let _ = write!(self.out, "{key}=\"{}\"", escape_label(value));
            }
            self.out.push('}');
        }
        let _ = writeln!(self.out, " {}", number(value));
    }

    /// A family of one sample without labels.
    pub fn single(&mut self, name: &str, kind: &str, help: &str, value: f64) {
        self.family(name, kind, help);
        self.sample(name, &[], value);
    }

    pub fn finish(self) -> String {
        self.out
    }
}

/// A label value as the format quotes it: backslash, double quote and line feed escaped.
pub fn escape_label(value: &str) -> String {
    let mut out = String::with_capacity(value.len());
    for c in value.chars() {
        match c {
            '\\' => out.push_str("\\\\"),
            '"' => out.push_str("\\\""),
            '\n' => out.push_str("\\n"),
            c => out.push(c),
        }
    }
    out
}

/// A sample value: integers without a fraction, and NaN/±Inf spelt as Prometheus spells them.
fn number(value: f64) -> String {
    if value.is_nan() {
        "NaN".into()
    } else if value.is_infinite() {
        if value > 0.0 { "+Inf" } else { "-Inf" }.into()
    } else if value.fract() == 0.0 && value.abs() < 1e15 {
        format!("{}", value as i64)
    } else {
        format!("{value}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn writes_the_text_format() {
        let mut e = Exposition::default();
        e.family("fountain_requests", "gauge", "Requests by state.");
        e.sample("fountain_requests", &[("state", "queued")], 3.0);
        e.sample(
            "fountain_requests",
            &[("state", "done"), ("x", "a\"b")],
            0.5,
        );
        e.single("fountain_up", "gauge", "Up.", 1.0);
        assert_eq!(
            e.finish(),
            "# HELP fountain_requests Requests by state.\n# TYPE fountain_requests gauge\n\
             fountain_requests{state=\"queued\"} 3\n\
             fountain_requests{state=\"done\",x=\"a\\\"b\"} 0.5\n\
             # HELP fountain_up Up.\n# TYPE fountain_up gauge\nfountain_up 1\n"
        );
        assert_eq!(number(f64::NAN), "NaN");
        assert_eq!(number(f64::NEG_INFINITY), "-Inf");
        assert_eq!(number(1e20), "100000000000000000000");
    }

    #[test]
    fn counts_per_server_and_class() {
        copied("metrics-test:1", 2, 300);
        copied("metrics-test:1", 1, 50);
        imap_error("metrics-test:1", "timeout");
        imap_error("metrics-test:1", "timeout");
        let c = counters();
        assert_eq!(c.copied["metrics-test:1"], (3, 350));
        assert_eq!(c.imap_errors[&("metrics-test:1".to_owned(), "timeout")], 2);
    }

    proptest! {
        /// Whatever a label holds (a worker's host name, a server's address), the sample stays one
        /// line and its quotes balanced: unescaping gives the value back.
        #[test]
        fn any_label_value_stays_one_line_and_round_trips(value in any::<String>()) {
            let escaped = escape_label(&value);
            prop_assert!(!escaped.contains('\n'));
            let mut back = String::new();
            let mut chars = escaped.chars();
            while let Some(c) = chars.next() {
                if c == '\\' {
                    match chars.next() {
                        Some('n') => back.push('\n'),
                        Some(other) => back.push(other),
                        None => prop_assert!(false, "a lone backslash"),
                    }
                } else {
                    prop_assert!(c != '"', "an unescaped quote");
                    back.push(c);
                }
            }
            prop_assert_eq!(back, value);
        }
    }
}
