//! The actors and facts every security service works with.

use serde::{Deserialize, Serialize};

/// The only purpose of an employee assignment that gives access to patient information.
pub const PURPOSE_CARE: &str = "Vård och behandling";

/// The longest free text a registration takes (a reason, who represented the patient).
pub const MAX_TEXT_CHARS: usize = 500;

/// Whether `s` is free text worth recording: at most `max` characters, no control or invisible
/// formatting characters (zero-width spaces, direction marks, soft hyphens, BOM), and at least
/// one letter or digit. Newlines and tabs are allowed.
pub fn is_readable_text(s: &str, max: usize) -> bool {
    let invisible = |c: char| {
        matches!(c, '\u{00AD}' | '\u{034F}' | '\u{061C}' | '\u{115F}' | '\u{1160}' | '\u{17B4}' | '\u{17B5}'
            | '\u{180B}'..='\u{180F}' | '\u{200B}'..='\u{200F}' | '\u{202A}'..='\u{202E}'
            | '\u{2060}'..='\u{206F}' | '\u{3164}' | '\u{FE00}'..='\u{FE0F}' | '\u{FEFF}'
            | '\u{FFA0}' | '\u{FFF0}'..='\u{FFFF}' | '\u{E0000}'..='\u{E0FFF}')
    };
    s.chars().count() <= max
        && !s
            .chars()
            .any(|c| (c.is_control() && c != '\n' && c != '\t') || invisible(c))
        && s.chars().any(char::is_alphanumeric)
}

/// How far an assignment's right reaches.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub enum Scope {
    /// Own care unit (vårdenhet).
    #[serde(rename = "VE")]
    CareUnit,
    /// Other units of the own care giver (vårdgivare).
    #[serde(rename = "VG")]
    CareGiver,
    /// Other care givers (sammanhållen journalföring).
    #[serde(rename = "SJF")]
    Coherent,
}

impl Scope {
    pub fn parse(s: &str) -> Option<Scope> {
        match s {
            "VE" => Some(Scope::CareUnit),
            "VG" => Some(Scope::CareGiver),
            "SJF" => Some(Scope::Coherent),
            _ => None,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Scope::CareUnit => "VE",
            Scope::CareGiver => "VG",
            Scope::Coherent => "SJF",
        }
    }
}

/// One right of an assignment: `activity;informationType;scope`, e.g. `Läsa;dia;SJF`.
/// Information type `alla` covers every type.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Right {
    pub activity: String,
    pub information_type: String,
    pub scope: Scope,
}

impl Right {
    /// Parses `activity;informationType;scope`.
    pub fn parse(s: &str) -> Option<Right> {
        let mut parts = s.split(';').map(str::trim);
        let (activity, information_type, scope) = (parts.next()?, parts.next()?, parts.next()?);
        if parts.next().is_some() || activity.is_empty() || information_type.is_empty() {
            return None;
        }
        Some(Right {
            activity: activity.into(),
            information_type: information_type.into(),
            scope: Scope::parse(scope)?,
        })
    }

    /// Whether this right lets its holder read `information_type` where `scope` is needed.
    /// `VG` covers the own unit too; `SJF` covers other care givers only (the own care giver's
    /// records need a `VE` or `VG` right).
    pub fn allows_reading(&self, information_type: &str, scope: Scope) -> bool {
        self.activity == "Läsa"
            && (self.information_type == "alla" || self.information_type == information_type)
            && (self.scope == scope || (self.scope == Scope::CareGiver && scope == Scope::CareUnit))
    }
}

/// The care unit and care giver an actor works for in their chosen assignment.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Assignment {
    pub hsa_id: String,
    pub name: String,
    pub purpose: String,
    pub care_unit_hsa_id: String,
    pub care_unit_name: String,
    pub care_giver_hsa_id: String,
    pub care_giver_name: String,
    pub rights: Vec<Right>,
}

impl Assignment {
    /// Whether this assignment may read `information_type` where `scope` is needed (never when
    /// its purpose is not care and treatment).
    pub fn may_read(&self, information_type: &str, scope: Scope) -> bool {
        self.purpose == PURPOSE_CARE
            && self
                .rights
                .iter()
                .any(|r| r.allows_reading(information_type, scope))
    }

