pub mod gate;
pub mod header;
pub mod people_table;
