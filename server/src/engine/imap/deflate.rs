//! COMPRESS=DEFLATE (RFC 4978): after the server's OK, both directions are one raw deflate stream
//! each (no zlib header). What Fountain sends is sync-flushed at every flush of the stream, so the
//! server can read each command whole; what the server sends is inflated in bounded pieces, so a
//! small compressed reply cannot blow up into a huge buffer at once.
use std::io;

use flate2::{Compress, Compression, Decompress, FlushCompress, FlushDecompress, Status};

pub struct Deflate {
    inflater: Decompress,
    deflater: Compress,
    /// Input given to the deflater since its last sync flush.
    unflushed: bool,
}

impl std::fmt::Debug for Deflate {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Deflate")
            .field("in", &self.inflater.total_in())
            .field("out", &self.deflater.total_out())
            .finish()
    }
}

impl Default for Deflate {
    fn default() -> Self {
        Deflate {
            inflater: Decompress::new(false),
            // The fastest level: most of what Fountain sends compressed is APPENDed mail, and on a
            // fast link the CPU would otherwise cost more than the bytes it saves.
            deflater: Compress::new(Compression::fast(), false),
            unflushed: false,
        }
    }
}

/// What one [`Deflate::inflate`] did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Inflated {
    /// Input bytes used.
    pub used: usize,
    /// It stopped at the limit: there may be more to inflate without more input.
    pub full: bool,
}

fn invalid(e: impl std::fmt::Display) -> io::Error {
    io::Error::new(
        io::ErrorKind::InvalidData,
        format!("compressed stream: {e}"),
    )
}

impl Deflate {
    /// Inflates from `input` until `out` grew by `limit` bytes or more input is needed.
    pub fn inflate(
        &mut self,
        input: &[u8],
        out: &mut Vec<u8>,
        limit: usize,
    ) -> io::Result<Inflated> {
        let start = out.len();
        let mut used = 0;
        loop {
            let room = limit - (out.len() - start);
            if room == 0 {
                // The inflater may hold more: the caller must ask again, even without new input.
                return Ok(Inflated { used, full: true });
            }
            let at = out.len();
            let spare = room.min(64 * 1024);
            out.resize(at + spare, 0);
            let (in_before, out_before) = (self.inflater.total_in(), self.inflater.total_out());
            let status =
                self.inflater
                    .decompress(&input[used..], &mut out[at..], FlushDecompress::None);
            let produced = (self.inflater.total_out() - out_before) as usize;
            out.truncate(at + produced);
            let status = status.map_err(invalid)?;
            let took = (self.inflater.total_in() - in_before) as usize;
            used += took;
            if status == Status::StreamEnd {
                if used < input.len() {
                    return Err(invalid("data after its end"));
                }
                return Ok(Inflated { used, full: false });
            }
            // All input used and room left: nothing more without more input. (Some output and no
            // input taken is the inflater emptying its window: go on.)
            if produced < spare && (used == input.len() || (took == 0 && produced == 0)) {
                return Ok(Inflated { used, full: false });
            }
        }
    }

    /// Appends the compressed form of `input` to `out` (held back until [`Deflate::sync_flush`]).
    pub fn deflate(&mut self, input: &[u8], out: &mut Vec<u8>) -> io::Result<()> {
        let mut used = 0;
        while used < input.len() {
            out.reserve((input.len() - used) / 2 + 1024);
            let before = self.deflater.total_in();
            self.deflater
                .compress_vec(&input[used..], out, FlushCompress::None)
                .map_err(invalid)?;
            used += (self.deflater.total_in() - before) as usize;
        }
        self.unflushed |= !input.is_empty();
        Ok(())
    }

