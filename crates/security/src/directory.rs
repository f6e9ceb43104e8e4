//! The HSA directory (katalogtjänsten HSA): care givers, care units, people, their employee
//! assignments, and systems. Loaded from a JSON file (the CLI) or the security API with an
//! administrator's certificate, validated as a whole: never empty, never dropping more than a
//! configured share of what is there unless an administrator forces it at the CLI. Every
//! replacement is written to an audit trail (who, when, how, counts and digests).

use crate::model::{Actor, Assignment, Right};
use npo_riv::ids::is_hsa_id;
use npo_store::{Db, sqlx};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use std::collections::HashSet;

/// How much of the current directory (care givers, care units, persons or assignments) a
/// replacement may drop without being forced, in percent.
pub const DEFAULT_MAX_DROP_PERCENT: u8 = 20;

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

/// How a person's name is shown: given name, then family name.
fn full_name(given_name: &str, family_name: &str) -> String {
    format!("{given_name} {family_name}")
}

impl Person {
    pub fn full_name(&self) -> String {
        full_name(&self.given_name, &self.family_name)
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
/// As a consumer of the security API it acts only for users of the care givers it serves: its
/// own care giver and those in `serves`. (The registration a certification registry builds on.)
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct System {
    pub hsa_id: String,
    pub name: String,
    pub care_giver_hsa_id: Option<String>,
    /// Care givers the system serves besides its own, ordered by HSA-id.
    #[serde(default)]
    pub serves: Vec<String>,
}

impl System {
    /// Whether the system acts for users of `care_giver_hsa_id`.
    pub fn serves(&self, care_giver_hsa_id: &str) -> bool {
        self.care_giver_hsa_id.as_deref() == Some(care_giver_hsa_id)
            || self.serves.iter().any(|g| g == care_giver_hsa_id)
    }
}

/// How a directory replacement was made.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ChangeVia {
    /// The security API, with an administrator's certificate.
    Api,
    /// The `npo directory` command.
    Cli,
}

impl ChangeVia {
    fn as_str(self) -> &'static str {
        match self {
            ChangeVia::Api => "api",
            ChangeVia::Cli => "cli",
        }
    }
}

/// Who replaces the directory, and how much it may shrink.
#[derive(Clone, Debug)]
pub struct DirectoryChange {
    /// The administrator: the certificate's HSA-id, or the CLI operator.
    pub by: String,
    pub via: ChangeVia,
    /// Accept a replacement that drops more than `max_drop_percent` (the CLI only).
    pub force: bool,
    pub max_drop_percent: u8,
}

/// How many of each the directory holds.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct DirectoryCounts {
    pub care_givers: i64,
    pub care_units: i64,
    pub persons: i64,
    pub assignments: i64,
    pub systems: i64,
}

