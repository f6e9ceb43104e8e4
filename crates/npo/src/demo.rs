//! The demo federation's cast: care givers with their source systems and units, patients, and
//! the platform's own systems.

use npo_riv::ids::luhn_check_digit;
use npo_security::directory::{
    CareGiver, CareGiverKind, CareUnit as DirUnit, Directory, EmployeeAssignment, Person, System,
};
use npo_source::{CareUnit, SourceConfig};

/// The platform's organisation number (Inera's) and its systems' HSA-ids.
pub const ROUTER_HSA_ID: &str = "SE5565594230-VP";
pub const EI_HSA_ID: &str = "SE5565594230-EI";
pub const AGP_HSA_ID: &str = "SE5565594230-AGP";
/// The security services (consent, relations, blocks, access log, directory).
pub const SECURITY_HSA_ID: &str = "SE5565594230-SEC";
/// The demo consumer system (what a clinician app or third-party app presents).
pub const CONSUMER_HSA_ID: &str = "SE5565594230-DEMO";
/// The system allowed to change the demo source systems' records.
pub const ADMIN_HSA_ID: &str = "SE5565594230-ADMIN";

fn unit(hsa_id: &str, name: &str) -> CareUnit {
    CareUnit {
        hsa_id: hsa_id.into(),
        name: name.into(),
    }
}

fn source(
    hsa_id: &str,
    name: &str,
    care_giver: (&str, &str),
    data_controller: &str,
    units: Vec<CareUnit>,
) -> SourceConfig {
    SourceConfig {
        hsa_id: hsa_id.into(),
        name: name.into(),
        care_giver_hsa_id: care_giver.0.into(),
        care_giver_name: care_giver.1.into(),
        data_controller: data_controller.into(),
        care_units: units,
        ei_logical_address: EI_HSA_ID.into(),
        allowed_callers: vec![ROUTER_HSA_ID.into()],
        admin_hsa_ids: vec![ADMIN_HSA_ID.into()],
        answer_delay_ms: 0,
    }
}

/// Three care givers of different kinds: a region, a municipality and a private provider.
pub fn sources() -> Vec<SourceConfig> {
    vec![
        source(
            "SE2321000016-S001",
            "Journalsystem Region Stockholm",
            ("SE2321000016-7P5T", "Region Stockholm"),
            "2321000016",
            vec![
                unit("SE2321000016-A1B2", "Vårdcentralen Salem"),
                unit("SE2321000016-C3D4", "Akutmottagningen, Södersjukhuset"),
                unit(
                    "SE2321000016-E5F6",
                    "Kardiologiska kliniken, Danderyds sjukhus",
                ),
            ],
        ),
        source(
            "SE2120003140-S001",
            "Omsorgssystem Uppsala kommun",
            ("SE2120003140-K001", "Uppsala kommun"),
            "2120003140",
            vec![
                unit("SE2120003140-H001", "Hemsjukvården Uppsala"),
                unit("SE2120003140-B002", "Vård- och omsorgsboendet Linnégården"),
            ],
        ),
        source(
            "SE5592468135-S001",
            "Journalsystem Vårdbolaget Norr AB",
            ("SE5592468135-V001", "Vårdbolaget Norr AB"),
            "5592468135",
            vec![unit("SE5592468135-M001", "Läkarhuset Norr")],
        ),
    ]
}

/// The whole demo: the three of [`sources`] plus a second region and a second municipality.
pub fn all_sources() -> Vec<SourceConfig> {
    let mut all = sources();
    all.push(source(
        "SE2321000131-S001",
        "Journalsystem Västra Götalandsregionen",
        ("SE2321000131-E000", "Västra Götalandsregionen"),
        "2321000131",
        vec![
            unit("SE2321000131-F001", "Vårdcentralen Majorna"),
            unit(
                "SE2321000131-F002",
                "Medicinkliniken, Sahlgrenska Universitetssjukhuset",
            ),
        ],
    ));
    all.push(source(
        "SE2120000142-S001",
        "Omsorgssystem Stockholms stad",
        ("SE2120000142-K001", "Stockholms stad"),
        "2120000142",
        vec![unit("SE2120000142-H001", "Hemsjukvården Södermalm")],
    ));
    all
}

