//! Row ids with their kind in the type: a request id cannot be passed where a person's is meant.
use std::fmt;

use serde::{Deserialize, Serialize};

macro_rules! id {
    ($(#[$doc:meta])* $name:ident) => {
        $(#[$doc])*
        #[derive(
            Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize,
        )]
        #[serde(transparent)]
        pub struct $name(pub i64);

        impl $name {
            pub fn get(self) -> i64 {
                self.0
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                self.0.fmt(f)
            }
        }

        impl std::str::FromStr for $name {
            type Err = std::num::ParseIntError;
            fn from_str(s: &str) -> Result<Self, Self::Err> {
                s.parse().map($name)
            }
        }
    };
}

id!(
    /// A person who has signed in (`users.id`).
    UserId
);
id!(
    /// A migration request (`migration_requests.id`).
    RequestId
);
id!(
    /// A scan of an old mailbox (`scans.id`).
    ScanId
);
id!(
    /// A message kept aside in the quarantine (`quarantine.id`).
    QuarantineId
);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_travel_as_plain_numbers() {
        assert_eq!(serde_json::to_string(&RequestId(42)).unwrap(), "42");
        assert_eq!(serde_json::from_str::<UserId>("7").unwrap(), UserId(7));
        assert_eq!("13".parse::<ScanId>().unwrap(), ScanId(13));
        assert_eq!(RequestId(5).to_string(), "5");
    }
}
