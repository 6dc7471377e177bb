//! Where folders land, beyond the plan itself: the destination's rules from what it announces and
//! its profile, how a rename is worded for people, and which folders share a destination (they go
//! to one worker, one after the other).
use std::collections::BTreeMap;
use std::fmt;

use super::folders::{DestinationRules, FolderPlan, Layout, Rename, SpecialUse};

impl DestinationRules {
    /// What the destination says about itself (its layout and special-use folders); a Zimbra-like
    /// server adds the naming rules it does not announce.
    pub fn announced(
        layout: Layout,
        special_folders: BTreeMap<SpecialUse, String>,
        zimbra_like: bool,
    ) -> DestinationRules {
        let announced = DestinationRules {
            layout,
            special_folders,
            reserved: Vec::new(),
            forbidden_chars: Vec::new(),
            case_insensitive: false,
        };
        if !zimbra_like {
            return announced;
        }
        let zimbra = DestinationRules::zimbra_like();
        DestinationRules {
            reserved: zimbra.reserved,
            forbidden_chars: zimbra.forbidden_chars,
            case_insensitive: zimbra.case_insensitive,
            ..announced
        }
    }
}

impl fmt::Display for Rename {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Rename::SpecialUse(kind) => write!(f, "lands in the destination's {kind:?} folder"),
            Rename::MergedWith { other_source } => write!(f, "merged with {other_source}"),
            Rename::Reserved { name } => {
                write!(f, "\"{name}\" is reserved on the destination: renamed")
            }
            Rename::IllegalCharacter(c) => {
                write!(f, "{c:?} is not allowed on the destination: replaced by _")
            }
            Rename::Collision { with_source } => write!(f, "name taken by {with_source}: numbered"),
            Rename::UndecodableName(e) => {
                write!(f, "name is not valid modified UTF-7 ({e}): kept as is")
            }
        }
    }
}

/// The plans in groups that land in the same destination folder, each plan with its index, in the
/// order of their first plan.
pub fn group_by_destination(plans: &[FolderPlan]) -> Vec<Vec<(usize, &FolderPlan)>> {
    let mut groups: Vec<Vec<(usize, &FolderPlan)>> = Vec::new();
    for (i, plan) in plans.iter().enumerate() {
        match groups
            .iter_mut()
            .find(|g| g[0].1.destination_wire == plan.destination_wire)
        {
            Some(group) => group.push((i, plan)),
            None => groups.push(vec![(i, plan)]),
        }
    }
    groups
}

#[cfg(test)]
mod tests {
    use super::*;

    fn plan(source: &str, destination: &str) -> FolderPlan {
        FolderPlan {
            source_wire: source.into(),
            source_display: source.into(),
            destination_wire: destination.into(),
            destination_display: destination.into(),
            special_use: None,
            notes: vec![],
        }
    }

    fn flat() -> Layout {
        Layout {
            prefix: String::new(),
            separator: '/',
        }
    }

    #[test]
    fn folders_landing_together_are_one_group_in_plan_order() {
        let plans = [
            plan("Sent", "Sent"),
            plan("INBOX", "INBOX"),
            plan("Sent Items", "Sent"),
        ];
        let groups = group_by_destination(&plans);
        let indices: Vec<Vec<usize>> = groups
            .iter()
            .map(|g| g.iter().map(|(i, _)| *i).collect())
            .collect();
        assert_eq!(indices, vec![vec![0, 2], vec![1]]);
    }

    #[test]
    fn a_generic_destination_keeps_only_what_it_announces() {
        let specials = BTreeMap::from([(SpecialUse::Sent, "Sent".to_owned())]);
        let rules = DestinationRules::announced(flat(), specials.clone(), false);
        assert!(rules.reserved.is_empty() && rules.forbidden_chars.is_empty());
        assert!(!rules.case_insensitive);
        let zimbra = DestinationRules::announced(flat(), specials.clone(), true);
        assert_eq!(zimbra.special_folders, specials, "its own answers stay");
        assert!(zimbra.case_insensitive && zimbra.reserved.iter().any(|r| r == "Calendar"));
    }

    #[test]
    fn renames_are_worded_for_people() {
        assert_eq!(
            Rename::Collision {
                with_source: "Projects".into()
            }
            .to_string(),
            "name taken by Projects: numbered"
        );
        assert_eq!(
            Rename::IllegalCharacter(':').to_string(),
            "':' is not allowed on the destination: replaced by _"
        );
    }
}
