//! Stagepad's web console: a client-side Leptos app. The server is the source of truth; pages
//! fetch from it through `api`, and logic worth testing lives in plain functions.

pub mod api;
mod components;
pub mod i18n;
mod pages;
pub mod state;
pub mod text;

use leptos::prelude::*;
use leptos_router::components::{ProtectedRoute, Route, Router, Routes};
use leptos_router::path;

use components::guard::BackToLoginWhenExpired;
use components::header::Header;
use pages::{
    account::Account,
    audit::Audit,
    home::Home,
    invite::AcceptInvitation,
    lever_deliveries::LeverDeliveries,
    lever_setup::LeverSetupPage,
    login::Login,
    members::Members,
    not_found::NotFound,
    pad::Pad,
    pads::Pads,
    password_reset::{ForgotPassword, ResetPassword},
    settings::Settings,
    signup::Signup,
};
use state::Session;

#[component]
pub fn App() -> impl IntoView {
    let language = i18n::Language::provide();
    let session = Session::provide();
    i18n::LanguageSaver::provide(api::Client::new(session));
    // A user's saved language follows them to this browser when they log in (once: later
    // changes of theirs are made here, in the header).
    let adopted_for = StoredValue::new(None::<::api::UserId>);
    Effect::new(move |_| {
        let me = session.me();
        let user = me.as_ref().map(|me| me.user.id);
        if adopted_for.get_value() == user {
            return;
        }
        adopted_for.set_value(user);
        if let Some(saved) = me.and_then(|me| me.language) {
            language.adopt(saved);
        }
    });
    let logged_in = move || session.logged_in();
    // Back to the page asked for once logged in.
    let to_login = || state::login_path(None);
    view! {
        <Router>
            // Built again in the new language when it changes.
            {move || {
                let _ = language.built_in();
                view! { <Pages to_login=to_login logged_in=logged_in/> }
            }}
        </Router>
    }
}

#[component]
fn Pages(
    to_login: fn() -> String,
    logged_in: impl Fn() -> Option<bool> + Copy + Send + Sync + 'static,
) -> impl IntoView {
    view! {
            <a class="skip-link" href="#main">{i18n::t(i18n::Text::AppSkipLink)}</a>
            <Header/>
            <BackToLoginWhenExpired/>
            <main class="page" id="main" tabindex="-1">
                <Routes fallback=NotFound>
                    <Route path=path!("/") view=Home/>
                    <Route path=path!("/signup") view=Signup/>
                    <Route path=path!("/login") view=Login/>
                    <Route path=path!("/invite/:token") view=AcceptInvitation/>
                    <Route path=path!("/forgot-password") view=ForgotPassword/>
                    <Route path=path!("/reset-password/:token") view=ResetPassword/>
                    <ProtectedRoute path=path!("/members") view=Members condition=logged_in redirect_path=to_login/>
                    <ProtectedRoute path=path!("/settings") view=Settings condition=logged_in redirect_path=to_login/>
                    <ProtectedRoute path=path!("/integrations/lever") view=LeverSetupPage condition=logged_in redirect_path=to_login/>
                    <ProtectedRoute path=path!("/integrations/lever/deliveries") view=LeverDeliveries condition=logged_in redirect_path=to_login/>
                    <ProtectedRoute path=path!("/pads") view=Pads condition=logged_in redirect_path=to_login/>
                    <Route path=path!("/pad/:id") view=Pad/>
                    <ProtectedRoute path=path!("/audit") view=Audit condition=logged_in redirect_path=to_login/>
                    <ProtectedRoute path=path!("/account") view=Account condition=logged_in redirect_path=to_login/>
                </Routes>
            </main>
    }
}
