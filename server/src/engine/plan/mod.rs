//! Pure planning, no I/O: where folders land ([`folders`], [`mutf7`], [`destination`]), what a folder's
//! copy does next ([`step`]), which folders to copy
//! ([`select`]), which messages to fetch next in byte-bounded chunks ([`chunks`]), how to recognise a
//! message already copied ([`fingerprint`]), which flag changes a delta run carries ([`flags`]), and
//! how much load a server takes ([`adaptive`]) and how many connections ([`ceiling`]), when a server is too strained for new copies ([`guard`]), and how much of a refused message to keep
//! ([`quarantine`]).
pub mod adaptive;
pub mod ceiling;
pub mod chunks;
pub mod destination;
pub mod fingerprint;
pub mod flags;
pub mod folders;
pub mod guard;
pub mod mutf7;
pub mod quarantine;
pub mod repair;
pub mod select;
pub mod step;
