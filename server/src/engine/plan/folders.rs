//! Where each source folder lands on the destination: namespace prefix and hierarchy separator,
//! modified UTF-7 both ways, SPECIAL-USE (the source's Sent/Drafts/Trash/Junk/Archive land in the
//! destination's own), and the destination's naming rules (reserved names, illegal characters).
//! Collisions are resolved deterministically and every rename is reported, never silently dropped.
use std::collections::{BTreeMap, HashSet};

use super::mutf7;

/// RFC 6154 special-use folders Fountain maps onto the destination's own.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum SpecialUse {
    Sent,
    Drafts,
    Trash,
    Junk,
    Archive,
}

impl SpecialUse {
    /// From a LIST attribute such as `\Sent`.
    pub fn from_attribute(attr: &str) -> Option<Self> {
        match attr.to_ascii_lowercase().as_str() {
            "\\sent" => Some(Self::Sent),
            "\\drafts" => Some(Self::Drafts),
            "\\trash" => Some(Self::Trash),
            "\\junk" => Some(Self::Junk),
            "\\archive" => Some(Self::Archive),
            _ => None,
        }
    }

    /// From a well-known top-level name, for servers without SPECIAL-USE (old Cyrus, say).
    pub fn from_name(name: &str) -> Option<Self> {
        let n = name.to_lowercase();
        match n.as_str() {
            "sent" | "sent items" | "sent messages" | "sent mail" | "sent-mail" => Some(Self::Sent),
            "drafts" | "draft" => Some(Self::Drafts),
            "trash" | "deleted items" | "deleted messages" | "deleted" => Some(Self::Trash),
            "junk" | "spam" | "junk e-mail" | "junk email" | "bulk mail" => Some(Self::Junk),
            "archive" | "archives" => Some(Self::Archive),
            _ => None,
        }
    }
}

/// One side's personal namespace, in Unicode: e.g. Cyrus `INBOX.` + `.`, Dovecot `` + `/`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Layout {
    pub prefix: String,
    pub separator: char,
}

/// A server's personal namespace from its LIST: the separator it reports, and an `INBOX<sep>` prefix when
/// every other folder lives under INBOX (Cyrus 2.x style).
pub fn infer_layout(listed: &[(String, Option<char>)]) -> Layout {
    let separator = listed.iter().find_map(|(_, s)| *s).unwrap_or('/');
    let prefix = format!("INBOX{separator}");
    let others: Vec<&String> = listed
        .iter()
        .map(|(n, _)| n)
        .filter(|n| !n.eq_ignore_ascii_case("INBOX"))
        .collect();
    let under_inbox = !others.is_empty()
        && others.iter().all(|n| {
            strip_prefix_ignore_ascii_case(n, &prefix).is_some_and(|rest| !rest.is_empty())
        });
    Layout {
        prefix: if under_inbox { prefix } else { String::new() },
        separator,
    }
}

/// A folder as the source's LIST reported it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SourceFolder {
    /// The name on the wire (modified UTF-7).
    pub wire_name: String,
    pub special_use: Option<SpecialUse>,
}

/// What the destination accepts.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DestinationRules {
    pub layout: Layout,
    /// The destination's special-use folders (Unicode names, from its LIST).
    pub special_folders: BTreeMap<SpecialUse, String>,
    /// Top-level names a mail folder may not take (e.g. a Zimbra-like server's Calendar, Contacts).
    pub reserved: Vec<String>,
    /// Characters a folder name may not contain (besides the separator, which splits levels).
    pub forbidden_chars: Vec<char>,
    /// Whether `Projects` and `projects` are the same folder there.
    pub case_insensitive: bool,
}

