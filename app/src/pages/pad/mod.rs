//! `/pad/<id>`: the link written on the candidate. While the interview runs it is the live
//! editor (no account needed: guests give a display name); once it has ended, members of the
//! organization get the playback and everyone else a notice that it ended.

mod cursors;
mod editing;
mod highlight;
mod live;
mod mail;
mod playback;
mod run;

use ::api::{PadId, PadStatus};
use leptos::prelude::*;
use leptos_router::hooks::use_params_map;

use crate::api::Client;
use crate::components::guard::load_failed;
use crate::i18n::{Text, t};

#[component]
pub fn Pad() -> impl IntoView {
    let params = use_params_map();
    let pad_id = move || params.with(|p| PadId::new(p.get("id").unwrap_or_default()));
    let client = Client::get();
    let pad = LocalResource::new(move || {
        let id = pad_id();
        async move { client.pad(&id).await }
    });
    // The live editor reports the end; the page then shows what fits the viewer.
    let ended = RwSignal::new(false);
    view! {
        <Transition fallback=|| view! { <p class="muted">{t(Text::PadOpening)}</p> }>
            <ErrorBoundary fallback=load_failed>
                {move || {
                    pad.get()
                        .map(|answer| {
                            // A link that leads nowhere gets a page of its own, not an error.
                            if let Err(failure) = &answer
                                && failure.status == 404
                            {
                                return Ok(view! { <BadLink/> }.into_any());
                            }
                            answer.map(|view| {
                                let is_ended = view.status == PadStatus::Ended || ended.get();
                                match (is_ended, view.member) {
                                    (false, _) => {
                                        view! { <live::LivePad pad=view ended/> }.into_any()
                                    }
                                    (true, true) => {
                                        view! { <playback::Playback pad=view.clone()/> }.into_any()
                                    }
                                    (true, false) => view! { <EndedNotice/> }.into_any(),
                                }
                            })
                        })
                }}
            </ErrorBoundary>
        </Transition>
    }
}

/// The `<option>`s of every language a pad can be set to.
pub fn language_options() -> impl IntoView {
    ::api::LANGUAGES
        .iter()
        .map(|(id, label)| view! { <option value=*id>{*label}</option> })
        .collect_view()
}

#[component]
fn BadLink() -> impl IntoView {
    view! {
        <section class="card narrow" data-testid="pad-not-found">
            <h1>{t(Text::PadBadLinkTitle)}</h1>
            <p>{t(Text::PadBadLinkText)}</p>
            <p><a href="/">{t(Text::PadBadLinkHome)}</a></p>
        </section>
    }
}

#[component]
fn EndedNotice() -> impl IntoView {
    view! {
        <section class="card" data-testid="pad-ended">
            <h1>{t(Text::PadEndedTitle)}</h1>
            <p>{t(Text::PadEndedText)}</p>
        </section>
    }
}
