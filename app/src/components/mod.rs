pub mod gate;
pub mod header;
pub mod people_table;
pub mod triage_table;
