//! `/pad/<id>`: the link written on the candidate. No account needed: whoever holds the link
//! may open it.

use ::api::PadView;
use leptos::prelude::*;
use leptos_router::hooks::use_params_map;

use crate::api;
use crate::components::guard::load_failed;
use crate::text::{format_time, pad_status};

#[component]
pub fn Pad() -> impl IntoView {
    let params = use_params_map();
    let pad = LocalResource::new(move || {
        let id = params.with(|p| p.get("id").unwrap_or_default());
        async move { api::get::<PadView>(&format!("/api/pads/{id}")).await }
    });
    view! {
        <Transition fallback=|| view! { <p class="muted">"Opening the pad…"</p> }>
            <ErrorBoundary fallback=load_failed>
                {move || pad.get().map(|answer| answer.map(|pad| view! { <PadDetails pad/> }))}
            </ErrorBoundary>
        </Transition>
    }
}

#[component]
fn PadDetails(pad: PadView) -> impl IntoView {
    view! {
        <section class="card" data-testid="pad">
            <h1>"Interview pad"</h1>
            <dl class="facts">
                <dt>"Candidate"</dt>
                <dd data-testid="pad-candidate">{pad.candidate_name}</dd>
                <dt>"Job"</dt>
                <dd data-testid="pad-job">{pad.job_title.unwrap_or_else(|| "—".into())}</dd>
                <dt>"Created"</dt>
                <dd>{pad.created_at.map(format_time)}</dd>
                <dt>"Status"</dt>
                <dd data-testid="pad-status">{pad_status(&pad.status)}</dd>
            </dl>
            <p class="muted">
                "The interview happens on this page. Keep the link: the same link will play the session back afterwards."
            </p>
        </section>
    }
}
