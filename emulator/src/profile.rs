//! Which upstream the emulator plays: the seed's contract, Genesys Cloud's Platform API, or the
//! seed's data-action paths behind CXone's real sign-in.

use std::fmt;
use std::str::FromStr;

/// The upstream profile (`--profile`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Profile {
    /// `/oauth2/token` (client credentials) and `/api/v2/data-actions…`: today's contract.
    #[default]
    CxoneSeed,
    /// `/oauth/token` (Basic client credentials) and `/api/v2/integrations/actions…`.
    GenesysCloud,
    /// OIDC discovery, the password and refresh-token grants, `cxone-configuration`, then the
    /// seed's `/api/v2/data-actions…` routes.
    Cxone,
}

impl Profile {
    pub const ALL: [Profile; 3] = [Profile::CxoneSeed, Profile::GenesysCloud, Profile::Cxone];

    pub fn as_str(self) -> &'static str {
        match self {
            Profile::CxoneSeed => "cxone-seed",
            Profile::GenesysCloud => "genesys-cloud",
            Profile::Cxone => "cxone",
        }
    }
}

impl fmt::Display for Profile {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A profile name that is not one of the three.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown profile {0:?} (expected cxone-seed, genesys-cloud or cxone)")]
pub struct UnknownProfile(pub String);

impl FromStr for Profile {
    type Err = UnknownProfile;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Profile::ALL
            .into_iter()
            .find(|p| p.as_str() == s)
            .ok_or_else(|| UnknownProfile(s.to_owned()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_round_trip() {
        for profile in Profile::ALL {
            assert_eq!(profile.as_str().parse::<Profile>(), Ok(profile));
        }
        assert_eq!(Profile::default(), Profile::CxoneSeed);
        assert!("genesys".parse::<Profile>().is_err());
        assert!("CXONE".parse::<Profile>().is_err());
    }
}
