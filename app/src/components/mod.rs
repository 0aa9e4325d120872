pub mod confirm;
pub mod copy;
pub mod guard;
pub mod header;
pub mod list;
pub mod pager;
