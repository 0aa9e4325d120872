//! Tests of the Lever simulator itself: it must be at least as strict as Lever
//! (../shared/lever-api.md), or it hides Stagepad's bugs. Only loopback traffic; waits poll
//! with deadlines.

mod auth;
mod binary;
mod control;
mod faults;
mod feedback;
mod opportunities;
mod pagination;
mod rate_limit;
mod support;
mod users;
mod webhooks;

#[test]
fn signatures_match_the_published_vector() {
    assert_eq!(
        tests::lever_sim::sign(
            "test-signature-token",
            "be58f711f349c7780e4579cd7c63341ac6f881e4dccc3154",
            1431454330072
        ),
        "67237316b71be6f4595c3313d347b09353b22d7cbab3726261b73d409acd8fd7"
    );
}