    /// Ends what was given so far on a byte boundary, so the peer can inflate all of it now.
    pub fn sync_flush(&mut self, out: &mut Vec<u8>) -> io::Result<()> {
        if !self.unflushed {
            return Ok(());
        }
        loop {
            out.reserve(1024);
            self.deflater
                .compress_vec(&[], out, FlushCompress::Sync)
                .map_err(invalid)?;
            // Done when the deflater left room unused (zlib's rule for a finished flush).
            if out.len() < out.capacity() {
                break;
            }
        }
        self.unflushed = false;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::Deflate;
    use proptest::prelude::*;

    /// `text` through one side's deflate and the other's inflate, fed in `piece`-byte pieces.
    fn round_trip(text: &[u8], piece: usize, limit: usize) -> Vec<u8> {
        let (mut sender, mut receiver) = (Deflate::default(), Deflate::default());
        let mut wire = Vec::new();
        for chunk in text.chunks(piece.max(1)) {
            sender.deflate(chunk, &mut wire).unwrap();
            sender.sync_flush(&mut wire).unwrap();
        }
        let mut out = Vec::new();
        let mut rest = &wire[..];
        loop {
            let step = receiver.inflate(rest, &mut out, limit).unwrap();
            rest = &rest[step.used..];
            if rest.is_empty() && !step.full {
                return out;
            }
        }
    }

    #[test]
    fn a_command_crosses_whole_and_smaller() {
        let command = b"A1 UID FETCH 1:* (UID FLAGS INTERNALDATE RFC822.SIZE)\r\n".repeat(20);
        let mut sender = Deflate::default();
        let mut wire = Vec::new();
        sender.deflate(&command, &mut wire).unwrap();
        sender.sync_flush(&mut wire).unwrap();
        assert!(wire.len() < command.len() / 4, "{} bytes", wire.len());
        // A sync flush ends with an empty stored block: 00 00 FF FF.
        assert!(wire.ends_with(&[0, 0, 0xff, 0xff]));
        let mut out = Vec::new();
        let step = Deflate::default()
            .inflate(&wire, &mut out, usize::MAX)
            .unwrap();
        assert_eq!((step.used, step.full, out), (wire.len(), false, command));
    }

    #[test]
    fn a_flush_with_nothing_new_sends_nothing() {
        let mut sender = Deflate::default();
        let mut wire = Vec::new();
        sender.sync_flush(&mut wire).unwrap();
        assert!(wire.is_empty());
        sender.deflate(b"x", &mut wire).unwrap();
        sender.sync_flush(&mut wire).unwrap();
        let once = wire.len();
        sender.sync_flush(&mut wire).unwrap();
        assert_eq!(wire.len(), once);
    }

    #[test]
    fn a_bomb_is_inflated_a_piece_at_a_time() {
        let zeros = vec![0u8; 8 << 20];
        let mut sender = Deflate::default();
        let mut wire = Vec::new();
        sender.deflate(&zeros, &mut wire).unwrap();
        sender.sync_flush(&mut wire).unwrap();
        let mut receiver = Deflate::default();
        let mut out = Vec::new();
        let step = receiver.inflate(&wire, &mut out, 64 * 1024).unwrap();
        assert_eq!((out.len(), step.full), (64 * 1024, true));
        let mut whole = out.len();
        let mut rest = &wire[step.used..];
        loop {
            out.clear();
            let step = receiver.inflate(rest, &mut out, 64 * 1024).unwrap();
            assert!(out.len() <= 64 * 1024);
            whole += out.len();
            rest = &rest[step.used..];
            if rest.is_empty() && !step.full {
                break;
            }
        }
        assert_eq!(whole, zeros.len());
    }

    #[test]
    fn garbage_is_an_error_not_a_panic() {
        let mut out = Vec::new();
        let got = Deflate::default().inflate(&[0xff; 64], &mut out, 1024);
        assert_eq!(got.unwrap_err().kind(), std::io::ErrorKind::InvalidData);
    }

    proptest! {
        #[test]
        fn any_bytes_cross_unchanged(
            text in proptest::collection::vec(any::<u8>(), 0..20_000),
            piece in 1usize..5000,
            limit in 1usize..100_000,
        ) {
            prop_assert_eq!(round_trip(&text, piece, limit), text);
        }

        #[test]
        fn any_input_to_inflate_ends_or_errs(
            bytes in proptest::collection::vec(any::<u8>(), 0..4096),
            limit in 1usize..10_000,
        ) {
            let mut receiver = Deflate::default();
            let mut out = Vec::new();
            let mut rest = &bytes[..];
            while let Ok(step) = receiver.inflate(rest, &mut out, limit) {
                prop_assert!(step.used <= rest.len());
                if step.used == 0 && !step.full { break; }
                rest = &rest[step.used..];
                out.clear();
            }
        }
    }
}
