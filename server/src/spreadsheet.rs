//! Tables as CSV (RFC 4180) for spreadsheets: every field quoted where it must be, and a field that
//! a spreadsheet would run as a formula (`=`, `+`, `-`, `@`, tab, CR first) made plain text with a
//! leading `'` — names and error texts come from mail and people, never from us.

/// One CSV line (with its CRLF) of `fields`.
pub fn line<S: AsRef<str>>(fields: &[S]) -> String {
    let mut out = String::new();
    for (i, field) in fields.iter().enumerate() {
        if i > 0 {
            out.push(',');
        }
        out.push_str(&field_text(field.as_ref()));
    }
    out.push_str("\r\n");
    out
}

fn field_text(field: &str) -> String {
    let plain = if field.starts_with(['=', '+', '-', '@', '\t', '\r']) {
        format!("'{field}")
    } else {
        field.to_owned()
    };
    if plain.contains([',', '"', '\n', '\r']) {
        format!("\"{}\"", plain.replace('"', "\"\""))
    } else {
        plain
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    /// The fields of one CSV record, as a spreadsheet reads them.
    fn parse(record: &str) -> Vec<String> {
        let record = record.strip_suffix("\r\n").expect("ends with CRLF");
        let mut fields = vec![String::new()];
        let mut quoted = false;
        let mut chars = record.chars().peekable();
        while let Some(c) = chars.next() {
            match (c, quoted) {
                ('"', true) if chars.peek() == Some(&'"') => {
                    chars.next();
                    fields.last_mut().unwrap().push('"');
                }
                ('"', _) => quoted = !quoted,
                (',', false) => fields.push(String::new()),
                (c, _) => fields.last_mut().unwrap().push(c),
            }
        }
        assert!(!quoted, "unbalanced quotes in {record:?}");
        fields
    }

    #[test]
    fn quotes_and_formulas_are_made_harmless() {
        assert_eq!(
            line(&["a", "b,c", "say \"hi\""]),
            "a,\"b,c\",\"say \"\"hi\"\"\"\r\n"
        );
        assert_eq!(
            line(&["=HYPERLINK(\"x\")"]),
            "\"'=HYPERLINK(\"\"x\"\")\"\r\n"
        );
        assert_eq!(line(&["-1", "Zoë, Ünal"]), "'-1,\"Zoë, Ünal\"\r\n");
    }

    proptest! {
        /// Any fields read back as written (a formula's text behind its `'`), one record per line.
        #[test]
        fn any_text_reads_back(fields in prop::collection::vec(any::<String>(), 1..6)) {
            let record = line(&fields);
            let back = parse(&record);
            prop_assert_eq!(back.len(), fields.len());
            for (read, written) in back.iter().zip(&fields) {
                let expected = if written.starts_with(['=', '+', '-', '@', '\t', '\r']) {
                    format!("'{written}")
                } else {
                    written.clone()
                };
                prop_assert_eq!(read, &expected);
            }
        }
    }
}
