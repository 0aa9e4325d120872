//! `/pads`: the organization's interview pads, newest first, a page at a time, with a status
//! filter and a search by candidate or job (both in the URL), "New pad" for interviews that do
//! not come from Lever, and End for running ones.

use ::api::{NewPadRequest, PadId, PadStatus, PadSummary, PadView, PadsResponse};
use leptos::prelude::*;
use leptos_router::hooks::use_navigate;

use crate::api::{ApiFailure, Client};
use crate::components::confirm::InlineConfirm;
use crate::components::guard::{error_note, failure_message};
use crate::components::list::{DataTable, ListCard, Listing, SearchBox, StatusFilter};
use crate::i18n::{Text, t};
use crate::text::{format_time, pad_status};

/// The status filter's choices: (status sent to the server, label).
pub fn filters() -> [(&'static str, &'static str); 4] {
    [
        ("", t(Text::PadsFilterAll)),
        ("not_started", pad_status(PadStatus::NotStarted)),
        ("in_progress", pad_status(PadStatus::InProgress)),
        ("ended", pad_status(PadStatus::Ended)),
    ]
}

fn headers() -> [&'static str; 8] {
    [
        t(Text::PadsColumnCandidate),
        t(Text::PadsColumnJob),
        t(Text::PadsColumnStage),
        t(Text::PadsColumnOwner),
        t(Text::PadsColumnStatus),
        t(Text::PadsColumnCreated),
        t(Text::PadsColumnEnded),
        "",
    ]
}

#[component]
pub fn Pads() -> impl IntoView {
    let client = Client::get();
    let listing = Listing::new("/pads", move |place| client.pads(place));
    // End stops a live interview for everyone in it: the row asks first, as the pad page does.
    let confirm_end = RwSignal::new(None::<PadId>);
    let end = Action::new_local(move |id: &PadId| {
        let id = id.clone();
        async move {
            let answer = client.end_pad(&id).await;
            listing.refetch();
            answer
        }
    });
    view! {
        <ListCard
            title=t(Text::PadsTitle)
            listing
            loading=t(Text::PadsLoading)
            refresh=true
            problem=Signal::derive(move || failure_message(end.value().get()))
            show=move |page: PadsResponse| {
                view! {
                    <DataTable
                        testid="pads"
                        class="audit"
                        headers=headers()
                        items=page.pads
                        row=move |pad| pad_row(pad, end, confirm_end)
                        empty=t(Text::PadsEmpty)
                        empty_testid="no-pads"
                    />
                }
            }
        >
            <p class="muted">{t(Text::PadsIntro)}</p>
            <div class="filters">
                <StatusFilter
                    listing
                    label=t(Text::PadsFilterLabel)
                    testid="pad-filter"
                    options=filters()
                />
                <SearchBox listing placeholder=t(Text::PadsSearch)/>
            </div>
        </ListCard>
        <NewPad/>
    }
}

