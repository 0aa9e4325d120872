//! Running the pad's code: which languages this server can run ([`languages`]) and the
//! bubblewrap sandbox that runs one program under limits ([`sandbox`]).

pub mod languages;
pub mod sandbox;
