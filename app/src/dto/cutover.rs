//! After delivery moved to the new server: the catch-ups Fountain runs for each person, the mail
//! that still reaches the old server, and the old addresses people confirm as theirs.
use serde::{Deserialize, Serialize};

use super::{EmailAddress, RequestState};

/// Whether mail still reaches a person's old mailbox (Unix seconds).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum Quietness {
    /// The old mailbox has not been read since the switch (the first catch-up has not run).
    NotReadYet,
    /// Nothing arrived since the switch so far; quiet at `quiet_at` if it stays so.
    Listening { quiet_at: i64 },
    /// Mail arrived, the last at `last`; quiet at `quiet_at` if nothing more comes.
    StillArriving { last: i64, quiet_at: i64 },
    /// Nothing new since `since` for as long as it takes: the old address can go.
    Quiet { since: i64 },
}

impl Quietness {
    pub fn is_quiet(self) -> bool {
        matches!(self, Quietness::Quiet { .. })
    }

    /// In words, times in UTC: for the IT page and `fountain cutover status`.
    pub fn in_words(self) -> String {
        use crate::format::format_unix;
        match self {
            Quietness::NotReadYet => "Not read yet (the first catch-up has not run)".into(),
            Quietness::Listening { quiet_at } => format!(
                "Nothing since the switch; quiet at {} if it stays so",
                format_unix(quiet_at)
            ),
            Quietness::StillArriving { last, quiet_at } => format!(
                "Still arriving: last {}; quiet at {} if nothing more comes",
                format_unix(last),
                format_unix(quiet_at)
            ),
            Quietness::Quiet { since } => format!("Quiet since {}", format_unix(since)),
        }
    }
}

/// Mail that reached the old server after the switch, for one address.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Arrived {
    /// The address it was delivered to ("" when the message does not say).
    pub address: String,
    pub messages: u64,
    pub last: i64,
}

/// One person after the switch.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CutoverPerson {
    pub email: EmailAddress,
    pub wave: Option<String>,
    pub switched_at: i64,
    pub catch_ups: u32,
    pub last_catch_up_at: Option<i64>,
    pub next_catch_up_at: Option<i64>,
    /// Their latest migration request's state (`None`: none yet).
    pub migration: Option<RequestState>,
    pub quietness: Quietness,
    /// Why a catch-up is not running or the old mailbox could not be read, when so.
    pub trouble: Option<String>,
    /// By address, most messages first.
    pub arrived: Vec<Arrived>,
}

/// Everyone whose delivery was switched, those not quiet first.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CutoverBoard {
    pub people: Vec<CutoverPerson>,
    pub quiet: u64,
}

/// What a person said of an old address found in their mail.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum AddressDecision {
    Suggested,
    Confirmed,
    Declined,
}

impl AddressDecision {
    pub fn as_str(self) -> &'static str {
        match self {
            AddressDecision::Suggested => "suggested",
            AddressDecision::Confirmed => "confirmed",
            AddressDecision::Declined => "declined",
        }
    }

    pub fn parse(s: &str) -> Option<AddressDecision> {
        [
            AddressDecision::Suggested,
            AddressDecision::Confirmed,
            AddressDecision::Declined,
        ]
        .into_iter()
        .find(|d| d.as_str() == s)
    }
}

/// An old address found in a person's mail.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct OldAddress {
    pub address: EmailAddress,
    pub messages: u64,
    pub last_seen: Option<i64>,
    pub decision: AddressDecision,
    /// Someone else confirmed it too, or it is someone else's address: mail for it cannot go to
    /// both (the person sees only that; IT sees who).
    pub contested: bool,
    /// Who else confirmed it, for IT (empty on the person's own page).
    pub also_claimed_by: Vec<EmailAddress>,
}

/// A person's old addresses, for their page or IT's.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PersonAddresses {
    pub email: EmailAddress,
    pub addresses: Vec<OldAddress>,
}

/// Whose delivery IT switches (or whose destination IT sets): a wave's people, or people by address.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum SwitchTarget {
    Wave(super::WaveName),
    People(Vec<EmailAddress>),
}

impl SwitchTarget {
    /// The most addresses typed at once; more go by wave.
    pub const MAX_PEOPLE: usize = 10_000;

    /// As IT's forms send it: a wave's name, or addresses separated by spaces, commas, semicolons
    /// or lines; exactly one of the two.
    pub fn from_form(wave: &str, people: &str) -> Result<SwitchTarget, String> {
        match (wave.trim(), people.trim()) {
            (w, "") if !w.is_empty() => super::WaveName::parse(w)
                .map(SwitchTarget::Wave)
                .map_err(|e| e.to_string()),
            ("", p) if !p.is_empty() => {
                let people = p
                    .split(|c: char| c == ',' || c == ';' || c.is_whitespace())
                    .filter(|a| !a.is_empty())
                    .map(|a| EmailAddress::parse(a).map_err(|e| e.to_string()))
                    .collect::<Result<Vec<_>, _>>()?;
                if people.len() > Self::MAX_PEOPLE {
                    return Err(format!(
                        "That is more than {} people: choose them by wave instead.",
                        Self::MAX_PEOPLE
                    ));
                }
                Ok(SwitchTarget::People(people))
            }
            _ => Err("Choose a wave or type addresses (one of the two).".into()),
        }
    }
}

/// What a switch did.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct SwitchOutcome {
    pub switched: u64,
    /// Switched before: their earlier switch stands.
    pub already: u64,
}
