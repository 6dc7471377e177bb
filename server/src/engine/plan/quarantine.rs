//! How much of a refused message Fountain keeps. Its raw bytes let IT look at it and retry it, but a
//! mailbox full of huge refused messages must not fill the disk: above a size per message, or once a
//! mailbox's quarantine holds enough, only the headers are kept, with the size and the source UID so
//! IT can fetch the message again from the old server.

/// Limits on the raw bytes kept (`migration.quarantine_*`, `fountain copy --quarantine-*`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct QuarantineLimits {
    /// The largest message kept whole.
    pub max_message_bytes: u64,
    /// The most raw bytes kept for one mailbox (old → new).
    pub max_mailbox_bytes: u64,
}

impl QuarantineLimits {
    /// From the settings' megabytes (`quarantine_message_mb`, `quarantine_mailbox_mb`).
    pub fn from_mb(message_mb: f64, mailbox_mb: f64) -> QuarantineLimits {
        QuarantineLimits {
            max_message_bytes: (message_mb.max(0.0) * 1e6) as u64,
            max_mailbox_bytes: (mailbox_mb.max(0.0) * 1e6) as u64,
        }
    }
}

impl Default for QuarantineLimits {
    fn default() -> Self {
        QuarantineLimits {
            max_message_bytes: 25 << 20,
            max_mailbox_bytes: 200 << 20,
        }
    }
}

/// The most header bytes kept of a message kept by its headers only.
pub const MAX_HEADER_BYTES: usize = 64 << 10;

/// What is kept of one refused message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Kept<'a> {
    Whole(&'a [u8]),
    /// The header section (up to [`MAX_HEADER_BYTES`]); the message itself stays on the old server.
    HeadersOnly(&'a [u8]),
}

impl<'a> Kept<'a> {
    pub fn bytes(&self) -> &'a [u8] {
        match self {
            Kept::Whole(b) | Kept::HeadersOnly(b) => b,
        }
    }

    pub fn is_whole(&self) -> bool {
        matches!(self, Kept::Whole(_))
    }
}

/// Whether a refused message of `size` bytes is kept whole, with `kept_so_far` raw bytes already kept
/// for its mailbox (else by its headers only).
pub fn keeps_whole(size: u64, kept_so_far: u64, limits: QuarantineLimits) -> bool {
    size <= limits.max_message_bytes && kept_so_far.saturating_add(size) <= limits.max_mailbox_bytes
}

/// What to keep of `raw`, with `kept_so_far` raw bytes already kept for its mailbox.
pub fn what_to_keep(raw: &[u8], kept_so_far: u64, limits: QuarantineLimits) -> Kept<'_> {
    if keeps_whole(raw.len() as u64, kept_so_far, limits) {
        Kept::Whole(raw)
    } else {
        Kept::HeadersOnly(header_section(raw))
    }
}

/// The header section of a message: up to and including the blank line that ends it (CRLF or bare
/// LF), at most [`MAX_HEADER_BYTES`].
pub fn header_section(raw: &[u8]) -> &[u8] {
    let end = raw
        .windows(4)
        .position(|w| w == b"\r\n\r\n")
        .map(|i| i + 4)
        .or_else(|| raw.windows(2).position(|w| w == b"\n\n").map(|i| i + 2))
        .unwrap_or(raw.len());
    &raw[..end.min(MAX_HEADER_BYTES)]
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    const LIMITS: QuarantineLimits = QuarantineLimits {
        max_message_bytes: 100,
        max_mailbox_bytes: 250,
    };

    #[test]
    fn big_messages_and_a_full_quarantine_keep_headers_only() {
        let small = [b"Subject: a\r\n\r\n".as_slice(), &[b'x'; 50]].concat();
        let big = [b"Subject: b\r\n\r\n".as_slice(), &[b'x'; 200]].concat();
        assert!(what_to_keep(&small, 0, LIMITS).is_whole());
        assert_eq!(
            what_to_keep(&big, 0, LIMITS),
            Kept::HeadersOnly(b"Subject: b\r\n\r\n")
        );
        assert_eq!(
            what_to_keep(&small, 240, LIMITS),
            Kept::HeadersOnly(b"Subject: a\r\n\r\n")
        );
        assert_eq!(header_section(b"A: 1\nB: 2\n\nbody"), b"A: 1\nB: 2\n\n");
        assert_eq!(header_section(b"no blank line"), b"no blank line");
    }

    proptest! {
        #[test]
        fn what_is_kept_stays_within_the_limits(
            raw in prop::collection::vec(any::<u8>(), 0..400),
            so_far in 0u64..400,
        ) {
            let kept = what_to_keep(&raw, so_far, LIMITS);
            prop_assert!(raw.starts_with(kept.bytes()));
            if kept.is_whole() {
                prop_assert!(raw.len() as u64 <= LIMITS.max_message_bytes);
                prop_assert!(so_far + raw.len() as u64 <= LIMITS.max_mailbox_bytes);
            } else {
                prop_assert!(kept.bytes().len() <= MAX_HEADER_BYTES);
            }
        }
    }
}
