pub mod guard;
pub mod header;
pub mod pager;
