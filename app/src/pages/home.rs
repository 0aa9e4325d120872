use ::api::{MeResponse, Role};
use leptos::prelude::*;
use leptos_router::components::A;

use crate::i18n::{Text, t, tf};
use crate::pages::landing::Landing;
use crate::state::{Session, SessionState, nav_links};
use crate::text::{lever_notice, plan_label, role_label, role_summary};

/// What each page is for, in the home page's list.
pub fn link_purpose(href: &str) -> &'static str {
    let purpose = match href {
        "/members" => Text::HomePurposeMembers,
        "/settings" => Text::HomePurposeSettings,
        "/integrations/lever" => Text::HomePurposeLever,
        "/audit" => Text::HomePurposeAudit,
        "/pads" => Text::HomePurposePads,
        "/integrations/lever/deliveries" => Text::HomePurposeDeliveries,
        "/account" => Text::HomePurposeAccount,
        _ => return "",
    };
    t(purpose)
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
                    <A href=link.href>{t(link.label)}</A>
                    " — "
                    {link_purpose(link.href)}
                </li>
            }
        })
        .collect_view();
    let plan = me.organization.plan;
    view! {
        <section class="card" data-testid="home">
            <h1>{tf(Text::HomeWelcome, &[("name", &me.user.name)])}</h1>
            <dl class="facts">
                <dt>{t(Text::FormFieldOrganization)}</dt>
                <dd data-testid="home-organization">{me.organization.name.clone()}</dd>
                <dt>{t(Text::FormFieldPlan)}</dt>
                <dd data-testid="home-plan">{plan_label(plan)}</dd>
                <dt>{t(Text::HomeYourRole)}</dt>
                <dd data-testid="home-role">{role_label(me.role)}</dd>
            </dl>
            <p class="muted">{role_summary(me.role)}</p>
            <ul class="links">{links}</ul>
            {match me.role {
                Role::Admin => view! {
                    <p class="notice" data-testid="home-lever-notice">
                        {lever_notice(plan, false)}
                        {(!plan.includes_lever()).then(|| view! { " " <A href="/settings">{t(Text::HomeOpenSettings)}</A> })}
                    </p>
                }
                .into_any(),
                Role::Member => {
                    view! {
                        <p class="muted">{t(Text::HomeMemberNote)}</p>
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
        assert_eq!(link_purpose("/audit"), "Who did what, and when.");
        assert_eq!(link_purpose("/nowhere"), "");
    }

    #[test]
    fn purposes_speak_the_reader_s_language() {
        crate::i18n::set_locale(::api::i18n::Locale::Fr);
        assert_eq!(link_purpose("/audit"), "Qui a fait quoi, et quand.");
        crate::i18n::set_locale(::api::i18n::Locale::En);
    }
}
