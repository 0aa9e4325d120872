use leptos::prelude::*;
use leptos_router::components::A;

#[component]
pub fn Header() -> impl IntoView {
    view! {
        <header class="site-header">
            <A href="/" attr:class="brand">
                <span class="brand-mark">"{ }"</span>
                " Stagepad"
            </A>
            <nav class="site-nav">
                <A href="/">"Home"</A>
            </nav>
        </header>
    }
}
