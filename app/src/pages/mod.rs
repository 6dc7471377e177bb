pub mod helpdesk;
pub mod it;
pub mod landing;
pub mod my_migration;
pub mod not_found;
pub mod request_detail;
