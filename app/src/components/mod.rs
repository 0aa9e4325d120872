pub mod guard;
pub mod header;
