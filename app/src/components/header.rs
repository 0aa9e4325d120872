use leptos::prelude::*;
use leptos_router::components::A;
use leptos_router::hooks::{use_location, use_navigate};

use ::api::i18n::Locale;

use crate::api::Client;
use crate::i18n::{Language, LanguageSaver, Text, t, tf};
use crate::state::{Session, SessionState, nav_links};
use crate::text::whoami;

#[component]
pub fn Header() -> impl IntoView {
    let session = Session::get();
    let location = use_location();
    let on_a_pad = move || location.pathname.with(|path| path.starts_with("/pad/"));
    view! {
        <header class="site-header">
            <A href="/" attr:class="brand">
                <span class="brand-mark">"{ }"</span>
                " Stagepad"
            </A>
            {move || match session.state() {
                SessionState::Loading => view! { <nav class="site-nav"></nav> }.into_any(),
                // A candidate on their pad is not a prospective customer: no Log in / Sign up,
                // only their language.
                SessionState::LoggedOut => {
                    let storefront = !on_a_pad();
                    view! {
                        {storefront
                            .then(|| {
                                view! {
                                    <nav class="site-nav" data-testid="nav">
                                        <A href="/">{t(Text::NavHome)}</A>
                                    </nav>
                                }
                            })}
                        <div class="session-links">
                            <LanguagePicker/>
                            {storefront
                                .then(|| {
                                    view! {
                                        <A href="/login">{t(Text::NavLogIn)}</A>
                                        <A href="/signup" attr:class="button">
                                            {t(Text::NavSignUp)}
                                        </A>
                                    }
                                })}
                        </div>
                    }
                        .into_any()
                }
                SessionState::LoggedIn(me) => {
                    view! {
                        <nav class="site-nav" data-testid="nav">
                            {nav_links(me.role)
                                .into_iter()
                                .map(|link| view! { <A href=link.href>{t(link.label)}</A> })
                                .collect_view()}
                        </nav>
                        <div class="session-links">
                            <span class="whoami" data-testid="whoami">
                                {whoami(&me)}
                            </span>
                            <LanguagePicker/>
                            <LogOut/>
                        </div>
                    }
                        .into_any()
                }
            }}
        </header>
    }
}

#[component]
fn LogOut() -> impl IntoView {
    let session = Session::get();
    let client = Client::get();
    let navigate = use_navigate();
    let log_out = Action::new_local(move |_: &()| {
        let navigate = navigate.clone();
        async move {
            let answer = client.log_out().await;
            // Whether or not the server still knew the session, this browser is logged out.
            if answer.is_ok() || answer.as_ref().is_err_and(|f| f.status == 401) {
                session.logged_out();
                navigate(
                    &crate::state::login_path_from("/", Some(crate::state::LoginReason::LoggedOut)),
                    Default::default(),
                );
            }
            answer
        }
    });
    view! {
        <button
            type="button"
            class="secondary"
            data-testid="logout"
            disabled=move || log_out.pending().get()
            on:click=move |_| {
                log_out.dispatch_local(());
            }
        >
            {t(Text::NavLogOut)}
        </button>
        {move || {
            log_out
                .value()
                .get()
                .and_then(Result::err)
                .map(|failure| view! { <span class="error">{failure.message}</span> })
        }}
    }
}

/// The console's language, each named in itself. A logged-in user's choice is saved with their
/// account too, so it follows them to other browsers.
#[component]
fn LanguagePicker() -> impl IntoView {
    let language = Language::get_context();
    let session = Session::get();
    let saver = LanguageSaver::get_context();
    view! {
        <label class="language-picker">
            <span class="sr-only">{t(Text::AppLanguage)}</span>
            <select
                data-testid="ui-language"
                on:change=move |event| {
                    let Some(locale) = Locale::from_code(&event_target_value(&event)) else {
                        return;
                    };
                    if session.user_id_untracked().is_some() {
                        saver.save(locale);
                    }
                    language.adopt(locale);
                }
            >
                {Locale::ALL
                    .iter()
                    .map(|&locale| {
                        view! {
                            <option
                                value=locale.as_str()
                                lang=locale.as_str()
                                selected=move || language.get() == locale
                            >
                                {locale.native_name()}
                            </option>
                        }
                    })
                    .collect_view()}
            </select>
        </label>
        {move || {
            // A save is the logged-in user's: after log-out its failure is nobody's business.
            saver
                .failure()
                .filter(|_| session.logged_in() == Some(true))
                .map(|why| {
                    view! {
                        <span class="error" role="alert" data-testid="language-save-failed">
                            {tf(Text::AppLanguageNotSaved, &[("why", &why)])}
                        </span>
                    }
                })
        }}
    }
}
