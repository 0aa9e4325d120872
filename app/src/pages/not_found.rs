use leptos::prelude::*;
use leptos_router::components::A;

#[component]
pub fn NotFound() -> impl IntoView {
    view! {
        <section class="card">
            <h1>"Page not found"</h1>
            <p>"There is no page at this address."</p>
            <A href="/">"Back to the start"</A>
        </section>
    }
}
