//! Stagepad's web console: a client-side Leptos app. The server is the source of truth; pages
//! fetch from it through `api`, and logic worth testing lives in plain functions.

pub mod api;
mod components;
mod pages;

use leptos::prelude::*;
use leptos_router::components::{Route, Router, Routes};
use leptos_router::path;

use components::header::Header;
use pages::{landing::Landing, not_found::NotFound};

#[component]
pub fn App() -> impl IntoView {
    view! {
        <Router>
            <Header/>
            <main class="page">
                <Routes fallback=NotFound>
                    <Route path=path!("/") view=Landing/>
                </Routes>
            </main>
        </Router>
    }
}
