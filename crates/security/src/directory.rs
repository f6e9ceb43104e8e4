//! The HSA directory (katalogtjänsten HSA): care givers, care units, people, their employee
//! assignments, and systems. Loaded from a JSON file or the admin API, validated as a whole.

use crate::model::{Actor, Assignment, Right};
use npo_riv::ids::is_hsa_id;
use npo_store::{Db, sqlx};
use serde::{Deserialize, Serialize};
use std::collections::HashSet;

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum CareGiverKind {
    Region,
    Municipality,
    Private,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct CareGiver {
    pub hsa_id: String,
    pub name: String,
    pub org_no: String,
    pub kind: CareGiverKind,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, sqlx::FromRow)]
pub struct CareUnit {
    pub hsa_id: String,
    pub name: String,
    pub care_giver_hsa_id: String,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, sqlx::FromRow)]
pub struct Person {
    pub hsa_id: String,
    pub given_name: String,
    pub family_name: String,
    /// Profession, e.g. `Läkare`, `Sjuksköterska`.
    pub title: String,
}

impl Person {
    pub fn full_name(&self) -> String {
        format!("{} {}", self.given_name, self.family_name)
    }
}

/// An employee assignment (medarbetaruppdrag) as stored: rights as `activity;type;scope`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct EmployeeAssignment {
    pub hsa_id: String,
    pub person_hsa_id: String,
    pub name: String,
    pub care_unit_hsa_id: String,
    pub purpose: String,
    pub rights: Vec<String>,
}

/// A system (function certificate holder): a care giver's record system or a national service.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, sqlx::FromRow)]
pub struct System {
    pub hsa_id: String,
    pub name: String,
    pub care_giver_hsa_id: Option<String>,
}

/// The whole directory, as imported and exported.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Directory {
    #[serde(default)]
    pub care_givers: Vec<CareGiver>,
    #[serde(default)]
    pub care_units: Vec<CareUnit>,
    #[serde(default)]
    pub persons: Vec<Person>,
    #[serde(default)]
    pub assignments: Vec<EmployeeAssignment>,
    #[serde(default)]
    pub systems: Vec<System>,
}

#[derive(Debug, thiserror::Error)]
pub enum DirectoryError {
    #[error("'{0}' is not a valid HSA-id")]
    HsaId(String),
    #[error("duplicate HSA-id '{0}'")]
    Duplicate(String),
    #[error("{what} '{id}' refers to unknown {target} '{value}'")]
    Reference {
        what: &'static str,
        id: String,
        target: &'static str,
        value: String,
    },
    #[error("assignment '{0}' has a right that is not activity;informationType;VE|VG|SJF")]
    Right(String),
    #[error("directory store unavailable")]
    Store(#[from] sqlx::Error),
}

impl Directory {
    /// Checks HSA-ids, uniqueness, references and rights.
    pub fn validate(&self) -> Result<(), DirectoryError> {
        let mut seen = HashSet::new();
        let ids = self
            .care_givers
            .iter()
            .map(|x| &x.hsa_id)
            .chain(self.care_units.iter().map(|x| &x.hsa_id))
            .chain(self.persons.iter().map(|x| &x.hsa_id))
            .chain(self.assignments.iter().map(|x| &x.hsa_id))
            .chain(self.systems.iter().map(|x| &x.hsa_id));
        for id in ids {
            if !is_hsa_id(id) {
                return Err(DirectoryError::HsaId(id.clone()));
            }
            if !seen.insert(id.as_str()) {
                return Err(DirectoryError::Duplicate(id.clone()));
            }
        }
        let givers: HashSet<_> = self.care_givers.iter().map(|g| g.hsa_id.as_str()).collect();
        let units: HashSet<_> = self.care_units.iter().map(|u| u.hsa_id.as_str()).collect();
        let persons: HashSet<_> = self.persons.iter().map(|p| p.hsa_id.as_str()).collect();
        let reference = |what, id: &str, target, value: &str, known: &HashSet<&str>| {
            if known.contains(value) {
                Ok(())
            } else {
                Err(DirectoryError::Reference {
                    what,
                    id: id.into(),
                    target,
                    value: value.into(),
                })
            }
        };
        for u in &self.care_units {
            reference(
                "care unit",
                &u.hsa_id,
                "care giver",
                &u.care_giver_hsa_id,
                &givers,
            )?;
        }
        for a in &self.assignments {
            reference(
                "assignment",
                &a.hsa_id,
                "person",
                &a.person_hsa_id,
                &persons,
            )?;
            reference(
                "assignment",
                &a.hsa_id,
                "care unit",
                &a.care_unit_hsa_id,
                &units,
            )?;
            if a.rights.iter().any(|r| Right::parse(r).is_none()) {
                return Err(DirectoryError::Right(a.hsa_id.clone()));
            }
        }
        for s in &self.systems {
            if let Some(g) = &s.care_giver_hsa_id {
                reference("system", &s.hsa_id, "care giver", g, &givers)?;
            }
        }
        Ok(())
    }
}

/// The directory in the database.
#[derive(Clone, Debug)]
pub struct DirectoryStore {
    db: Db,
}

impl DirectoryStore {
    pub fn new(db: Db) -> Self {
        DirectoryStore { db }
    }

