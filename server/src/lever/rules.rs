//! Whether a stage change creates a pad: a pure function of what Lever says now (re-read, never
//! the webhook's unsigned `data` alone) and what Stagepad knows.

use api::DeliveryReason;

use super::types::LeverOpportunity;

/// What the decision looks at.
pub struct Facts<'a> {
    /// The stage the delivery says the candidate moved to.
    pub to_stage_id: &'a str,
    /// The stages the admin chose in step 2.
    pub selected_stage_ids: &'a [String],
    /// The opportunity as Lever answers now, with applications expanded.
    pub opportunity: &'a LeverOpportunity,
    /// The job posting's own tags, when the opportunity has a posting.
    pub posting_tags: Option<&'a [String]>,
    /// The tag that marks jobs and candidates (default `coderpad`).
    pub tag: &'a str,
    /// A pad already exists for this opportunity in this organization.
    pub has_pad: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Decision {
    CreatePad,
    Ignore(DeliveryReason),
}

/// Tags match trimmed and without regard to case; Lever's own filters are stricter, but
/// "CoderPad" on a job plainly means the same thing.
pub fn carries_tag(tags: &[String], tag: &str) -> bool {
    let wanted = tag.trim().to_lowercase();
    !wanted.is_empty() && tags.iter().any(|t| t.trim().to_lowercase() == wanted)
}

pub fn decide(facts: &Facts) -> Decision {
    use DeliveryReason::*;
    if !facts
        .selected_stage_ids
        .iter()
        .any(|id| id == facts.to_stage_id)
    {
        return Decision::Ignore(StageNotSelected);
    }
    // A partial record may answer `null` for its history: being in the stage now proves it
    // was entered just as well.
    let entered = facts.opportunity.stage.as_deref() == Some(facts.to_stage_id)
        || facts
            .opportunity
            .stage_changes
            .iter()
            .any(|change| change.to_stage_id == facts.to_stage_id);
    if !entered {
        return Decision::Ignore(StageNotEntered);
    }
    if facts.opportunity.is_archived() {
        return Decision::Ignore(Archived);
    }
    let tagged = carries_tag(&facts.opportunity.tags, facts.tag)
        || facts
            .posting_tags
            .is_some_and(|tags| carries_tag(tags, facts.tag));
    if !tagged {
        return Decision::Ignore(NotTagged);
    }
    if facts.has_pad {
        return Decision::Ignore(AlreadyHasPad);
    }
    Decision::CreatePad
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::lever::types::LeverStageChange;

    fn opportunity(tags: &[&str], entered: &[&str], archived: bool) -> LeverOpportunity {
        LeverOpportunity {
            id: "o1".into(),
            name: "Ada".into(),
            contact: Some("c1".into()),
            stage: entered.last().map(|s| s.to_string()),
            stage_changes: entered
                .iter()
                .map(|s| LeverStageChange {
                    to_stage_id: s.to_string(),
                    updated_at: Some(1),
                })
                .collect(),
            tags: tags.iter().map(|t| t.to_string()).collect(),
            archived: archived.then(|| serde_json::json!({"archivedAt": 1})),
            links: vec![],
            applications: vec![],
            emails: vec![],
        }
    }

    fn decide_with(
        opportunity: &LeverOpportunity,
        posting_tags: Option<&[String]>,
        has_pad: bool,
    ) -> Decision {
        let selected = vec!["phone".to_string(), "onsite".to_string()];
        decide(&Facts {
            to_stage_id: "phone",
            selected_stage_ids: &selected,
            opportunity,
            posting_tags,
            tag: " CoderPad ",
            has_pad,
        })
    }

    #[test]
    fn a_tagged_candidate_entering_a_selected_stage_gets_a_pad() {
        let o = opportunity(&["coderpad"], &["lead-new", "phone"], false);
        assert_eq!(decide_with(&o, None, false), Decision::CreatePad);
        // Without a history (a partial record), the current stage is proof enough.
        let partial = LeverOpportunity {
            stage_changes: vec![],
            ..o
        };
        assert_eq!(decide_with(&partial, None, false), Decision::CreatePad);
    }

    #[test]
    fn the_tag_may_be_on_the_job_only() {
        let o = opportunity(&["Engineering"], &["phone"], false);
        let job = vec!["CODERPAD".to_string()];
        assert_eq!(decide_with(&o, Some(&job), false), Decision::CreatePad);
        assert_eq!(
            decide_with(&o, Some(&[]), false),
            Decision::Ignore(DeliveryReason::NotTagged)
        );
        assert_eq!(
            decide_with(&o, None, false),
            Decision::Ignore(DeliveryReason::NotTagged)
        );
    }

    #[test]
    fn every_other_case_has_its_reason() {
        let o = opportunity(&["coderpad"], &["phone"], false);
        let selected = vec!["onsite".to_string()];
        let facts = Facts {
            to_stage_id: "phone",
            selected_stage_ids: &selected,
            opportunity: &o,
            posting_tags: None,
            tag: "coderpad",
            has_pad: false,
        };
        assert_eq!(
            decide(&facts),
            Decision::Ignore(DeliveryReason::StageNotSelected)
        );
        let forged = opportunity(&["coderpad"], &["lead-new"], false);
        assert_eq!(
            decide_with(&forged, None, false),
            Decision::Ignore(DeliveryReason::StageNotEntered)
        );
        let archived = opportunity(&["coderpad"], &["phone"], true);
        assert_eq!(
            decide_with(&archived, None, false),
            Decision::Ignore(DeliveryReason::Archived)
        );
        assert_eq!(
            decide_with(&o, None, true),
            Decision::Ignore(DeliveryReason::AlreadyHasPad)
        );
    }

    #[test]
    fn tags_compare_trimmed_and_caseless_but_whole() {
        let tags = vec![" CoderPad".to_string(), "pad".to_string()];
        assert!(carries_tag(&tags, "coderpad "));
        assert!(!carries_tag(&tags, "coder"));
        assert!(!carries_tag(&tags, "  "));
    }
}
