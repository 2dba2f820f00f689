//! The severity labelled set (`tests/fixtures/severity-set.toml`): its schema, its coverage
//! of the rubric, and the grades the analysis gives it.

use huntbrief_core::KnowledgeBase;
use huntbrief_core::grading::{Figures, LabelledSet, ROWS, grade};

fn set() -> LabelledSet {
    LabelledSet::parse(include_str!("../fixtures/severity-set.toml")).unwrap()
}

#[test]
fn the_set_covers_every_rubric_row_with_teasers() {
    let set = set();
    assert!(set.article.len() >= 80, "{}", set.article.len());
    for row in ROWS {
        let n = set.article.iter().filter(|a| a.row == row).count();
        assert!(n >= 3, "row {row} has {n} articles");
    }
    assert!(set.article.iter().any(|a| a.split == "holdout"));
    let mut titles: Vec<&str> = set.article.iter().map(|a| a.title.as_str()).collect();
    titles.sort_unstable();
    titles.dedup();
    assert_eq!(titles.len(), set.article.len(), "titles are unique");
}

#[test]
fn the_set_is_graded_in_band_and_non_threat_articles_get_no_activity() {
    let kb = KnowledgeBase::embedded().unwrap();
    let set = set();
    let graded = grade(&set, &kb);
    let f = Figures::of(&graded);
    let report = huntbrief_core::grading::Report(&graded).to_string();
    assert_eq!(f.non_threat_with_activity, 0, "{report}");
    assert!(f.in_band_rate() >= 0.95, "{report}");
}