    /// Replaces the whole directory (import). Nothing changes if it is invalid.
    pub async fn replace(&self, d: &Directory) -> Result<(), DirectoryError> {
        d.validate()?;
        let mut tx = self.db.pool.begin().await?;
        for t in [
            "sec_dir_assignments",
            "sec_dir_systems",
            "sec_dir_persons",
            "sec_dir_care_units",
            "sec_dir_care_givers",
        ] {
            sqlx::query(sqlx::AssertSqlSafe(format!("DELETE FROM {t}")))
                .execute(&mut *tx)
                .await?;
        }
        for g in &d.care_givers {
            sqlx::query("INSERT INTO sec_dir_care_givers (hsa_id, name, org_no, kind) VALUES ($1, $2, $3, $4)")
                .bind(&g.hsa_id)
                .bind(&g.name)
                .bind(&g.org_no)
                .bind(kind_str(g.kind))
                .execute(&mut *tx)
                .await?;
        }
        for u in &d.care_units {
            sqlx::query("INSERT INTO sec_dir_care_units (hsa_id, name, care_giver_hsa_id) VALUES ($1, $2, $3)")
                .bind(&u.hsa_id)
                .bind(&u.name)
                .bind(&u.care_giver_hsa_id)
                .execute(&mut *tx)
                .await?;
        }
        for p in &d.persons {
            sqlx::query("INSERT INTO sec_dir_persons (hsa_id, given_name, family_name, title) VALUES ($1, $2, $3, $4)")
                .bind(&p.hsa_id)
                .bind(&p.given_name)
                .bind(&p.family_name)
                .bind(&p.title)
                .execute(&mut *tx)
                .await?;
        }
        for a in &d.assignments {
            sqlx::query(
                "INSERT INTO sec_dir_assignments (hsa_id, person_hsa_id, name, care_unit_hsa_id, purpose, rights) \
                 VALUES ($1, $2, $3, $4, $5, $6)",
            )
            .bind(&a.hsa_id)
            .bind(&a.person_hsa_id)
            .bind(&a.name)
            .bind(&a.care_unit_hsa_id)
            .bind(&a.purpose)
            .bind(a.rights.join("\n"))
            .execute(&mut *tx)
            .await?;
        }
        for s in &d.systems {
            sqlx::query(
                "INSERT INTO sec_dir_systems (hsa_id, name, care_giver_hsa_id) VALUES ($1, $2, $3)",
            )
            .bind(&s.hsa_id)
            .bind(&s.name)
            .bind(s.care_giver_hsa_id.as_deref())
            .execute(&mut *tx)
            .await?;
        }
        tx.commit().await?;
        Ok(())
    }

