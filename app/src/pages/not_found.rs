use leptos::prelude::*;
use leptos_router::components::A;

use crate::i18n::{Text, t};

#[component]
pub fn NotFound() -> impl IntoView {
    view! {
        <section class="card">
            <h1>{t(Text::NotFoundTitle)}</h1>
            <p>{t(Text::NotFoundText)}</p>
            <A href="/">{t(Text::NotFoundBack)}</A>
        </section>
    }
}
