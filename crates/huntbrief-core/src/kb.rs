//! The knowledge base: every data file the analysis uses, embedded at compile time and
//! replaceable file by file at run time (the binary reads an override directory).

use std::collections::HashSet;

use thiserror::Error;

use crate::boilerplate::Boilerplate;
use crate::iocs::IocKb;
use crate::iocs::kb as ioc_files;
use crate::severity::SeverityModel;
use crate::triage::Triage;

/// A data file that failed to load.
#[derive(Debug, Error)]
pub enum KbError {
    #[error(
        "data file {file} is not valid TOML/JSON: {message}; fix the file or remove the override"
    )]
    Parse { file: &'static str, message: String },
    #[error("data file {file} is inconsistent: {message}")]
    Invalid { file: &'static str, message: String },
}

impl KbError {
    pub(crate) fn parse(file: &'static str, e: impl std::fmt::Display) -> Self {
        Self::Parse {
            file,
            message: e.to_string(),
        }
    }
    pub(crate) fn invalid(file: &'static str, message: String) -> Self {
        Self::Invalid { file, message }
    }
}

/// The data files compiled into the binary, by file name.
pub struct Embedded(&'static [(&'static str, &'static str)]);

impl Embedded {
    pub fn get(&self, name: &str) -> Option<&'static str> {
        self.0.iter().find(|(n, _)| *n == name).map(|(_, s)| *s)
    }
    pub fn names(&self) -> impl Iterator<Item = &'static str> + '_ {
        self.0.iter().map(|(n, _)| *n)
    }
}

pub static EMBEDDED: Embedded = Embedded(&[
    (
        Boilerplate::FILE,
        include_str!("../../../data/boilerplate.toml"),
    ),
    (
        crate::iocs::SpecialRanges::FILE,
        include_str!("../../../data/iocs/special-ranges.toml"),
    ),
    (
        ioc_files::BENIGN_FILE,
        include_str!("../../../data/iocs/benign.toml"),
    ),
    (
        ioc_files::TOP_SITES_FILE,
        include_str!("../../../data/iocs/top-sites.toml"),
    ),
    (
        ioc_files::FILES_FILE,
        include_str!("../../../data/iocs/files.toml"),
    ),
    (
        ioc_files::CONTEXT_FILE,
        include_str!("../../../data/iocs/context.toml"),
    ),
    (
        crate::attack::Table::FILE,
        include_str!("../../../data/attack/enterprise-techniques.tsv"),
    ),
    (
        crate::attack::Table::TACTICS_FILE,
        include_str!("../../../data/attack/enterprise-tactics.tsv"),
    ),
    (
        crate::attack::Cues::FILE,
        include_str!("../../../data/attack/cues.toml"),
    ),
    (
        crate::attack::Patterns::FILE,
        include_str!("../../../data/attack/patterns.toml"),
    ),
    (
        crate::attack::Model::FILE,
        include_str!("../../../data/attack/model.txt"),
    ),
    (
        crate::killchain::PhaseCues::FILE,
        include_str!("../../../data/attack/killchain.toml"),
    ),
    (
        crate::names::NameTable::GROUPS_FILE,
        include_str!("../../../data/attack/enterprise-groups.tsv"),
    ),
    (
        crate::names::NameTable::SOFTWARE_FILE,
        include_str!("../../../data/attack/enterprise-software.tsv"),
    ),
    (
        crate::names::Extra::FILE,
        include_str!("../../../data/actors/extra.toml"),
    ),
    (
        crate::names::NotActors::FILE,
        include_str!("../../../data/actors/not-actors.toml"),
    ),
    (
        crate::names::Context::FILE,
        include_str!("../../../data/actors/context.toml"),
    ),
    (Triage::FILE, include_str!("../../../data/triage.toml")),
    (
        crate::summary::Chrome::FILE,
        include_str!("../../../data/profile.toml"),
    ),
    (
        SeverityModel::FILE,
        include_str!("../../../data/severity.toml"),
    ),
    crate::hunts::kb::FILES[0],
    crate::hunts::kb::FILES[1],
    crate::hunts::kb::FILES[2],
    crate::hunts::kb::FILES[3],
    crate::hunts::kb::FILES[4],
    crate::hunts::kb::FILES[5],
    crate::hunts::kb::FILES[6],
    crate::hunts::kb::FILES[7],
    crate::hunts::kb::FILES[8],
]);

/// Everything the pure analysis step knows beyond the article itself.
#[derive(Debug)]
pub struct KnowledgeBase {
    pub boilerplate: Boilerplate,
    pub iocs: IocKb,
    pub attack: crate::attack::AttackKb,
    /// Threat actors, malware and tools (ATT&CK groups and software, `data/actors/`).
    pub names: crate::names::NamesKb,
    pub triage: Triage,
    /// What may precede the story at the start of a Threat Profile.
    pub profile: crate::summary::Chrome,
    pub severity: SeverityModel,
    /// Field maps, use-case library, sweeps and artifact rules (`data/hunts/`).
    pub hunts: crate::hunts::HuntKb,
    /// CVE IDs in the CISA Known Exploited Vulnerabilities catalogue. Not a data file:
    /// the catalogue changes daily, so the binary fills it from its database.
    pub kev: HashSet<String>,
    /// Indicators kept per briefing (high-fidelity first); not a data file either: the
    /// binary's config may change it.
    pub max_iocs: usize,
}

impl KnowledgeBase {
    /// The knowledge base built from the embedded data files.
    pub fn embedded() -> Result<Self, KbError> {
        Self::load(|_| None)
    }

    /// The knowledge base with files replaced by `override_file(name)` where it returns
    /// their contents; the embedded copy is used for the others.
    pub fn load(override_file: impl Fn(&str) -> Option<String>) -> Result<Self, KbError> {
        let source = |name: &'static str| -> String {
            override_file(name).unwrap_or_else(|| EMBEDDED.get(name).unwrap_or_default().to_owned())
        };
        Ok(Self {
            boilerplate: Boilerplate::parse(&source(Boilerplate::FILE))?,
            iocs: IocKb::parse(source)?,
            attack: crate::attack::AttackKb::parse(source)?,
            names: crate::names::NamesKb::parse(source)?,
            triage: Triage::parse(&source(Triage::FILE))?,
            profile: crate::summary::Chrome::parse(&source(crate::summary::Chrome::FILE))?,
            severity: SeverityModel::parse(&source(SeverityModel::FILE))?,
            hunts: crate::hunts::HuntKb::parse(source)?,
            kev: HashSet::new(),
            max_iocs: crate::iocs::MAX_PER_BRIEFING,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn embedded_knowledge_base_loads() {
        let kb = KnowledgeBase::embedded().unwrap();
        assert_eq!(kb.boilerplate.strip("5 min read\nBody."), "Body.");
    }

    #[test]
    fn an_override_replaces_the_embedded_file_and_is_validated() {
        let custom = "[[rule]]\nname='x'\nscope='line'\npattern='DROP ME'\nexamples=['DROP ME']";
        let kb =
            KnowledgeBase::load(|n| (n == Boilerplate::FILE).then(|| custom.to_owned())).unwrap();
        assert_eq!(kb.boilerplate.strip("DROP ME\n5 min read"), "5 min read");
        let broken = KnowledgeBase::load(|_| Some("not toml [".to_owned()));
        assert!(matches!(broken, Err(KbError::Parse { .. })));
    }

    #[test]
    fn every_embedded_file_is_named_once() {
        let mut names: Vec<_> = EMBEDDED.names().collect();
        let n = names.len();
        names.dedup();
        assert_eq!(names.len(), n);
    }
}
