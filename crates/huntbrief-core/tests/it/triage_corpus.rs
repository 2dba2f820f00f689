//! Article kinds and severities on a corpus of written article openings: each must get
//! the kind an analyst would give and a severity inside the range an analyst accepts.

use huntbrief_core::{Article, Body, Kind, KnowledgeBase, Severity, analyze};
use serde::Deserialize;

#[derive(Deserialize)]
struct Corpus {
    article: Vec<Case>,
}

#[derive(Deserialize)]
struct Case {
    title: String,
    text: String,
    kind: String,
    severity: Vec<String>,
}

fn corpus() -> Vec<Case> {
    let corpus: Corpus = toml::from_str(include_str!("../fixtures/triage-corpus.toml")).unwrap();
    corpus.article
}

#[test]
fn corpus_covers_every_kind() {
    let cases = corpus();
    assert!(cases.len() >= 30);
    for kind in Kind::ALL {
        assert!(
            cases.iter().any(|c| c.kind == kind.as_str()),
            "no case of kind {}",
            kind.as_str()
        );
    }
}

#[test]
fn every_article_gets_its_kind_and_an_acceptable_severity() {
    let kb = KnowledgeBase::embedded().unwrap();
    let mut failures = Vec::new();
    for case in corpus() {
        let article = Article {
            title: case.title.clone(),
            url: None,
            sources: vec![],
            published: None,
            text: case.text.clone(),
            body: Body::Full,
        };
        let b = analyze(&article, &kb);
        let kind_ok = b.kind.as_str() == case.kind;
        let severity_ok = case.severity.iter().any(|s| s == b.severity.as_str());
        if !(kind_ok && severity_ok) {
            failures.push(format!(
                "{:?}: kind {} (want {}), severity {} (want {:?}), score {}, reasons {:#?}",
                case.title,
                b.kind.as_str(),
                case.kind,
                b.severity.as_str(),
                case.severity,
                b.severity_score,
                b.severity_reasons
            ));
        }
        assert!(
            !b.severity_reasons.is_empty(),
            "{:?} has no reason",
            case.title
        );
        if matches!(
            b.kind,
            Kind::Tutorial | Kind::Product | Kind::Commentary | Kind::Withdrawn
        ) {
            assert_eq!(b.severity, Severity::Low, "{:?}", case.title);
            assert!(b.techniques.is_empty(), "{:?} has techniques", case.title);
            assert!(
                b.kill_chain.is_empty(),
                "{:?} has kill-chain phases",
                case.title
            );
            assert!(b.hunts.is_empty(), "{:?} has hunts", case.title);
        }
    }
    assert!(
        failures.is_empty(),
        "{} of the corpus missed:\n{}",
        failures.len(),
        failures.join("\n")
    );
}
