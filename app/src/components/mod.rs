pub mod confirm;
pub mod copy;
pub mod form;
pub mod guard;
pub mod header;
pub mod list;
pub mod pager;
