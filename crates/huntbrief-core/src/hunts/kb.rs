//! The hunt stage's data files, embedded at compile time and loaded together so that
//! the library, the sweeps and the artifact rules are checked against the field maps.

use super::artifacts::{ARTIFACTS_FILE, ArtifactRules};
use super::backends::{
    Backends, CIM_FILE, DEFENDER_FILE, KQL_TABLES_FILE, SENTINEL_FILE, SIGMA_FILE, SPLUNK_FILE,
};
use super::library::{LIBRARY_FILE, UseCase, parse_library};
use super::sweeps::{SWEEPS_FILE, SweepDef, parse_sweeps};
use crate::kb::KbError;

/// Every data file of the hunt stage, by the name an override directory uses.
pub const FILES: [(&str, &str); 9] = [
    (CIM_FILE, include_str!("../../../../data/hunts/cim.toml")),
    (
        KQL_TABLES_FILE,
        include_str!("../../../../data/hunts/kql-tables.toml"),
    ),
    (
        SIGMA_FILE,
        include_str!("../../../../data/hunts/sigma.toml"),
    ),
    (
        SPLUNK_FILE,
        include_str!("../../../../data/hunts/splunk.toml"),
    ),
    (
        DEFENDER_FILE,
        include_str!("../../../../data/hunts/defender.toml"),
    ),
    (
        SENTINEL_FILE,
        include_str!("../../../../data/hunts/sentinel.toml"),
    ),
    (
        LIBRARY_FILE,
        include_str!("../../../../data/hunts/library.toml"),
    ),
    (
        SWEEPS_FILE,
        include_str!("../../../../data/hunts/sweeps.toml"),
    ),
    (
        ARTIFACTS_FILE,
        include_str!("../../../../data/hunts/artifacts.toml"),
    ),
];

/// The embedded copy of a hunt data file (empty for an unknown name).
pub fn embedded_source(name: &'static str) -> String {
    FILES
        .iter()
        .find(|(n, _)| *n == name)
        .map(|(_, s)| (*s).to_owned())
        .unwrap_or_default()
}

/// What the hunt stage knows: field maps, use-case library, sweeps, artifact rules.
#[derive(Debug)]
pub struct HuntKb {
    pub backends: Backends,
    pub library: Vec<UseCase>,
    pub sweeps: Vec<SweepDef>,
    pub artifacts: ArtifactRules,
}

impl HuntKb {
    pub fn embedded() -> Result<Self, KbError> {
        Self::parse(embedded_source)
    }

    /// Loads the files `source(name)` returns (the embedded copy or an override).
    pub fn parse(source: impl Fn(&'static str) -> String) -> Result<Self, KbError> {
        let backends = Backends::parse(&source)?;
        let library = parse_library(&source(LIBRARY_FILE), &backends)?;
        let sweeps = parse_sweeps(&source(SWEEPS_FILE), &backends)?;
        let artifacts = ArtifactRules::parse(&source(ARTIFACTS_FILE))?;
        Ok(Self {
            backends,
            library,
            sweeps,
            artifacts,
        })
    }

    pub fn use_case(&self, id: &str) -> Option<&UseCase> {
        self.library.iter().find(|u| u.id.eq_ignore_ascii_case(id))
    }
}
