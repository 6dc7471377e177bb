//! People for a wave from a CSV file (a directory export): read row by row, every row checked before
//! anything is saved, every bad row reported with its line and what is wrong, and nothing taken when
//! one is. Pure over any reader: what is already elsewhere (people in other active waves, the
//! destination servers there are) comes in as arguments.
//!
//! Columns, in any order, named in the first line (any case): `email` (required), `old_login`,
//! `destination`, `note`. A UTF-8 byte-order mark (spreadsheets write one) is skipped.
use std::collections::{HashMap, HashSet};
use std::io::Read;

use app::dto::EmailAddress;

/// Most rows one file may hold (a large organisation's wave is 50,000).
pub const MAX_ROWS: usize = 200_000;
/// Problems listed in full; past these, only counted.
pub const MAX_LISTED: usize = 200;
const MAX_LOGIN_CHARS: usize = 256;
pub const MAX_NOTE_CHARS: usize = 500;
/// One record's bytes at most (a note, a login and an address are far shorter).
const MAX_RECORD_BYTES: usize = 64 * 1024;

/// One person to add to the wave.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Row {
    /// The file's line it came from (1 is the column names).
    pub line: u64,
    pub email: EmailAddress,
    /// The old server's login when it is not the one Fountain derives.
    pub old_login: Option<String>,
    /// A destination server by name, when not the default.
    pub destination: Option<String>,
    pub note: Option<String>,
}

/// A line that cannot be taken, and why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Problem {
    pub line: u64,
    pub what: String,
}

/// What the file holds: every row, or the problems (then nothing is to be saved).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Import {
    Rows(Vec<Row>),
    Refused {
        /// The first [`MAX_LISTED`], by line.
        problems: Vec<Problem>,
        /// All of them.
        count: u64,
    },
}

/// What the rows are checked against.
pub struct Known<'a> {
    /// People in another active wave, with its name.
    pub elsewhere: &'a HashMap<EmailAddress, String>,
    /// Destination servers by name (besides the default, which an empty column means).
    pub destinations: &'a HashSet<String>,
}

#[derive(Clone, Copy)]
enum Column {
    Email,
    OldLogin,
    Destination,
    Note,
    /// Repeated or unknown: reported once, at line 1.
    Ignored,
}

/// Reads `input` as a wave's CSV.
pub fn read(input: impl Read, known: &Known<'_>) -> Import {
    let mut problems = Problems::default();
    let mut records = Records::new(input);
    let header = match records.next() {
        None => {
            problems.add(1, "the file is empty: its first line names the columns (email, and optionally old_login, destination, note)".into());
            return problems.into_import();
        }
        Some(Err((line, why))) => {
            problems.add(line, why);
            return problems.into_import();
        }
        Some(Ok((_, header))) => header,
    };
    let columns = columns(&header, &mut problems);
    if !columns.iter().any(|c| matches!(c, Column::Email)) {
        problems.add(
            1,
            "no email column: the first line must name one (email)".into(),
        );
        return problems.into_import();
    }
    let mut rows = Vec::new();
    let mut first_line: HashMap<EmailAddress, u64> = HashMap::new();
    for record in records {
        let (line, record) = match record {
            Ok(record) => record,
            Err((line, why)) => {
                problems.add(line, why);
                break;
            }
        };
        if rows.len() + problems.count as usize >= MAX_ROWS {
            problems.add(
                line,
                format!("the file holds more than {MAX_ROWS} people: split it into several waves"),
            );
            break;
        }
        if record.iter().all(|f| f.iter().all(u8::is_ascii_whitespace)) {
            continue;
        }
        if let Some(row) = row(
            line,
            &record,
            &columns,
            known,
            &mut first_line,
            &mut problems,
        ) {
            rows.push(row);
        }
    }
    if problems.count > 0 {
        return problems.into_import();
    }
    Import::Rows(rows)
}

/// The file's records with the line each starts on. The csv crate's own positions count records,
/// not lines (a blank line or CRLF endings put them off), so lines are read here: a line with an odd
/// number of quotes opens a quoted field, and the record goes on to the line that closes it.
struct Records<R> {
    input: std::io::BufReader<R>,
    line: u64,
}

impl<R: Read> Records<R> {
    fn new(input: R) -> Self {
        Records {
            input: std::io::BufReader::new(input),
            line: 0,
        }
    }
}

