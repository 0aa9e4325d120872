//! Browser tests: headless Chromium against the real served console.

mod accounts;
mod french;
mod layout;
mod lever;
mod lists;
mod mail;
mod pad_mail;
mod pads;
mod session;
mod shell;