/// One member of staff: name, title, and assignments (unit index, name, purpose, rights).
type Staff = (
    &'static str,
    &'static str,
    &'static str,
    &'static [(usize, &'static str, &'static str, &'static [&'static str])],
);

const CARE: &str = npo_security::PURPOSE_CARE;
const SJF_ALL: &[&str] = &["Läsa;alla;VG", "Läsa;alla;SJF"];
const VE_ALL: &[&str] = &["Läsa;alla;VE"];
const VG_ALL: &[&str] = &["Läsa;alla;VG"];

/// Staff per care giver, in the order of [`all_sources`]. Among them: physicians with SJF
/// rights, municipal home-care nurses, staff without SJF rights, and assignments for other
/// purposes than care and treatment.
const STAFF: &[&[Staff]] = &[
    &[
        (
            "Anna",
            "Lind",
            "Läkare",
            &[
                (0, "Distriktsläkare", CARE, SJF_ALL),
                (0, "Verksamhetsutveckling", "Administration", VG_ALL),
            ],
        ),
        (
            "Erik",
            "Holm",
            "Läkare",
            &[(1, "Akutläkare", CARE, SJF_ALL)],
        ),
        (
            "Sara",
            "Berg",
            "Sjuksköterska",
            &[(0, "Distriktssköterska", CARE, VE_ALL)],
        ),
        (
            "Johan",
            "Ek",
            "Verksamhetsutvecklare",
            &[(0, "Kvalitetsuppföljning", "Uppföljning", VG_ALL)],
        ),
        (
            "Maria",
            "Sjöberg",
            "Läkare",
            &[(2, "Kardiolog", CARE, SJF_ALL)],
        ),
        (
            "Fatima",
            "Hassan",
            "Sjuksköterska",
            &[(
                1,
                "Akutsjuksköterska",
                CARE,
                &["Läsa;alla;VG", "Läsa;dia;SJF", "Läsa;voo;SJF"],
            )],
        ),
    ],
    &[
        (
            "Karin",
            "Nilsson",
            "Sjuksköterska",
            &[(
                0,
                "Hemsjukvårdssjuksköterska",
                CARE,
                &["Läsa;alla;VE", "Läsa;alla;SJF"],
            )],
        ),
        (
            "Lars",
            "Persson",
            "Sjuksköterska",
            &[(1, "Medicinskt ansvarig sjuksköterska", CARE, SJF_ALL)],
        ),
        (
            "Elin",
            "Gustafsson",
            "Arbetsterapeut",
            &[(0, "Arbetsterapeut", CARE, VE_ALL)],
        ),
        (
            "Ahmed",
            "Ali",
            "Fysioterapeut",
            &[(1, "Fysioterapeut", CARE, VE_ALL)],
        ),
        (
            "Birgitta",
            "Lindgren",
            "Undersköterska",
            &[(1, "Undersköterska", CARE, &["Läsa;voo;VE"])],
        ),
    ],
    &[
        (
            "Per",
            "Lundqvist",
            "Läkare",
            &[(0, "Allmänläkare", CARE, SJF_ALL)],
        ),
        (
            "Eva",
            "Strand",
            "Sjuksköterska",
            &[(0, "Mottagningssjuksköterska", CARE, &["Läsa;alla;VG"])],
        ),
        (
            "Olof",
            "Bergman",
            "Läkare",
            &[
                (0, "Företagsläkare", CARE, SJF_ALL),
                (0, "Medicinsk revision", "Administration", VG_ALL),
            ],
        ),
    ],
    &[
        (
            "Ingrid",
            "Johansson",
            "Läkare",
            &[(0, "Distriktsläkare", CARE, SJF_ALL)],
        ),
        (
            "Mikael",
            "Karlsson",
            "Läkare",
            &[(1, "Internmedicinare", CARE, SJF_ALL)],
        ),
        (
            "Sofia",
            "Andersson",
            "Sjuksköterska",
            &[(1, "Avdelningssjuksköterska", CARE, VG_ALL)],
        ),
        (
            "Nils",
            "Olsson",
            "Kurator",
            &[(0, "Kurator", CARE, &["Läsa;voo;VE"])],
        ),
        (
            "Hanna",
            "Wikström",
            "Läkare",
            &[(1, "ST-läkare", CARE, SJF_ALL)],
        ),
    ],
    &[
        (
            "Helena",
            "Larsson",
            "Sjuksköterska",
            &[(
                0,
                "Hemsjukvårdssjuksköterska",
                CARE,
                &["Läsa;alla;VE", "Läsa;alla;SJF"],
            )],
        ),
        (
            "Jonas",
            "Eriksson",
            "Sjuksköterska",
            &[(
                0,
                "Nattsjuksköterska",
                CARE,
                &["Läsa;alla;VE", "Läsa;alla;SJF"],
            )],
        ),
        (
            "Lena",
            "Axelsson",
            "Biståndshandläggare",
            &[(0, "Biståndshandläggning", "Myndighetsutövning", VE_ALL)],
        ),
    ],
];

/// The HSA directory of the demo: care givers, units, staff and systems of `sources` (which
/// are a prefix of [`all_sources`]).
pub fn directory(sources: &[SourceConfig]) -> Directory {
    let mut d = Directory::default();
    let mut orgs_with_staff = std::collections::HashSet::new();
    for (i, s) in sources.iter().enumerate() {
        let org = s.data_controller.clone();
        d.care_givers.push(CareGiver {
            hsa_id: s.care_giver_hsa_id.clone(),
            name: s.care_giver_name.clone(),
            org_no: org.clone(),
            kind: if org.starts_with("2321") {
                CareGiverKind::Region
            } else if org.starts_with("212") {
                CareGiverKind::Municipality
            } else {
                CareGiverKind::Private
            },
        });
        for u in &s.care_units {
            d.care_units.push(DirUnit {
                hsa_id: u.hsa_id.clone(),
                name: u.name.clone(),
                care_giver_hsa_id: s.care_giver_hsa_id.clone(),
            });
        }
        d.systems.push(System {
            hsa_id: s.hsa_id.clone(),
            name: s.name.clone(),
            care_giver_hsa_id: Some(s.care_giver_hsa_id.clone()),
            serves: Vec::new(),
        });
        // One log auditor per care giver (purpose `Uppföljning av åtkomst`): reads the access
        // log of the care giver's users, nothing else.
        if let Some(u) = s.care_units.first() {
            let person = format!("SE{org}-LOGP{i}");
            d.persons.push(Person {
                hsa_id: person.clone(),
                given_name: "Lena".into(),
                family_name: "Loggström".into(),
                title: "Loggranskare".into(),
            });
            d.assignments.push(EmployeeAssignment {
                hsa_id: format!("SE{org}-LOGU{i}"),
                person_hsa_id: person,
                name: "Loggranskare".into(),
                care_unit_hsa_id: u.hsa_id.clone(),
                purpose: npo_security::access_log::PURPOSE_LOG_FOLLOW_UP.into(),
                rights: Vec::new(),
            });
        }
        // Staff HSA-ids are made from the organisation number: one set of staff per organisation
        // (care givers that share one, as in the load benchmark, get none of their own).
        if !orgs_with_staff.insert(org.clone()) {
            continue;
        }
        let mut n = 0;
        for (p, (given, family, title, assignments)) in
            STAFF.get(i).copied().unwrap_or(&[]).iter().enumerate()
        {
            let person = format!("SE{org}-P{:03}", p + 1);
            d.persons.push(Person {
                hsa_id: person.clone(),
                given_name: (*given).into(),
                family_name: (*family).into(),
                title: (*title).into(),
            });
            for (unit, name, purpose, rights) in assignments.iter() {
                n += 1;
                let Some(u) = s.care_units.get(*unit) else {
                    continue;
                };
                d.assignments.push(EmployeeAssignment {
                    hsa_id: format!("SE{org}-U{n:03}"),
                    person_hsa_id: person.clone(),
                    name: (*name).into(),
                    care_unit_hsa_id: u.hsa_id.clone(),
                    purpose: (*purpose).into(),
                    rights: rights.iter().map(|r| (*r).to_owned()).collect(),
                });
            }
        }
    }
    for (hsa_id, name) in [
        (ROUTER_HSA_ID, "Tjänsteplattformen"),
        (EI_HSA_ID, "Engagemangsindex"),
        (AGP_HSA_ID, "Aggregerande tjänster"),
        (CONSUMER_HSA_ID, "Nationell patientöversikt"),
        (SECURITY_HSA_ID, "Säkerhetstjänster"),
    ] {
        // The demo consumer (the clinician app) serves every demo care giver; the platform's
        // own systems act for nobody.
        let serves = if hsa_id == CONSUMER_HSA_ID {
            let mut all: Vec<String> = d.care_givers.iter().map(|g| g.hsa_id.clone()).collect();
            all.sort();
            all
        } else {
            Vec::new()
        };
        d.systems.push(System {
            hsa_id: hsa_id.into(),
            name: name.into(),
            care_giver_hsa_id: None,
            serves,
        });
    }
    d
}

/// A valid personnummer from a birth date `YYYYMMDD` and a three-digit birth number.
pub fn personnummer(date: &str, birth_number: u16) -> String {
    let serial = format!("{birth_number:03}");
    let digits: Vec<u8> = date[2..]
        .bytes()
        .chain(serial.bytes())
        .map(|b| b - b'0')
        .collect();
    let mut nine = [0u8; 9];
    nine.copy_from_slice(&digits[..9]);
    format!("{date}{serial}{}", luhn_check_digit(&nine))
}

#[cfg(test)]
mod tests {
    use super::*;
    use npo_riv::ids::is_valid_personal_identity;

    #[test]
    fn demo_directory_is_valid_and_realistic() {
        let d = directory(&all_sources());
        d.validate().unwrap();
        let kinds = |k| d.care_givers.iter().filter(|g| g.kind == k).count();
        assert_eq!(
            (
                kinds(CareGiverKind::Region),
                kinds(CareGiverKind::Municipality),
                kinds(CareGiverKind::Private)
            ),
            (2, 2, 1)
        );
        assert!(d.persons.len() > 20);
        let has = |f: &dyn Fn(&EmployeeAssignment) -> bool| d.assignments.iter().any(f);
        assert!(has(&|a| a.purpose == npo_security::PURPOSE_CARE
            && a.rights.iter().any(|r| r.ends_with(";SJF"))));
        assert!(has(&|a| a.purpose == npo_security::PURPOSE_CARE
            && !a.rights.iter().any(|r| r.ends_with(";SJF"))));
        assert!(has(&|a| a.purpose != npo_security::PURPOSE_CARE));
        for g in &d.care_givers {
            let units: Vec<_> = d
                .care_units
                .iter()
                .filter(|u| u.care_giver_hsa_id == g.hsa_id)
                .collect();
            assert!(
                has(
                    &|a| a.purpose == npo_security::access_log::PURPOSE_LOG_FOLLOW_UP
                        && units.iter().any(|u| u.hsa_id == a.care_unit_hsa_id)
                ),
                "a log auditor at {}",
                g.hsa_id
            );
        }
        assert!(has(&|a| a.care_unit_hsa_id.starts_with("SE2120003140-H")
            && a.rights.iter().any(|r| r.ends_with(";SJF"))));
    }

    #[test]
    fn care_givers_sharing_an_organisation_number_still_give_a_valid_directory() {
        let mut sources = all_sources();
        let mut twin = sources[0].clone();
        twin.hsa_id = "SE2321000016-S999".into();
        twin.care_giver_hsa_id = "SE2321000016-G999".into();
        twin.care_units = vec![CareUnit {
            hsa_id: "SE2321000016-E999".into(),
            name: "Tvillingmottagningen".into(),
        }];
        sources.push(twin);
        directory(&sources).validate().unwrap();
    }

    #[test]
    fn demo_patients_are_valid_and_distinct() {
        let p = crate::seeding::demo_patients(50).unwrap();
        assert_eq!(p[0], "191212121212");
        assert!(p.iter().all(|id| is_valid_personal_identity(id)), "{p:?}");
        let mut d = p.clone();
        d.sort();
        d.dedup();
        assert_eq!(d.len(), p.len());
    }
}