impl<R: Read> Iterator for Records<R> {
    /// A record and its first line, or the line where reading stopped and why.
    type Item = Result<(u64, csv::ByteRecord), (u64, String)>;

    fn next(&mut self) -> Option<Self::Item> {
        use std::io::BufRead;
        let mut bytes = Vec::new();
        let mut quotes = 0usize;
        let start = self.line + 1;
        loop {
            let before = bytes.len();
            // Never more than one record's worth, however long a line the file has.
            let room = (MAX_RECORD_BYTES + 1).saturating_sub(bytes.len()) as u64;
            match (&mut self.input).take(room).read_until(b'\n', &mut bytes) {
                Ok(0) if bytes.is_empty() => return None,
                Ok(0) => break,
                Ok(_) => self.line += 1,
                Err(e) => return Some(Err((start, format!("cannot read the file: {e}")))),
            }
            if bytes.len() > MAX_RECORD_BYTES {
                return Some(Err((
                    start,
                    "this line runs on for over 64 kB: a quote that is never closed?".into(),
                )));
            }
            quotes += bytes[before..].iter().filter(|b| **b == b'"').count();
            if quotes.is_multiple_of(2) {
                break;
            }
        }
        if start == 1 && bytes.starts_with("\u{feff}".as_bytes()) {
            bytes.drain(..3);
        }
        let mut reader = csv::ReaderBuilder::new()
            .has_headers(false)
            .flexible(true)
            .from_reader(bytes.as_slice());
        let mut record = csv::ByteRecord::new();
        match reader.read_byte_record(&mut record) {
            Ok(_) => Some(Ok((start, record))),
            Err(e) => Some(Err((start, format!("cannot read this line as CSV: {e}")))),
        }
    }
}

/// The column names of line 1.
fn columns(header: &csv::ByteRecord, problems: &mut Problems) -> Vec<Column> {
    let mut seen = HashSet::new();
    header
        .iter()
        .enumerate()
        .map(|(i, name)| {
            let name = String::from_utf8_lossy(name);
            let name = name.trim().to_lowercase();
            let column = match name.as_str() {
                "email" => Column::Email,
                "old_login" => Column::OldLogin,
                "destination" => Column::Destination,
                "note" => Column::Note,
                "" => {
                    problems.add(1, format!("column {} has no name: name it or remove it", i + 1));
                    return Column::Ignored;
                }
                _ => {
                    problems.add(
                        1,
                        format!("unknown column {name:?}: the columns are email, old_login, destination and note"),
                    );
                    return Column::Ignored;
                }
            };
            if !seen.insert(name.clone()) {
                problems.add(1, format!("the column {name:?} is named twice"));
                return Column::Ignored;
            }
            column
        })
        .collect()
}

/// One line as a person, or its problems recorded.
fn row(
    line: u64,
    record: &csv::ByteRecord,
    columns: &[Column],
    known: &Known<'_>,
    first_line: &mut HashMap<EmailAddress, u64>,
    problems: &mut Problems,
) -> Option<Row> {
    if record.len() > columns.len() {
        problems.add(
            line,
            format!(
                "{} fields where line 1 names {} columns",
                record.len(),
                columns.len()
            ),
        );
        return None;
    }
    let mut email = None;
    let (mut old_login, mut destination, mut note) = (None, None, None);
    let before = problems.count;
    for (field, column) in record.iter().zip(columns) {
        let Ok(text) = std::str::from_utf8(field) else {
            problems.add(
                line,
                "this line is not UTF-8 text: save the file as “CSV UTF-8”".into(),
            );
            return None;
        };
        let text = text.trim();
        let printable = !text.chars().any(char::is_control);
        match column {
            Column::Email => match EmailAddress::parse(text) {
                Ok(address) => email = Some(address),
                Err(e) => problems.add(line, capitalised(&e.to_string())),
            },
            Column::OldLogin if !text.is_empty() => {
                if text.chars().count() > MAX_LOGIN_CHARS || !printable {
                    problems.add(line, format!("the old login is over {MAX_LOGIN_CHARS} characters or holds control characters"));
                } else {
                    old_login = Some(text.to_owned());
                }
            }
            Column::Destination if !text.is_empty() => {
                if known.destinations.contains(text) {
                    destination = Some(text.to_owned());
                } else {
                    let mut names: Vec<&str> =
                        known.destinations.iter().map(String::as_str).collect();
                    names.sort_unstable();
                    let choices = if names.is_empty() {
                        "only the default one is configured: leave it empty".to_owned()
                    } else {
                        format!(
                            "the servers are {} (or empty for the default)",
                            names.join(", ")
                        )
                    };
                    problems.add(
                        line,
                        format!("unknown destination server {text:?}: {choices}"),
                    );
                }
            }
            Column::Note if !text.is_empty() => {
                if text.chars().count() > MAX_NOTE_CHARS || !printable {
                    problems.add(line, format!("the note is over {MAX_NOTE_CHARS} characters or holds control characters"));
                } else {
                    note = Some(text.to_owned());
                }
            }
            _ => {}
        }
    }
    let Some(email) = email else {
        if problems.count == before {
            problems.add(line, "no email address on this line".into());
        }
        return None;
    };
    if let Some(first) = first_line.get(&email) {
        problems.add(line, format!("{email} is already on line {first}"));
        return None;
    }
    first_line.insert(email.clone(), line);
    if let Some(wave) = known.elsewhere.get(&email) {
        problems.add(
            line,
            format!("{email} is already in the active wave {wave:?}: remove them there first"),
        );
        return None;
    }
    (problems.count == before).then_some(Row {
        line,
        email,
        old_login,
        destination,
        note,
    })
}

