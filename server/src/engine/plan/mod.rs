//! Pure planning: folder-name mapping between two servers' namespaces. No I/O here.
pub mod folders;
pub mod mutf7;