impl DestinationRules {
    /// A Zimbra-like flat namespace: `/` separator, mail folders share the namespace with the calendar,
    /// contacts, tasks and briefcase folders, and some characters are illegal.
    pub fn zimbra_like() -> Self {
        DestinationRules {
            layout: Layout {
                prefix: String::new(),
                separator: '/',
            },
            special_folders: [
                (SpecialUse::Sent, "Sent"),
                (SpecialUse::Drafts, "Drafts"),
                (SpecialUse::Trash, "Trash"),
                (SpecialUse::Junk, "Junk"),
            ]
            .into_iter()
            .map(|(u, n)| (u, n.to_owned()))
            .collect(),
            reserved: [
                "Calendar",
                "Contacts",
                "Emailed Contacts",
                "Tasks",
                "Briefcase",
                "Chats",
            ]
            .map(str::to_owned)
            .to_vec(),
            forbidden_chars: vec![':', '"'],
            case_insensitive: true,
        }
    }
}

/// Why a folder's destination name differs from its source name (beyond namespace translation).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Rename {
    /// Lands in the destination's special-use folder of this kind.
    SpecialUse(SpecialUse),
    /// More than one source folder lands in the same special-use folder.
    MergedWith { other_source: String },
    /// The destination reserves this name for something else.
    Reserved { name: String },
    /// The destination does not allow this character (replaced by `_`).
    IllegalCharacter(char),
    /// Another source folder already took this destination name.
    Collision { with_source: String },
    /// The source name is not valid modified UTF-7; it was taken literally.
    UndecodableName(String),
}

/// Where one source folder goes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FolderPlan {
    pub source_wire: String,
    pub source_display: String,
    pub destination_wire: String,
    pub destination_display: String,
    pub special_use: Option<SpecialUse>,
    pub notes: Vec<Rename>,
}

/// Maps every source folder to a distinct destination folder (special-use folders may share theirs).
/// The result is the same whatever order the source listed its folders in.
pub fn plan_folders(
    source: &[SourceFolder],
    from: &Layout,
    to: &DestinationRules,
) -> Vec<FolderPlan> {
    let mut folders: Vec<&SourceFolder> = source.iter().collect();
    folders.sort_by(|a, b| a.wire_name.cmp(&b.wire_name));
    folders.dedup_by(|a, b| a.wire_name == b.wire_name);

    let candidates: Vec<Candidate> = folders.iter().map(|f| candidate(f, from, to)).collect();
    // INBOX first, then special-use folders, then names that needed no change, then the rest: the
    // names people know best keep them when two folders want the same destination.
    let mut order: Vec<usize> = (0..candidates.len()).collect();
    order.sort_by_key(|&i| {
        (
            candidates[i].rank(),
            !candidates[i].notes.is_empty(),
            candidates[i].source_display.clone(),
        )
    });

    let key = |name: &str| {
        if to.case_insensitive {
            name.to_lowercase()
        } else {
            name.to_owned()
        }
    };
    let mut taken: HashSet<String> = HashSet::new();
    let mut special_owner: BTreeMap<SpecialUse, String> = BTreeMap::new();
    let mut plans: Vec<Option<FolderPlan>> = vec![None; candidates.len()];
    for i in order {
        let mut c = candidates[i].clone();
        if let Some(kind) = c.lands_in_special {
            // Merging is what people expect for Sent/Sent Items; it is reported all the same.
            match special_owner.get(&kind) {
                Some(first) => c.notes.push(Rename::MergedWith {
                    other_source: first.clone(),
                }),
                None => {
                    special_owner.insert(kind, c.source_display.clone());
                }
            }
            taken.insert(key(&c.path));
        } else {
            let mut path = c.path.clone();
            let mut n = 2;
            while taken.contains(&key(&path)) {
                path = format!("{} ({n})", c.path);
                n += 1;
            }
            if path != c.path {
                let holder = plans
                    .iter()
                    .flatten()
                    .find(|p| key(&p.destination_display) == key(&c.path))
                    .map(|p| p.source_display.clone())
                    .unwrap_or_default();
                c.notes.push(Rename::Collision {
                    with_source: holder,
                });
                c.path = path;
            }
            taken.insert(key(&c.path));
        }
        plans[i] = Some(FolderPlan {
            source_wire: c.source_wire.clone(),
            source_display: c.source_display.clone(),
            destination_wire: mutf7::encode(&c.path),
            destination_display: c.path.clone(),
            special_use: c.special_use,
            notes: c.notes,
        });
    }
    plans.into_iter().flatten().collect()
}