fn capitalised(s: &str) -> String {
    let mut chars = s.chars();
    chars
        .next()
        .map(|c| c.to_uppercase().chain(chars).collect())
        .unwrap_or_default()
}

#[derive(Default)]
struct Problems {
    listed: Vec<Problem>,
    count: u64,
}

impl Problems {
    fn add(&mut self, line: u64, what: String) {
        self.count += 1;
        if self.listed.len() < MAX_LISTED {
            self.listed.push(Problem { line, what });
        }
    }

    fn into_import(mut self) -> Import {
        self.listed.sort_by_key(|p| p.line);
        Import::Refused {
            problems: self.listed,
            count: self.count,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn known() -> (HashMap<EmailAddress, String>, HashSet<String>) {
        let elsewhere = HashMap::from([(
            EmailAddress::parse("busy@example.org").unwrap(),
            "Wave 1".to_owned(),
        )]);
        let destinations = HashSet::from(["exchange".to_owned()]);
        (elsewhere, destinations)
    }

    fn import(text: &[u8]) -> Import {
        let (elsewhere, destinations) = known();
        read(
            text,
            &Known {
                elsewhere: &elsewhere,
                destinations: &destinations,
            },
        )
    }

    fn problems(text: &[u8]) -> Vec<(u64, String)> {
        match import(text) {
            Import::Refused { problems, .. } => {
                problems.into_iter().map(|p| (p.line, p.what)).collect()
            }
            Import::Rows(rows) => panic!("taken: {rows:?}"),
        }
    }

    #[test]
    fn a_directory_export_is_taken_whole() {
        let text = "\u{feff}Email,Note,old_login,DESTINATION\r\n\
            Ann@Example.org,\"Finance, 2nd floor\",ann.old,\r\n\
            \r\n\
            josé@universidad.es,,,exchange\r\n";
        let Import::Rows(rows) = import(text.as_bytes()) else {
            panic!()
        };
        assert_eq!(rows.len(), 2);
        assert_eq!(rows[0].email.as_str(), "ann@example.org");
        assert_eq!(rows[0].note.as_deref(), Some("Finance, 2nd floor"));
        assert_eq!(rows[0].old_login.as_deref(), Some("ann.old"));
        assert_eq!((rows[0].line, rows[1].line), (2, 4));
        assert_eq!(rows[1].destination.as_deref(), Some("exchange"));
        // Only the email column is needed.
        let Import::Rows(rows) = import(b"email\nbob@example.org\n") else {
            panic!()
        };
        assert_eq!(rows.len(), 1);
    }

    #[test]
    fn every_bad_row_is_reported_with_its_line() {
        let text = b"email,colour\nann@example.org,red\n";
        assert_eq!(
            problems(text),
            [(
                1,
                "unknown column \"colour\": the columns are email, old_login, destination and note"
                    .to_owned()
            )]
        );
        let text = "email,destination\n\
            not an address,\n\
            ann@example.org,\n\
            ANN@example.org,\n\
            busy@example.org,\n\
            bob@example.org,zimbra\n\
            carol@example.org,exchange,extra\n\
            ,exchange\n";
        let got = problems(text.as_bytes());
        let lines: Vec<u64> = got.iter().map(|(l, _)| *l).collect();
        assert_eq!(lines, [2, 4, 5, 6, 7, 8], "{got:#?}");
        assert!(got[0].1.contains("holds spaces"), "{got:?}");
        assert_eq!(got[1].1, "ann@example.org is already on line 3");
        assert!(
            got[2].1.contains("already in the active wave \"Wave 1\""),
            "{got:?}"
        );
        assert!(
            got[3]
                .1
                .contains("unknown destination server \"zimbra\": the servers are exchange"),
            "{got:?}"
        );
        assert!(
            got[4].1.contains("3 fields where line 1 names 2 columns"),
            "{got:?}"
        );
        assert_eq!(got[5].1, "No email address");
    }

    #[test]
    fn latin1_and_broken_files_say_what_to_do() {
        let got = problems(b"email,note\nann@example.org,caf\xe9\n");
        assert!(got[0].1.contains("CSV UTF-8"), "{got:?}");
        assert_eq!(problems(b"")[0].0, 1);
        assert!(problems(b"note\nhello\n")[0].1.contains("no email column"));
        // A quote never closed reads on, but not without end.
        let mut open = b"email,note\nann@example.org,\"never closed\n".to_vec();
        open.extend(std::iter::repeat_n(b'x', 70 * 1024));
        let got = problems(&open);
        assert_eq!(got[0].0, 2, "{got:?}");
        assert!(got[0].1.contains("never closed"), "{got:?}");
    }

    #[test]
    fn fifty_thousand_people_stream_through() {
        let mut text = String::from("email,note\n");
        for i in 0..50_000 {
            text.push_str(&format!("person{i}@example.org,row {i}\n"));
        }
        let Import::Rows(rows) = import(text.as_bytes()) else {
            panic!()
        };
        assert_eq!(rows.len(), 50_000);
        assert_eq!(rows[49_999].line, 50_001);
    }

    #[test]
    fn problems_past_the_listed_ones_are_counted() {
        let mut text = String::from("email\n");
        for _ in 0..(MAX_LISTED + 50) {
            text.push_str("nobody\n");
        }
        let Import::Refused { problems, count } = import(text.as_bytes()) else {
            panic!()
        };
        assert_eq!(
            (problems.len(), count),
            (MAX_LISTED, (MAX_LISTED + 50) as u64)
        );
    }

    proptest! {
        #[test]
        fn any_bytes_are_taken_or_refused_never_half(bytes in proptest::collection::vec(any::<u8>(), 0..2000)) {
            let mut text = b"email,old_login,destination,note\n".to_vec();
            text.extend_from_slice(&bytes);
            match import(&text) {
                Import::Rows(rows) => {
                    let mut seen = HashSet::new();
                    for r in &rows {
                        prop_assert!(seen.insert(r.email.clone()), "twice: {}", r.email);
                        prop_assert!(r.line >= 2);
                    }
                }
                Import::Refused { problems, count } => {
                    prop_assert!(count >= 1);
                    prop_assert!(!problems.is_empty());
                    prop_assert!(problems.windows(2).all(|w| w[0].line <= w[1].line));
                }
            }
        }

        #[test]
        fn any_unicode_note_and_login_survive(note in "\\PC{0,100}", login in "\\PC{1,50}") {
            let mut w = csv::Writer::from_writer(Vec::new());
            w.write_record(["email", "old_login", "note"]).unwrap();
            w.write_record(["ann@example.org", login.as_str(), note.as_str()]).unwrap();
            let text = w.into_inner().unwrap();
            match import(&text) {
                Import::Rows(rows) => {
                    let login = login.trim();
                    prop_assert_eq!(rows[0].old_login.as_deref(), (!login.is_empty()).then_some(login));
                    let note = note.trim();
                    prop_assert_eq!(rows[0].note.as_deref(), (!note.is_empty()).then_some(note));
                }
                Import::Refused { problems, .. } => prop_assert!(false, "{problems:?}"),
            }
        }
    }
}