/// One entry of the directory's audit trail.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct DirectoryAudit {
    pub id: String,
    pub changed_at: String,
    pub changed_by: String,
    pub via: String,
    pub forced: bool,
    pub before: DirectoryCounts,
    pub after: DirectoryCounts,
    /// SHA-256 (hex) of the directory before and after, in its export form.
    pub digest_before: String,
    pub digest_after: String,
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
    #[error("the directory must hold care givers, care units, persons and assignments")]
    Empty,
    #[error(
        "the replacement drops {dropped}% of the {what} ({before} to {after}); at most {max}% unless an administrator forces it with `npo directory import --force`"
    )]
    Shrinks {
        what: &'static str,
        before: i64,
        after: i64,
        dropped: i64,
        max: u8,
    },
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
            let mut served = HashSet::new();
            for g in &s.serves {
                reference("system", &s.hsa_id, "care giver", g, &givers)?;
                if !served.insert(g.as_str()) {
                    return Err(DirectoryError::Duplicate(g.clone()));
                }
            }
        }
        Ok(())
    }

    pub fn counts(&self) -> DirectoryCounts {
        let n = |l: usize| l as i64;
        DirectoryCounts {
            care_givers: n(self.care_givers.len()),
            care_units: n(self.care_units.len()),
            persons: n(self.persons.len()),
            assignments: n(self.assignments.len()),
            systems: n(self.systems.len()),
        }
    }

    /// The directory in its export form: every list (and every system's `serves`) ordered by
    /// HSA-id.
    pub fn normalized(&self) -> Directory {
        let mut d = self.clone();
        d.care_givers.sort_by(|a, b| a.hsa_id.cmp(&b.hsa_id));
        d.care_units.sort_by(|a, b| a.hsa_id.cmp(&b.hsa_id));
        d.persons.sort_by(|a, b| a.hsa_id.cmp(&b.hsa_id));
        d.assignments.sort_by(|a, b| a.hsa_id.cmp(&b.hsa_id));
        d.systems.sort_by(|a, b| a.hsa_id.cmp(&b.hsa_id));
        for s in &mut d.systems {
            s.serves.sort();
        }
        d
    }

    /// SHA-256 (hex) of the export form: equal directories have equal digests.
    pub fn digest(&self) -> String {
        let json = serde_json::to_vec(&self.normalized()).unwrap_or_default();
        hex::encode(Sha256::digest(&json))
    }

    /// Refuses an empty directory, and one that drops more than `max_drop_percent` of the
    /// care givers, care units, persons or assignments `current` holds (unless `force`).
    pub fn check_replacement(
        &self,
        current: &Directory,
        force: bool,
        max_drop_percent: u8,
    ) -> Result<(), DirectoryError> {
        let new = self.counts();
        if new.care_givers == 0 || new.care_units == 0 || new.persons == 0 || new.assignments == 0 {
            return Err(DirectoryError::Empty);
        }
        if force {
            return Ok(());
        }
        let old = current.counts();
        for (what, before, after) in [
            ("care givers", old.care_givers, new.care_givers),
            ("care units", old.care_units, new.care_units),
            ("persons", old.persons, new.persons),
            ("assignments", old.assignments, new.assignments),
        ] {
            if before > 0 && after < before {
                let dropped = (before - after) * 100 / before;
                // Compared exactly: (before - after) / before > max / 100.
                if (before - after) * 100 > i64::from(max_drop_percent) * before {
                    return Err(DirectoryError::Shrinks {
                        what,
                        before,
                        after,
                        dropped,
                        max: max_drop_percent,
                    });
                }
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

    /// Replaces the whole directory (import) as an administrator, and records it in the audit
    /// trail in the same transaction. Nothing changes if it is invalid, empty, or drops more
    /// than `change.max_drop_percent` of the current directory without `change.force`.
    pub async fn replace(
        &self,
        d: &Directory,
        change: &DirectoryChange,
    ) -> Result<DirectoryAudit, DirectoryError> {
        d.validate()?;
        if !is_hsa_id(&change.by) && change.via == ChangeVia::Api {
            return Err(DirectoryError::HsaId(change.by.clone()));
        }
        let current = self.load().await?;
        d.check_replacement(&current, change.force, change.max_drop_percent)?;
        let audit = DirectoryAudit {
            // Time-ordered, so the trail sorts by id within one second.
            id: uuid::Uuid::now_v7().to_string(),
            changed_at: npo_riv::time::now_timestamp(),
            changed_by: change.by.chars().take(200).collect(),
            via: change.via.as_str().into(),
            forced: change.force,
            before: current.counts(),
            after: d.counts(),
            digest_before: current.digest(),
            digest_after: d.digest(),
        };
        let mut tx = self.db.pool.begin().await?;
        for t in [
            "sec_dir_system_care_givers",
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
            for g in &s.serves {
                sqlx::query(
                    "INSERT INTO sec_dir_system_care_givers (system_hsa_id, care_giver_hsa_id) VALUES ($1, $2)",
                )
                .bind(&s.hsa_id)
                .bind(g)
                .execute(&mut *tx)
                .await?;
            }
        }
        let (b, a) = (&audit.before, &audit.after);
        sqlx::query(
            "INSERT INTO sec_dir_audit (id, changed_at, changed_by, via, forced, care_givers_before, \
             care_givers_after, care_units_before, care_units_after, persons_before, persons_after, \
             assignments_before, assignments_after, systems_before, systems_after, digest_before, digest_after) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17)",
        )
        .bind(&audit.id)
        .bind(&audit.changed_at)
        .bind(&audit.changed_by)
        .bind(&audit.via)
        .bind(i64::from(audit.forced))
        .bind(b.care_givers)
        .bind(a.care_givers)
        .bind(b.care_units)
        .bind(a.care_units)
        .bind(b.persons)
        .bind(a.persons)
        .bind(b.assignments)
        .bind(a.assignments)
        .bind(b.systems)
        .bind(a.systems)
        .bind(&audit.digest_before)
        .bind(&audit.digest_after)
        .execute(&mut *tx)
        .await?;
        tx.commit().await?;
        Ok(audit)
    }

    /// The audit trail, newest first, at most `limit` entries.
    pub async fn audit_trail(&self, limit: i64) -> Result<Vec<DirectoryAudit>, DirectoryError> {
        let rows: Vec<AuditRow> = sqlx::query_as(
            "SELECT id, changed_at, changed_by, via, forced, care_givers_before, care_givers_after, \
             care_units_before, care_units_after, persons_before, persons_after, assignments_before, \
             assignments_after, systems_before, systems_after, digest_before, digest_after \
             FROM sec_dir_audit ORDER BY changed_at DESC, id DESC LIMIT $1",
        )
        .bind(limit)
        .fetch_all(&self.db.pool)
        .await?;
        Ok(rows.into_iter().map(AuditRow::into_audit).collect())
    }

    /// The registered system with `hsa_id`, with the care givers it serves.
    pub async fn system(&self, hsa_id: &str) -> Result<Option<System>, DirectoryError> {
        let row: Option<(String, String, Option<String>)> = sqlx::query_as(
            "SELECT hsa_id, name, care_giver_hsa_id FROM sec_dir_systems WHERE hsa_id = $1",
        )
        .bind(hsa_id)
        .fetch_optional(&self.db.pool)
        .await?;
        let Some((hsa_id, name, care_giver_hsa_id)) = row else {
            return Ok(None);
        };
        let serves: Vec<(String,)> = sqlx::query_as(
            "SELECT care_giver_hsa_id FROM sec_dir_system_care_givers WHERE system_hsa_id = $1 \
             ORDER BY care_giver_hsa_id",
        )
        .bind(&hsa_id)
        .fetch_all(&self.db.pool)
        .await?;
        Ok(Some(System {
            hsa_id,
            name,
            care_giver_hsa_id,
            serves: serves.into_iter().map(|s| s.0).collect(),
        }))
    }

    /// The care giver with `hsa_id`, if in the directory.
    pub async fn care_giver(&self, hsa_id: &str) -> Result<Option<CareGiver>, DirectoryError> {
        Ok(self
            .load_care_givers(Some(hsa_id))
            .await?
            .into_iter()
            .next())
    }

    /// The whole directory (export).
    pub async fn load(&self) -> Result<Directory, DirectoryError> {
        let pool = &self.db.pool;
        let care_givers = self.load_care_givers(None).await?;
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
        let served: Vec<(String, String)> = sqlx::query_as(
            "SELECT system_hsa_id, care_giver_hsa_id FROM sec_dir_system_care_givers \
             ORDER BY system_hsa_id, care_giver_hsa_id",
        )
        .fetch_all(pool)
        .await?;
        let systems = sqlx::query_as::<_, (String, String, Option<String>)>(
            "SELECT hsa_id, name, care_giver_hsa_id FROM sec_dir_systems ORDER BY hsa_id",
        )
        .fetch_all(pool)
        .await?
        .into_iter()
        .map(|(hsa_id, name, care_giver_hsa_id)| System {
            serves: served
                .iter()
                .filter(|(s, _)| *s == hsa_id)
                .map(|(_, g)| g.clone())
                .collect(),
            hsa_id,
            name,
            care_giver_hsa_id,
        })
        .collect();
        Ok(Directory {
            care_givers,
            care_units,
            persons,
            assignments,
            systems,
        })
    }

    /// Every care giver, or the one with `only`, ordered by HSA-id.
    async fn load_care_givers(&self, only: Option<&str>) -> Result<Vec<CareGiver>, DirectoryError> {
        const COLUMNS: &str = "SELECT hsa_id, name, org_no, kind FROM sec_dir_care_givers";
        let rows = match only {
            Some(id) => {
                sqlx::query_as::<_, (String, String, String, String)>(sqlx::AssertSqlSafe(format!(
                    "{COLUMNS} WHERE hsa_id = $1"
                )))
                .bind(id)
                .fetch_all(&self.db.pool)
                .await?
            }
            None => {
                sqlx::query_as::<_, (String, String, String, String)>(sqlx::AssertSqlSafe(format!(
                    "{COLUMNS} ORDER BY hsa_id"
                )))
                .fetch_all(&self.db.pool)
                .await?
            }
        };
        Ok(rows
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
            .collect())
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

    /// The person acting in one of their assignments, if both exist and belong together. One
    /// indexed query: the web app and the API resolve the acting user on every request.
    pub async fn actor(
        &self,
        person_hsa_id: &str,
        assignment_hsa_id: &str,
    ) -> Result<Option<Actor>, DirectoryError> {
        type Row = (
            String,
            String,
            String,
            String,
            String,
            String,
            String,
            String,
            String,
            String,
        );
        let row: Option<Row> = sqlx::query_as(
            "SELECT p.given_name, p.family_name, a.hsa_id, a.name, a.purpose, a.rights, \
             u.hsa_id, u.name, g.hsa_id, g.name \
             FROM sec_dir_assignments a JOIN sec_dir_persons p ON p.hsa_id = a.person_hsa_id \
             JOIN sec_dir_care_units u ON u.hsa_id = a.care_unit_hsa_id \
             JOIN sec_dir_care_givers g ON g.hsa_id = u.care_giver_hsa_id \
             WHERE a.hsa_id = $1 AND a.person_hsa_id = $2",
        )
        .bind(assignment_hsa_id)
        .bind(person_hsa_id)
        .fetch_optional(&self.db.pool)
        .await?;
        Ok(row.map(
            |(given, family, hsa_id, name, purpose, rights, unit, unit_name, giver, giver_name)| {
                Actor {
                    person_hsa_id: person_hsa_id.to_owned(),
                    name: full_name(&given, &family),
                    assignment: Assignment {
                        hsa_id,
                        name,
                        purpose,
                        care_unit_hsa_id: unit,
                        care_unit_name: unit_name,
                        care_giver_hsa_id: giver,
                        care_giver_name: giver_name,
                        rights: rights.lines().filter_map(Right::parse).collect(),
                    },
                }
            },
        ))
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

#[derive(sqlx::FromRow)]
struct AuditRow {
    id: String,
    changed_at: String,
    changed_by: String,
    via: String,
    forced: i64,
    care_givers_before: i64,
    care_givers_after: i64,
    care_units_before: i64,
    care_units_after: i64,
    persons_before: i64,
    persons_after: i64,
    assignments_before: i64,
    assignments_after: i64,
    systems_before: i64,
    systems_after: i64,
    digest_before: String,
    digest_after: String,
}

impl AuditRow {
    fn into_audit(self) -> DirectoryAudit {
        DirectoryAudit {
            id: self.id,
            changed_at: self.changed_at,
            changed_by: self.changed_by,
            via: self.via,
            forced: self.forced != 0,
            before: DirectoryCounts {
                care_givers: self.care_givers_before,
                care_units: self.care_units_before,
                persons: self.persons_before,
                assignments: self.assignments_before,
                systems: self.systems_before,
            },
            after: DirectoryCounts {
                care_givers: self.care_givers_after,
                care_units: self.care_units_after,
                persons: self.persons_after,
                assignments: self.assignments_after,
                systems: self.systems_after,
            },
            digest_before: self.digest_before,
            digest_after: self.digest_after,
        }
    }
}

fn kind_str(k: CareGiverKind) -> &'static str {
    match k {
        CareGiverKind::Region => "region",
        CareGiverKind::Municipality => "municipality",
        CareGiverKind::Private => "private",
    }
}
