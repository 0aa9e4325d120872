pub mod account;
pub mod audit;
pub mod home;
pub mod invite;
pub mod landing;
pub mod lever_deliveries;
pub mod lever_setup;
pub mod login;
pub mod members;
pub mod not_found;
pub mod pad;
pub mod pads;
pub mod password_reset;
pub mod settings;
pub mod signup;

use leptos::prelude::*;
use leptos_router::NavigateOptions;
use leptos_router::hooks::use_navigate;

use crate::state::Session;

/// Pages for logged-out people (log-in, sign-up) send a logged-in person home: right after
/// they log in, and when they open them while logged in.
pub fn home_when_logged_in(session: Session) {
    let navigate = use_navigate();
    Effect::new(move |_| {
        if session.logged_in() == Some(true) {
            navigate(
                "/",
                NavigateOptions {
                    replace: true,
                    ..Default::default()
                },
            );
        }
    });
}