fn pad_row(
    pad: PadSummary,
    end: Action<PadId, Result<PadView, ApiFailure>>,
    confirm_end: RwSignal<Option<PadId>>,
) -> impl IntoView {
    let owner = pad.owner.map(|o| o.name).unwrap_or_else(|| "—".into());
    let id = pad.id.clone();
    let running = pad.status != PadStatus::Ended;
    view! {
        <tr data-testid="pad-row" data-status=pad.status.as_str()>
            <td data-testid="pad-candidate">{pad.candidate_name}</td>
            <td>{pad.job_title.unwrap_or_default()}</td>
            <td>{pad.stage_name.unwrap_or_default()}</td>
            <td>{owner}</td>
            <td>{pad_status(pad.status)}</td>
            <td>{format_time(pad.created_at)}</td>
            <td>{pad.ended_at.map(format_time).unwrap_or_default()}</td>
            <td class="actions">
                <a class="nowrap" href=pad.link.clone() title=pad.link.clone() data-testid="pad-link">
                    {t(if running { Text::PadsOpen } else { Text::PadsPlayBack })}
                </a>
                {running.then(|| {
                    let asking = {
                        let id = id.clone();
                        move || confirm_end.with(|asked| asked.as_ref() == Some(&id))
                    };
                    move || {
                        let id = id.clone();
                        if asking() {
                            view! {
                                " "
                                <InlineConfirm
                                    question=t(Text::PadsEndQuestion).to_string()
                                    yes=t(Text::PadsEndYes)
                                    busy=end.pending()
                                    testid="confirm-end"
                                    small=true
                                    on_yes=Callback::new(move |()| {
                                        confirm_end.set(None);
                                        end.dispatch_local(id.clone());
                                    })
                                    on_cancel=Callback::new(move |()| confirm_end.set(None))
                                />
                            }
                                .into_any()
                        } else {
                            view! {
                                " "
                                <button
                                    type="button"
                                    class="secondary small"
                                    on:click=move |_| confirm_end.set(Some(id.clone()))
                                >
                                    {t(Text::PadsEnd)}
                                </button>
                            }
                                .into_any()
                        }
                    }
                })}
            </td>
        </tr>
    }
}

#[component]
fn NewPad() -> impl IntoView {
    let client = Client::get();
    let candidate = RwSignal::new(String::new());
    let job = RwSignal::new(String::new());
    let language = RwSignal::new("python".to_string());
    let navigate = use_navigate();
    let create = Action::new_local(move |request: &NewPadRequest| {
        let request = request.clone();
        let navigate = navigate.clone();
        async move {
            let answer = client.create_pad(&request).await;
            if let Ok(pad) = &answer {
                navigate(&format!("/pad/{}", pad.id), Default::default());
            }
            answer
        }
    });
    let problem = RwSignal::new(None::<String>);
    let on_submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let name = candidate.get_untracked().trim().to_string();
        if name.is_empty() {
            problem.set(Some(t(Text::PadsNewCandidateMissing).into()));
            return;
        }
        problem.set(None);
        let job_title = Some(job.get_untracked()).filter(|j| !j.trim().is_empty());
        create.dispatch_local(NewPadRequest {
            candidate_name: name,
            job_title,
            language: Some(language.get_untracked()),
        });
    };
    let languages = crate::pages::pad::language_options();
    view! {
        <section class="card">
            <h2>{t(Text::PadsNewTitle)}</h2>
            <p class="muted">{t(Text::PadsNewIntro)}</p>
            <form class="form" on:submit=on_submit>
                <label>
                    {t(Text::PadsNewCandidate)}
                    <input type="text" name="candidate_name" on:input=move |ev| candidate.set(event_target_value(&ev))/>
                </label>
                <label>
                    {t(Text::PadsNewJob)}
                    <input type="text" name="job_title" on:input=move |ev| job.set(event_target_value(&ev))/>
                </label>
                <label>
                    {t(Text::PadsNewLanguage)}
                    <select name="new_language" on:change=move |ev| language.set(event_target_value(&ev))>
                        {languages}
                    </select>
                </label>
                {move || error_note(problem.get().or_else(|| failure_message(create.value().get())))}
                <button type="submit" disabled=move || create.pending().get()>
                    {t(Text::PadsNewCreate)}
                </button>
            </form>
        </section>
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_filter_sends_the_api_s_statuses_and_shows_their_names() {
        assert_eq!(
            filters(),
            [
                ("", "All"),
                ("not_started", "Not started"),
                ("in_progress", "In progress"),
                ("ended", "Ended"),
            ]
        );
        for (value, _) in &filters()[1..] {
            assert!(
                PadStatus::ALL
                    .iter()
                    .any(|status| status.as_str() == *value),
                "{value}"
            );
        }
        assert_eq!(headers().len(), 8);
        assert_eq!(headers()[7], "");
    }
}
