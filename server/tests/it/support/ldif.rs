//! Reads LDIF (RFC 2849) back, strictly, to check Fountain's exports: shared by the unit tests of
//! `jobs::cutover::exports` and the integration tests.
use base64::Engine as _;

/// One LDIF record: its DN and its lines after it, as (attribute, value).
pub type Record = (String, Vec<(String, String)>);

/// The records of an LDIF file, each as (dn, [(attribute, value)]), with folded lines joined and
/// base64 values decoded; an error for anything RFC 2849 does not allow.
pub fn parse_ldif(text: &str) -> Result<Vec<Record>, String> {
    let mut lines: Vec<String> = Vec::new();
    for raw in text.split('\n') {
        if raw.len() > 76 {
            return Err(format!("line over 76 columns: {raw:?}"));
        }
        if let Some(rest) = raw.strip_prefix(' ') {
            lines
                .last_mut()
                .ok_or("a continuation first")?
                .push_str(rest);
        } else {
            lines.push(raw.to_owned());
        }
    }
    let mut records = Vec::new();
    let mut current: Option<Record> = None;
    for line in lines.iter().skip_while(|l| l.starts_with('#')) {
        if line.is_empty() {
            records.extend(current.take());
            continue;
        }
        if line == "version: 1" && records.is_empty() && current.is_none() {
            continue;
        }
        if line == "-" {
            continue;
        }
        let (name, value) = if let Some((n, v)) = line.split_once(":: ") {
            let bytes = base64::engine::general_purpose::STANDARD
                .decode(v)
                .map_err(|e| format!("bad base64 in {line:?}: {e}"))?;
            (n, String::from_utf8(bytes).map_err(|e| e.to_string())?)
        } else if let Some((n, v)) = line.split_once(": ") {
            if !v.is_ascii() || v.starts_with([' ', ':', '<']) {
                return Err(format!("unsafe plain value in {line:?}"));
            }
            (n, v.to_owned())
        } else {
            return Err(format!("not an attribute line: {line:?}"));
        };
        match (&mut current, name) {
            (None, "dn") => current = Some((value, Vec::new())),
            (None, _) => return Err(format!("a record must start with dn: {line:?}")),
            (Some((_, attrs)), _) => attrs.push((name.to_owned(), value)),
        }
    }
    records.extend(current.take());
    Ok(records)
}