#[derive(Debug, Clone)]
struct Candidate {
    source_wire: String,
    source_display: String,
    /// Full destination name (Unicode, with the destination's prefix and separator).
    path: String,
    is_inbox: bool,
    special_use: Option<SpecialUse>,
    /// The folder lands exactly in the destination's special-use folder of this kind.
    lands_in_special: Option<SpecialUse>,
    notes: Vec<Rename>,
}

impl Candidate {
    fn rank(&self) -> u8 {
        if self.is_inbox {
            0
        } else if self.lands_in_special.is_some() {
            1
        } else {
            2
        }
    }
}

fn candidate(folder: &SourceFolder, from: &Layout, to: &DestinationRules) -> Candidate {
    let mut notes = Vec::new();
    let display = mutf7::decode(&folder.wire_name).unwrap_or_else(|e| {
        notes.push(Rename::UndecodableName(e.to_string()));
        folder.wire_name.clone()
    });
    let base = Candidate {
        source_wire: folder.wire_name.clone(),
        source_display: display.clone(),
        path: String::new(),
        is_inbox: false,
        special_use: None,
        lands_in_special: None,
        notes,
    };
    if display.eq_ignore_ascii_case("INBOX") {
        return Candidate {
            path: "INBOX".into(),
            is_inbox: true,
            ..base
        };
    }
    let relative = strip_prefix(&display, &from.prefix);
    let mut segments: Vec<String> = relative.split(from.separator).map(str::to_owned).collect();

    // The folder itself, or its top-level ancestor, may be a special-use folder to re-home.
    let own_kind = folder.special_use.or_else(|| {
        (segments.len() == 1)
            .then(|| SpecialUse::from_name(&segments[0]))
            .flatten()
    });
    let top_kind = if segments.len() > 1 {
        SpecialUse::from_name(&segments[0])
    } else {
        own_kind
    };
    let mut notes = base.notes.clone();
    let mut lands_in_special = None;
    let mut rehomed_top = false;
    if let Some(kind) = top_kind {
        if let Some(dest_name) = to.special_folders.get(&kind) {
            let dest_relative = strip_prefix(dest_name, &to.layout.prefix);
            if segments.len() == 1 {
                lands_in_special = Some(kind);
                notes.push(Rename::SpecialUse(kind));
                return Candidate {
                    path: dest_name.clone(),
                    special_use: own_kind,
                    lands_in_special,
                    notes,
                    ..base
                };
            }
            segments[0] = dest_relative.to_owned();
            rehomed_top = true;
        }
    }

    for (level, segment) in segments.iter_mut().enumerate() {
        if level == 0 && rehomed_top {
            continue;
        }
        *segment = cleaned_segment(segment, to, &mut notes);
    }
    if !rehomed_top {
        avoid_reserved(&mut segments[0], to, &mut notes);
    }
    let sep = to.layout.separator.to_string();
    let path = format!("{}{}", to.layout.prefix, segments.join(&sep));
    Candidate {
        path,
        special_use: own_kind,
        lands_in_special,
        notes,
        ..base
    }
}

/// One level of a name with what the destination forbids replaced by `_` (never empty).
fn cleaned_segment(segment: &str, to: &DestinationRules, notes: &mut Vec<Rename>) -> String {
    let mut cleaned = String::with_capacity(segment.len());
    for ch in segment.chars() {
        if to.forbidden_chars.contains(&ch) || ch == to.layout.separator || ch.is_control() {
            notes.push(Rename::IllegalCharacter(ch));
            cleaned.push('_');
        } else {
            cleaned.push(ch);
        }
    }
    if cleaned.is_empty() {
        cleaned.push('_');
    }
    cleaned
}

/// A top-level name the destination reserves for something else gets ` (mail)` added.
fn avoid_reserved(top: &mut String, to: &DestinationRules, notes: &mut Vec<Rename>) {
    if let Some(reserved) = to
        .reserved
        .iter()
        .find(|r| r.to_lowercase() == top.to_lowercase())
    {
        notes.push(Rename::Reserved {
            name: reserved.clone(),
        });
        *top = format!("{top} (mail)");
    }
}

