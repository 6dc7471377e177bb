//! Pure planning, no I/O: where folders land ([`folders`], [`mutf7`]), which folders to copy
//! ([`select`]), and which messages to fetch next in byte-bounded chunks ([`chunks`]).
pub mod chunks;
pub mod folders;
pub mod mutf7;
pub mod select;