    /// The whole directory (export).
    pub async fn load(&self) -> Result<Directory, DirectoryError> {
        let pool = &self.db.pool;
        let care_givers = sqlx::query_as::<_, (String, String, String, String)>(
            "SELECT hsa_id, name, org_no, kind FROM sec_dir_care_givers ORDER BY hsa_id",
        )
        .fetch_all(pool)
        .await?
        .into_iter()
        .map(|(hsa_id, name, org_no, kind)| CareGiver {
            hsa_id,
            name,
            org_no,
            kind: match kind.as_str() {
                "region" => CareGiverKind::Region,
                "municipality" => CareGiverKind::Municipality,
                _ => CareGiverKind::Private,
            },
        })
        .collect();
        let care_units = sqlx::query_as(
            "SELECT hsa_id, name, care_giver_hsa_id FROM sec_dir_care_units ORDER BY hsa_id",
        )
        .fetch_all(pool)
        .await?;
        let persons = sqlx::query_as(
            "SELECT hsa_id, given_name, family_name, title FROM sec_dir_persons ORDER BY hsa_id",
        )
        .fetch_all(pool)
        .await?;
        let assignments = sqlx::query_as::<_, (String, String, String, String, String, String)>(
            "SELECT hsa_id, person_hsa_id, name, care_unit_hsa_id, purpose, rights FROM sec_dir_assignments ORDER BY hsa_id",
        )
        .fetch_all(pool)
        .await?
        .into_iter()
        .map(|(hsa_id, person_hsa_id, name, care_unit_hsa_id, purpose, rights)| EmployeeAssignment {
            hsa_id,
            person_hsa_id,
            name,
            care_unit_hsa_id,
            purpose,
            rights: rights.lines().map(str::to_owned).filter(|r| !r.is_empty()).collect(),
        })
        .collect();
        let systems = sqlx::query_as(
            "SELECT hsa_id, name, care_giver_hsa_id FROM sec_dir_systems ORDER BY hsa_id",
        )
        .fetch_all(pool)
        .await?;
        Ok(Directory {
            care_givers,
            care_units,
            persons,
            assignments,
            systems,
        })
    }

    pub async fn person(&self, hsa_id: &str) -> Result<Option<Person>, DirectoryError> {
        Ok(sqlx::query_as(
            "SELECT hsa_id, given_name, family_name, title FROM sec_dir_persons WHERE hsa_id = $1",
        )
        .bind(hsa_id)
        .fetch_optional(&self.db.pool)
        .await?)
    }

    /// Every assignment of a person, resolved with unit and care giver names (any purpose:
    /// the caller decides which give access).
    pub async fn assignments_of(
        &self,
        person_hsa_id: &str,
    ) -> Result<Vec<Assignment>, DirectoryError> {
        let rows = sqlx::query_as::<_, (String, String, String, String, String, String, String, String)>(
            "SELECT a.hsa_id, a.name, a.purpose, a.rights, u.hsa_id, u.name, g.hsa_id, g.name \
             FROM sec_dir_assignments a JOIN sec_dir_care_units u ON u.hsa_id = a.care_unit_hsa_id \
             JOIN sec_dir_care_givers g ON g.hsa_id = u.care_giver_hsa_id WHERE a.person_hsa_id = $1 ORDER BY a.hsa_id",
        )
        .bind(person_hsa_id)
        .fetch_all(&self.db.pool)
        .await?;
        Ok(rows
            .into_iter()
            .map(
                |(hsa_id, name, purpose, rights, unit, unit_name, giver, giver_name)| Assignment {
                    hsa_id,
                    name,
                    purpose,
                    care_unit_hsa_id: unit,
                    care_unit_name: unit_name,
                    care_giver_hsa_id: giver,
                    care_giver_name: giver_name,
                    rights: rights.lines().filter_map(Right::parse).collect(),
                },
            )
            .collect())
    }

    /// The person acting in one of their assignments, if both exist and belong together.
    pub async fn actor(
        &self,
        person_hsa_id: &str,
        assignment_hsa_id: &str,
    ) -> Result<Option<Actor>, DirectoryError> {
        let Some(person) = self.person(person_hsa_id).await? else {
            return Ok(None);
        };
        Ok(self
            .assignments_of(person_hsa_id)
            .await?
            .into_iter()
            .find(|a| a.hsa_id == assignment_hsa_id)
            .map(|assignment| Actor {
                person_hsa_id: person.hsa_id.clone(),
                name: person.full_name(),
                assignment,
            }))
    }

    /// A system (function certificate holder) by HSA-id.
    pub async fn system(&self, hsa_id: &str) -> Result<Option<System>, DirectoryError> {
        Ok(sqlx::query_as(
            "SELECT hsa_id, name, care_giver_hsa_id FROM sec_dir_systems WHERE hsa_id = $1",
        )
        .bind(hsa_id)
        .fetch_optional(&self.db.pool)
        .await?)
    }

    pub async fn care_unit(&self, hsa_id: &str) -> Result<Option<CareUnit>, DirectoryError> {
        Ok(sqlx::query_as(
            "SELECT hsa_id, name, care_giver_hsa_id FROM sec_dir_care_units WHERE hsa_id = $1",
        )
        .bind(hsa_id)
        .fetch_optional(&self.db.pool)
        .await?)
    }
}

fn kind_str(k: CareGiverKind) -> &'static str {
    match k {
        CareGiverKind::Region => "region",
        CareGiverKind::Municipality => "municipality",
        CareGiverKind::Private => "private",
    }
}
