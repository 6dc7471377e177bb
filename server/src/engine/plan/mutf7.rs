//! IMAP's modified UTF-7 for mailbox names (RFC 3501 §5.1.3): printable ASCII stands for itself ("&" is
//! written "&-"); everything else is UTF-16BE in base64 with "," for "/", between "&" and "-".

/// Why a wire name is not valid modified UTF-7.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Mutf7Error {
    #[error("unterminated &… sequence")]
    Unterminated,
    #[error("invalid base64 in an &… sequence")]
    BadBase64,
    #[error("an &… sequence does not hold UTF-16")]
    BadUtf16,
    #[error("raw character {0:?} is not allowed in a mailbox name on the wire")]
    RawNonAscii(char),
    #[error("an &… sequence encodes only printable ASCII (not the shortest form)")]
    NotShortest,
}

const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+,";

/// Encodes a Unicode mailbox name for the wire.
pub fn encode(name: &str) -> String {
    let mut out = String::with_capacity(name.len());
    let mut pending: Vec<u16> = Vec::new();
    for c in name.chars() {
        if (' '..='~').contains(&c) {
            flush(&mut pending, &mut out);
            if c == '&' {
                out.push_str("&-");
            } else {
                out.push(c);
            }
        } else {
            let mut buf = [0u16; 2];
            pending.extend_from_slice(c.encode_utf16(&mut buf));
        }
    }
    flush(&mut pending, &mut out);
    out
}

fn flush(units: &mut Vec<u16>, out: &mut String) {
    if units.is_empty() {
        return;
    }
    let bytes: Vec<u8> = units.iter().flat_map(|u| u.to_be_bytes()).collect();
    out.push('&');
    for chunk in bytes.chunks(3) {
        let n = chunk
            .iter()
            .enumerate()
            .fold(0u32, |acc, (i, b)| acc | (u32::from(*b) << (16 - 8 * i)));
        let digits = chunk.len() + 1;
        for i in 0..digits {
            out.push(ALPHABET[((n >> (18 - 6 * i)) & 63) as usize] as char);
        }
    }
    out.push('-');
    units.clear();
}

/// Decodes a wire mailbox name into Unicode.
pub fn decode(wire: &str) -> Result<String, Mutf7Error> {
    let mut out = String::with_capacity(wire.len());
    let mut rest = wire;
    while let Some(c) = rest.chars().next() {
        if c == '&' {
            let end = rest[1..].find('-').ok_or(Mutf7Error::Unterminated)? + 1;
            let encoded = &rest[1..end];
            if encoded.is_empty() {
                out.push('&');
            } else {
                let decoded = decode_base64(encoded)?;
                if decoded.chars().all(|d| (' '..='~').contains(&d)) {
                    return Err(Mutf7Error::NotShortest);
                }
                out.push_str(&decoded);
            }
            rest = &rest[end + 1..];
        } else if (' '..='~').contains(&c) {
            out.push(c);
            rest = &rest[1..];
        } else {
            return Err(Mutf7Error::RawNonAscii(c));
        }
    }
    Ok(out)
}

fn decode_base64(s: &str) -> Result<String, Mutf7Error> {
    let mut bits = 0u32;
    let mut nbits = 0;
    let mut bytes = Vec::with_capacity(s.len() * 3 / 4);
    for b in s.bytes() {
        let v = ALPHABET
            .iter()
            .position(|a| *a == b)
            .ok_or(Mutf7Error::BadBase64)? as u32;
        bits = (bits << 6) | v;
        nbits += 6;
        if nbits >= 8 {
            nbits -= 8;
            bytes.push((bits >> nbits) as u8);
            bits &= (1 << nbits) - 1;
        }
    }
    if bits != 0 || bytes.len() % 2 != 0 {
        return Err(Mutf7Error::BadBase64);
    }
    let units: Vec<u16> = bytes
        .chunks(2)
        .map(|p| u16::from_be_bytes([p[0], p[1]]))
        .collect();
    String::from_utf16(&units).map_err(|_| Mutf7Error::BadUtf16)
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn rfc3501_examples() {
        // RFC 3501 §5.1.3: "~peter/mail/台北/日本語"
        assert_eq!(
            encode("~peter/mail/台北/日本語"),
            "~peter/mail/&U,BTFw-/&ZeVnLIqe-"
        );
        assert_eq!(
            decode("~peter/mail/&U,BTFw-/&ZeVnLIqe-").unwrap(),
            "~peter/mail/台北/日本語"
        );
        assert_eq!(encode("Réunions"), "R&AOk-unions");
        assert_eq!(encode("Tom & Jerry"), "Tom &- Jerry");
        assert_eq!(decode("Tom &- Jerry").unwrap(), "Tom & Jerry");
        assert_eq!(encode("📬"), "&2D3c7A-");
        assert_eq!(decode("&2D3c7A-").unwrap(), "📬");
    }

    #[test]
    fn malformed_names_are_refused() {
        assert_eq!(decode("&U,BTFw"), Err(Mutf7Error::Unterminated));
        assert_eq!(decode("&U,B!Fw-"), Err(Mutf7Error::BadBase64));
        assert_eq!(decode("Réunions"), Err(Mutf7Error::RawNonAscii('é')));
        assert_eq!(decode("&AGEAYgBj-"), Err(Mutf7Error::NotShortest));
        // A lone high surrogate is not UTF-16.
        assert_eq!(decode("&2D0-"), Err(Mutf7Error::BadUtf16));
    }

    proptest! {
        #[test]
        fn decode_inverts_encode(name in "\\PC{0,40}") {
            prop_assert_eq!(decode(&encode(&name)).unwrap(), name);
        }

        #[test]
        fn encoded_names_are_printable_ascii(name in "\\PC{0,40}") {
            prop_assert!(encode(&name).chars().all(|c| (' '..='~').contains(&c)));
        }

        #[test]
        fn decode_never_panics(wire in "[ -~]{0,40}") {
            let _ = decode(&wire);
        }
    }
}
