pub mod email_templates;
pub mod gate;
pub mod header;
pub mod people_table;
pub mod progress;
pub mod report_table;
pub mod timeline;
pub mod triage_table;