fn strip_prefix<'a>(name: &'a str, prefix: &str) -> &'a str {
    strip_prefix_ignore_ascii_case(name, prefix).unwrap_or(name)
}

/// `name` without `prefix` (ASCII letters compared case-insensitively, like INBOX), or None. Never
/// slices inside a character: `str::get` refuses a byte offset that is not a boundary.
pub fn strip_prefix_ignore_ascii_case<'a>(name: &'a str, prefix: &str) -> Option<&'a str> {
    let head = name.get(..prefix.len())?;
    head.eq_ignore_ascii_case(prefix)
        .then(|| &name[prefix.len()..])
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn cyrus() -> Layout {
        Layout {
            prefix: "INBOX.".into(),
            separator: '.',
        }
    }

    fn dovecot_new() -> DestinationRules {
        DestinationRules {
            layout: Layout {
                prefix: String::new(),
                separator: '/',
            },
            special_folders: [
                (SpecialUse::Sent, "Sent"),
                (SpecialUse::Drafts, "Drafts"),
                (SpecialUse::Trash, "Trash"),
                (SpecialUse::Junk, "Junk"),
                (SpecialUse::Archive, "Archive"),
            ]
            .into_iter()
            .map(|(u, n)| (u, n.to_owned()))
            .collect(),
            reserved: vec![],
            forbidden_chars: vec![],
            case_insensitive: false,
        }
    }

    fn src(names: &[&str]) -> Vec<SourceFolder> {
        names
            .iter()
            .map(|n| SourceFolder {
                wire_name: (*n).to_owned(),
                special_use: None,
            })
            .collect()
    }

    fn map(plans: &[FolderPlan]) -> BTreeMap<&str, &str> {
        plans
            .iter()
            .map(|p| (p.source_display.as_str(), p.destination_display.as_str()))
            .collect()
    }

    #[test]
    fn layouts_are_inferred_from_list() {
        let l = |names: &[&str], sep: char| {
            infer_layout(
                &names
                    .iter()
                    .map(|n| ((*n).to_owned(), Some(sep)))
                    .collect::<Vec<_>>(),
            )
        };
        assert_eq!(l(&["INBOX", "INBOX.Sent", "INBOX.a.b"], '.'), cyrus());
        assert_eq!(
            l(&["INBOX", "Sent", "a/b"], '/'),
            Layout {
                prefix: String::new(),
                separator: '/'
            }
        );
        assert_eq!(
            l(&["INBOX", "INBOX/x", "Sent"], '/'),
            Layout {
                prefix: String::new(),
                separator: '/'
            }
        );
        assert_eq!(
            l(&["INBOX"], '.'),
            Layout {
                prefix: String::new(),
                separator: '.'
            }
        );
    }

    #[test]
    fn cyrus_hierarchy_becomes_slash_hierarchy() {
        let plans = plan_folders(
            &src(&[
                "INBOX",
                "INBOX.Projects",
                "INBOX.Projects.Fountain",
                "INBOX.R&AOk-unions",
            ]),
            &cyrus(),
            &dovecot_new(),
        );
        let m = map(&plans);
        assert_eq!(m["INBOX"], "INBOX");
        assert_eq!(m["INBOX.Projects"], "Projects");
        assert_eq!(m["INBOX.Projects.Fountain"], "Projects/Fountain");
        assert_eq!(m["INBOX.Réunions"], "Réunions");
        let reunions = plans
            .iter()
            .find(|p| p.source_display == "INBOX.Réunions")
            .unwrap();
        assert_eq!(reunions.destination_wire, "R&AOk-unions");
        assert!(reunions.notes.is_empty());
    }

    #[test]
    fn special_use_folders_land_in_the_destinations_own() {
        let mut rules = dovecot_new();
        rules
            .special_folders
            .insert(SpecialUse::Sent, "Sent Items".into());
        let mut folders = src(&["INBOX.Sent", "INBOX.Sent.2019", "INBOX.Spam"]);
        folders.push(SourceFolder {
            wire_name: "INBOX.Old Mail".into(),
            special_use: Some(SpecialUse::Archive),
        });
        let plans = plan_folders(&folders, &cyrus(), &rules);
        let m = map(&plans);
        assert_eq!(m["INBOX.Sent"], "Sent Items");
        assert_eq!(
            m["INBOX.Sent.2019"], "Sent Items/2019",
            "children follow their special parent"
        );
        assert_eq!(m["INBOX.Spam"], "Junk");
        assert_eq!(
            m["INBOX.Old Mail"], "Archive",
            "the SPECIAL-USE attribute wins over the name"
        );
        let sent = plans
            .iter()
            .find(|p| p.source_display == "INBOX.Sent")
            .unwrap();
        assert_eq!(sent.notes, vec![Rename::SpecialUse(SpecialUse::Sent)]);
    }

    #[test]
    fn two_sent_folders_merge_and_say_so() {
        let plans = plan_folders(
            &src(&["INBOX.Sent", "INBOX.Sent Items"]),
            &cyrus(),
            &dovecot_new(),
        );
        let m = map(&plans);
        assert_eq!(m["INBOX.Sent"], "Sent");
        assert_eq!(m["INBOX.Sent Items"], "Sent");
        let merged = plans
            .iter()
            .find(|p| p.source_display == "INBOX.Sent Items")
            .unwrap();
        assert!(
            merged.notes.contains(&Rename::MergedWith {
                other_source: "INBOX.Sent".into()
            }),
            "{merged:?}"
        );
    }

    #[test]
    fn zimbra_reserved_names_and_illegal_characters_are_renamed_and_reported() {
        let plans = plan_folders(
            &src(&[
                "INBOX.Calendar",
                "INBOX.contacts.old",
                "INBOX.Q1: budget",
                "INBOX.a/b",
            ]),
            &cyrus(),
            &DestinationRules::zimbra_like(),
        );
        let m = map(&plans);
        assert_eq!(m["INBOX.Calendar"], "Calendar (mail)");
        assert_eq!(m["INBOX.contacts.old"], "contacts (mail)/old");
        assert_eq!(m["INBOX.Q1: budget"], "Q1_ budget");
        assert_eq!(
            m["INBOX.a/b"], "a_b",
            "the destination's separator inside a name would split it"
        );
        let cal = plans
            .iter()
            .find(|p| p.source_display == "INBOX.Calendar")
            .unwrap();
        assert_eq!(
            cal.notes,
            vec![Rename::Reserved {
                name: "Calendar".into()
            }]
        );
        let q1 = plans
            .iter()
            .find(|p| p.source_display == "INBOX.Q1: budget")
            .unwrap();
        assert_eq!(q1.notes, vec![Rename::IllegalCharacter(':')]);
    }

    #[test]
    fn collisions_get_numbered_deterministically() {
        // On a case-insensitive destination, "Projects" and "projects" are one name; "a:b" and "a_b" too.
        let plans = plan_folders(
            &src(&["INBOX.projects", "INBOX.Projects", "INBOX.a:b", "INBOX.a_b"]),
            &cyrus(),
            &DestinationRules::zimbra_like(),
        );
        let m = map(&plans);
        assert_eq!(m["INBOX.Projects"], "Projects");
        assert_eq!(m["INBOX.projects"], "projects (2)");
        assert_eq!(m["INBOX.a_b"], "a_b");
        assert_eq!(m["INBOX.a:b"], "a_b (2)");
        let second = plans
            .iter()
            .find(|p| p.source_display == "INBOX.projects")
            .unwrap();
        assert_eq!(
            second.notes,
            vec![Rename::Collision {
                with_source: "INBOX.Projects".into()
            }]
        );
    }

    #[test]
    fn undecodable_names_are_kept_literally_and_reported() {
        let plans = plan_folders(&src(&["INBOX.&bad"]), &cyrus(), &dovecot_new());
        assert_eq!(plans[0].destination_display, "&bad");
        assert_eq!(plans[0].destination_wire, "&-bad");
        assert!(matches!(plans[0].notes[0], Rename::UndecodableName(_)));
    }

    #[test]
    fn into_a_prefixed_destination() {
        let mut rules = dovecot_new();
        rules.layout = cyrus();
        rules.special_folders = [(SpecialUse::Sent, "INBOX.Sent".to_owned())].into();
        let plans = plan_folders(
            &src(&["Projects/2024", "Sent", "Sent/Old"]),
            &Layout {
                prefix: String::new(),
                separator: '/',
            },
            &rules,
        );
        let m = map(&plans);
        assert_eq!(m["Projects/2024"], "INBOX.Projects.2024");
        assert_eq!(m["Sent"], "INBOX.Sent");
        assert_eq!(m["Sent/Old"], "INBOX.Sent.Old");
    }

    fn arb_folders() -> impl Strategy<Value = Vec<SourceFolder>> {
        let segment = prop::sample::select(vec![
            "Sent",
            "sent",
            "Trash",
            "Spam",
            "Calendar",
            "Projects",
            "projects",
            "a:b",
            "a_b",
            "Réunions",
            "x/y",
            "日本語",
            "Old",
        ]);
        prop::collection::vec(prop::collection::vec(segment, 1..4), 0..25).prop_map(|paths| {
            paths
                .into_iter()
                .map(|segs| SourceFolder {
                    wire_name: mutf7::encode(&format!("INBOX.{}", segs.join("."))),
                    special_use: None,
                })
                .collect()
        })
    }

    /// Any Unicode name, biased to what real mailboxes hold: INBOX prefixes, separators, non-Latin scripts.
    fn any_name() -> impl Strategy<Value = String> {
        prop_oneof![
            "\\PC{0,20}",
            "(INBOX|inbox|İNBOX)?[./éЖ已]?\\PC{0,10}",
            "(INBOX[./])?(Entwürfe|Корзина|已发送|Éléments envoyés|Sent)([./]\\PC{0,6}){0,2}",
        ]
    }

    fn any_separator() -> impl Strategy<Value = char> {
        prop_oneof![Just('.'), Just('/'), any::<char>()]
    }

    fn any_layout() -> impl Strategy<Value = Layout> {
        (any_separator(), any::<bool>()).prop_map(|(separator, inbox)| Layout {
            prefix: if inbox {
                format!("INBOX{separator}")
            } else {
                String::new()
            },
            separator,
        })
    }

    #[test]
    fn non_latin_names_plan_without_panicking() {
        // Each of these once panicked in strip_prefix or infer_layout (a byte slice inside a character).
        let names = [
            "INBOX",
            "Entwürfe",
            "Корзина",
            "已发送",
            "Éléments envoyés",
            "INBOé",
            "İNBOX.x",
        ];
        let listed: Vec<(String, Option<char>)> = names
            .iter()
            .map(|n| (mutf7::encode(n), Some('.')))
            .collect();
        assert_eq!(infer_layout(&listed).prefix, "");
        let wire: Vec<String> = names.iter().map(|n| mutf7::encode(n)).collect();
        let wire: Vec<&str> = wire.iter().map(String::as_str).collect();
        let plans = plan_folders(&src(&wire), &cyrus(), &dovecot_new());
        let m = map(&plans);
        assert_eq!(m["Корзина"], "Корзина");
        assert_eq!(m["已发送"], "已发送");
        assert_eq!(m["Éléments envoyés"], "Éléments envoyés");
        assert_eq!(strip_prefix_ignore_ascii_case("Ébauches", "INBOX."), None);
        assert_eq!(
            strip_prefix_ignore_ascii_case("inbox.Ébauches", "INBOX."),
            Some("Ébauches")
        );
    }

    proptest! {
        #[test]
        fn any_unicode_names_and_separators_plan_to_distinct_destinations(
            names in prop::collection::vec(any_name(), 0..12),
            from in any_layout(),
            to_sep in any_separator(),
        ) {
            let listed: Vec<(String, Option<char>)> =
                names.iter().map(|n| (mutf7::encode(n), Some(from.separator))).collect();
            let inferred = infer_layout(&listed);
            let inbox_prefix = format!("INBOX{}", from.separator);
            prop_assert!(inferred.prefix.is_empty() || inferred.prefix == inbox_prefix, "{:?}", inferred);
            let mut rules = dovecot_new();
            rules.layout.separator = to_sep;
            let folders: Vec<SourceFolder> = names
                .iter()
                .map(|n| SourceFolder { wire_name: mutf7::encode(n), special_use: None })
                .collect();
            let plans = plan_folders(&folders, &from, &rules);
            let mut seen = HashSet::new();
            for p in &plans {
                prop_assert_eq!(mutf7::decode(&p.destination_wire).unwrap(), p.destination_display.clone());
                if p.notes.iter().any(|n| matches!(n, Rename::SpecialUse(_))) {
                    continue;
                }
                prop_assert!(seen.insert(p.destination_display.clone()), "duplicate {:?}", p);
            }
        }

        #[test]
        fn raw_wire_names_of_any_bytes_plan_without_panicking(
            wire in prop::collection::vec("\\PC{0,16}|[\\x00-\\x7f]{0,16}", 0..8),
            from in any_layout(),
        ) {
            // A server may send names that are not modified UTF-7 at all: kept literally, never a panic.
            let folders: Vec<SourceFolder> =
                wire.iter().map(|w| SourceFolder { wire_name: w.clone(), special_use: None }).collect();
            let plans = plan_folders(&folders, &from, &DestinationRules::zimbra_like());
            for p in &plans {
                prop_assert!(!p.destination_display.chars().any(char::is_control), "{:?}", p);
            }
        }

        #[test]
        fn strip_prefix_returns_a_suffix_or_nothing(name in any_name(), prefix in any_name()) {
            if let Some(rest) = strip_prefix_ignore_ascii_case(&name, &prefix) {
                prop_assert!(name.ends_with(rest));
                prop_assert_eq!(rest.len() + prefix.len(), name.len());
            }
            let _ = SpecialUse::from_name(&name);
        }
    }

    proptest! {
        #[test]
        fn every_folder_gets_one_distinct_legal_destination(folders in arb_folders()) {
            let rules = DestinationRules::zimbra_like();
            let plans = plan_folders(&folders, &cyrus(), &rules);
            let distinct_sources: HashSet<&str> = folders.iter().map(|f| f.wire_name.as_str()).collect();
            prop_assert_eq!(plans.len(), distinct_sources.len());
            let mut seen = HashSet::new();
            for p in &plans {
                prop_assert_eq!(mutf7::decode(&p.destination_wire).unwrap(), p.destination_display.clone());
                for ch in &rules.forbidden_chars {
                    prop_assert!(!p.destination_display.contains(*ch), "{:?}", p);
                }
                let top = p.destination_display.split('/').next().unwrap().to_lowercase();
                prop_assert!(!rules.reserved.iter().any(|r| r.to_lowercase() == top), "{:?}", p);
                if p.notes.iter().any(|n| matches!(n, Rename::SpecialUse(_))) {
                    continue; // special-use folders may merge
                }
                prop_assert!(seen.insert(p.destination_display.to_lowercase()), "duplicate {:?}", p);
            }
        }

        #[test]
        fn the_plan_does_not_depend_on_listing_order(folders in arb_folders(), seed in any::<u64>()) {
            let rules = DestinationRules::zimbra_like();
            let mut shuffled = folders.clone();
            // A cheap deterministic shuffle.
            let n = shuffled.len();
            for i in 0..n {
                let j = (seed.wrapping_mul(6364136223846793005).wrapping_add(i as u64) % n as u64) as usize;
                shuffled.swap(i, j);
            }
            let key = |p: &FolderPlan| (p.source_wire.clone(), p.destination_wire.clone());
            let a: BTreeMap<_, _> = plan_folders(&folders, &cyrus(), &rules).iter().map(key).collect();
            let b: BTreeMap<_, _> = plan_folders(&shuffled, &cyrus(), &rules).iter().map(key).collect();
            prop_assert_eq!(a, b);
        }
    }
}
