//! Cross-cutting tests of the hunt stage: the library against the format's table, firing
//! on evidence only, and rendering safety.

use super::*;

fn kb() -> HuntKb {
    HuntKb::embedded().unwrap()
}

#[test]
fn dump_for_review() {
    let kb = kb();
    for id in ["UC_LSASS", "UC_MFA_FATIGUE", "UC_RUN_KEY", "UC_BEACONING"] {
        let h = use_case_hunt(&kb, kb.use_case(id).unwrap());
        for (b, q) in &h.queries {
            println!("==== {id} {b:?}\n{q}\n");
        }
    }
}
