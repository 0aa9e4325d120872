//! A form's problem next to the field it concerns: the form's own check before sending, or the
//! server's refusal, placed by its error code. Each form names its fields with a small enum and
//! says which codes concern which field; what concerns none shows under the form.

use ::api::ErrorCode;
use leptos::prelude::*;

use crate::api::ApiFailure;
use crate::components::guard::error_note;
use crate::text::password_hint;

/// Where a refusal goes: the field its code concerns (`None`: the form as a whole), and its
/// words.
pub fn place<F>(failure: &ApiFailure, field_of: fn(ErrorCode) -> Option<F>) -> (Option<F>, String) {
    (failure.code.and_then(field_of), failure.message.clone())
}

/// The first of a form's own checks that finds a problem, in form order, with its field.
pub fn first_at<F>(checks: impl IntoIterator<Item = (F, Option<String>)>) -> Option<(F, String)> {
    checks
        .into_iter()
        .find_map(|(field, problem)| problem.map(|message| (field, message)))
}

/// A form's one current problem and the field it concerns. Copy it freely: a handle to a signal.
pub struct FormProblem<F: 'static> {
    problem: RwSignal<Option<(Option<F>, String)>>,
    field_of: fn(ErrorCode) -> Option<F>,
}

impl<F: 'static> Clone for FormProblem<F> {
    fn clone(&self) -> Self {
        *self
    }
}

impl<F: 'static> Copy for FormProblem<F> {}

impl<F: Copy + PartialEq + Send + Sync + 'static> FormProblem<F> {
    /// `field_of` says which field a refusal's code concerns.
    pub fn new(field_of: fn(ErrorCode) -> Option<F>) -> Self {
        Self {
            problem: RwSignal::new(None),
            field_of,
        }
    }

    /// The form's own check before sending (its first problem): true when there is none, so
    /// the form may be sent.
    pub fn check(self, first: Option<(F, String)>) -> bool {
        let fine = first.is_none();
        self.problem
            .set(first.map(|(field, message)| (Some(field), message)));
        fine
    }

    /// Passes the server's answer through: a refusal shows by the field it concerns, a success
    /// clears the problem.
    pub fn answered<T>(self, answer: Result<T, ApiFailure>) -> Result<T, ApiFailure> {
        let refusal = answer
            .as_ref()
            .err()
            .map(|failure| place(failure, self.field_of));
        self.problem.set(refusal);
        answer
    }

    /// The problem's words when it concerns `field` (`None`: the form as a whole).
    pub fn at(self, field: Option<F>) -> Option<String> {
        self.problem.with(|problem| {
            problem
                .as_ref()
                .filter(|(at, _)| *at == field)
                .map(|(_, message)| message.clone())
        })
    }

    pub fn is_empty(self) -> bool {
        self.problem.with(Option::is_none)
    }

    /// The problem under `field` (`None`: under the form), following it as it changes.
    pub fn note(self, field: Option<F>) -> impl IntoView {
        move || error_note(self.at(field))
    }

    /// A new password's hint as it is typed, unless the password field has a problem: "Long
    /// enough" above "too common" would contradict it.
    pub fn password_hint(self, field: F, password: RwSignal<String>) -> impl IntoView {
        move || {
            self.at(Some(field)).is_none().then(|| {
                view! {
                    <span class="hint" data-testid="password-hint">
                        {password.with(|p| password_hint(p))}
                    </span>
                }
            })
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Debug, Clone, Copy, PartialEq, Eq)]
    enum Field {
        Password,
    }

    fn field_of(code: ErrorCode) -> Option<Field> {
        (code == ErrorCode::WeakPassword).then_some(Field::Password)
    }

    #[test]
    fn a_refusal_goes_to_the_field_its_code_concerns() {
        let weak = ApiFailure {
            status: 422,
            code: Some(ErrorCode::WeakPassword),
            message: "Too common.".into(),
        };
        assert_eq!(
            place(&weak, field_of),
            (Some(Field::Password), "Too common.".into())
        );
        let busy = ApiFailure {
            status: 429,
            code: Some(ErrorCode::TooManyRequests),
            message: "Wait.".into(),
        };
        assert_eq!(place(&busy, field_of), (None, "Wait.".into()));
        let unreachable = ApiFailure {
            status: 0,
            code: None,
            message: "Stagepad cannot be reached.".into(),
        };
        assert_eq!(place(&unreachable, field_of).0, None);
    }
}