    /// The scope a record needs: its unit, another unit of the same care giver, or another
    /// care giver.
    pub fn scope_needed(&self, care_giver_hsa_id: &str, care_unit_hsa_id: &str) -> Scope {
        if care_giver_hsa_id != self.care_giver_hsa_id {
            Scope::Coherent
        } else if care_unit_hsa_id != self.care_unit_hsa_id {
            Scope::CareGiver
        } else {
            Scope::CareUnit
        }
    }
}

/// A person acting in one of their assignments.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Actor {
    pub person_hsa_id: String,
    pub name: String,
    pub assignment: Assignment,
}

/// Where a record comes from and when it was registered: what blocks and logs need of it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct RecordFacts {
    /// The PDL information type (`dia`, `voo`, `lak`, `upp`, …).
    pub information_type: String,
    pub care_giver_hsa_id: String,
    pub care_unit_hsa_id: String,
    /// `YYYYMMDDhhmmss`: what block periods are compared with.
    pub registration_time: String,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rights_parse_and_scope() {
        let r = Right::parse("Läsa;dia;SJF").unwrap();
        assert!(r.allows_reading("dia", Scope::Coherent));
        assert!(!r.allows_reading("voo", Scope::CareUnit));
        assert!(
            !r.allows_reading("dia", Scope::CareUnit),
            "SJF does not cover the own care giver"
        );
        let all = Right::parse("Läsa;alla;VG").unwrap();
        assert!(all.allows_reading("voo", Scope::CareGiver));
        assert!(all.allows_reading("voo", Scope::CareUnit));
        assert!(!all.allows_reading("voo", Scope::Coherent));
        assert!(Right::parse("Läsa;dia").is_none());
        assert!(Right::parse("Läsa;dia;XX").is_none());
        assert!(Right::parse("Läsa;dia;VE;x").is_none());
        let write = Right::parse("Skriva;alla;SJF").unwrap();
        assert!(!write.allows_reading("dia", Scope::CareUnit));
    }

    #[test]
    fn readable_text() {
        assert!(is_readable_text("Medvetslös patient", MAX_TEXT_CHARS));
        assert!(is_readable_text("Rad ett\nrad två", MAX_TEXT_CHARS));
        assert!(!is_readable_text("\u{200B}", MAX_TEXT_CHARS));
        assert!(!is_readable_text("akut\u{200B}", MAX_TEXT_CHARS));
        assert!(!is_readable_text("   ", MAX_TEXT_CHARS));
        assert!(!is_readable_text("a\u{0007}", MAX_TEXT_CHARS));
        assert!(!is_readable_text(&"a".repeat(501), MAX_TEXT_CHARS));
        assert!(is_readable_text(&"ä".repeat(500), MAX_TEXT_CHARS));
    }

    #[test]
    fn only_care_and_treatment_gives_access() {
        let mut a = Assignment {
            hsa_id: "SE2321000016-U1".into(),
            name: "Läkare".into(),
            purpose: PURPOSE_CARE.into(),
            care_unit_hsa_id: "SE2321000016-A1".into(),
            care_unit_name: "VC".into(),
            care_giver_hsa_id: "SE2321000016-G1".into(),
            care_giver_name: "Region".into(),
            rights: vec![
                Right::parse("Läsa;alla;SJF").unwrap(),
                Right::parse("Läsa;dia;VE").unwrap(),
            ],
        };
        assert!(a.may_read("dia", Scope::Coherent));
        assert!(a.may_read("dia", Scope::CareUnit));
        assert!(!a.may_read("dia", Scope::CareGiver));
        assert_eq!(
            a.scope_needed("SE2321000016-G1", "SE2321000016-A1"),
            Scope::CareUnit
        );
        assert_eq!(
            a.scope_needed("SE2321000016-G1", "SE2321000016-A2"),
            Scope::CareGiver
        );
        assert_eq!(
            a.scope_needed("SE2321000016-G2", "SE2321000016-A1"),
            Scope::Coherent
        );
        a.purpose = "Administration".into();
        assert!(!a.may_read("dia", Scope::Coherent));
    }
}
