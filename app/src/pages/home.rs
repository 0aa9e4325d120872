use ::api::{MeResponse, Role};
use leptos::prelude::*;
use leptos_router::components::A;

use crate::pages::landing::Landing;
use crate::state::{Session, SessionState, nav_links};
use crate::text::{lever_notice, role_summary};

/// What each page is for, in the home page's list.
pub fn link_purpose(href: &str) -> &'static str {
    match href {
        "/members" => "Invite people, change roles, deactivate or remove members.",
        "/settings" => "Your organization's name, and its plan and what it includes.",
        "/integrations/lever" => "Connect Lever so that tagged candidates get pads automatically.",
        "/audit" => "Who did what, and when.",
        "/pads" => "Interview pads, with their candidate, job and link.",
        "/integrations/lever/deliveries" => {
            "What each of Lever's stage changes became: a pad, or why not."
        }
        "/account" => "Your name, your email address and your password.",
        _ => "",
    }
}

/// `/`: the product for visitors, a short home for people who are logged in.
#[component]
pub fn Home() -> impl IntoView {
    let session = Session::get();
    move || match session.state() {
        SessionState::Loading => ().into_any(),
        SessionState::LoggedOut => view! { <Landing/> }.into_any(),
        SessionState::LoggedIn(me) => view! { <Welcome me/> }.into_any(),
    }
}

#[component]
fn Welcome(me: MeResponse) -> impl IntoView {
    let links = nav_links(me.role)
        .into_iter()
        .filter(|link| link.href != "/")
        .map(|link| {
            view! {
                <li>
                    <A href=link.href>{crate::i18n::t(link.label)}</A>
                    " — "
                    {link_purpose(link.href)}
                </li>
            }
        })
        .collect_view();
    let plan = me.organization.plan;
    view! {
        <section class="card" data-testid="home">
            <h1>{format!("Welcome, {}", me.user.name)}</h1>
            <dl class="facts">
                <dt>"Organization"</dt>
                <dd data-testid="home-organization">{me.organization.name.clone()}</dd>
                <dt>"Plan"</dt>
                <dd data-testid="home-plan">{plan.label()}</dd>
                <dt>"Your role"</dt>
                <dd data-testid="home-role">{me.role.label()}</dd>
            </dl>
            <p class="muted">{role_summary(me.role)}</p>
            <ul class="links">{links}</ul>
            {match me.role {
                Role::Admin => view! {
                    <p class="notice" data-testid="home-lever-notice">
                        {lever_notice(plan, false)}
                        {(!plan.includes_lever()).then(|| view! { " " <A href="/settings">"Open Settings"</A> })}
                    </p>
                }
                .into_any(),
                Role::Member => {
                    view! {
                        <p class="muted">
                            "Your organization's admins manage members, the plan and integrations."
                        </p>
                    }
                        .into_any()
                }
            }}
        </section>
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_linked_page_says_what_it_is_for() {
        for role in [Role::Admin, Role::Member] {
            for link in nav_links(role).into_iter().filter(|l| l.href != "/") {
                assert!(!link_purpose(link.href).is_empty(), "{}", link.href);
            }
        }
    }
}
