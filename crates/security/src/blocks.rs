//! Blocks (spärrar, PDL 4 kap. 4 §).
//!
//! A patient may block their records at a care giver (an *outer* block, yttre spärr: hidden from
//! everyone outside that care giver) or at one care unit within a care giver (an *inner* block,
//! inre spärr: hidden from everyone outside that unit, including the care giver's other units).
//! A block may be limited to a period of registration time and may leave medications (`lak`)
//! and alerts (`upp`) uncovered. A *temporary revoke* (tillfälligt hävande), with the patient's
//! consent or in an emergency, lifts one block for one care unit, or for one employee *at one
//! care unit*, until an end time (the unit is always part of a revoke, as in the blocking
//! service's contract: a physician who lifted a block at one unit still sees it at another). Revoking (hävning, the patient's wish) and deleting (wrong registration) end a block for
//! good; both are kept as history.
//!
//! [`is_blocked`] and [`filter`] are the pure rule; [`BlockStore`] is the register.

use crate::model::{Actor, RecordFacts};
use npo_riv::ids::is_hsa_id;
use npo_store::{Db, sqlx};
use serde::{Deserialize, Serialize};

/// The information types a block may leave uncovered: medications and alerts.
pub const EXCLUDABLE_TYPES: [&str; 2] = ["lak", "upp"];

/// How far ahead a temporary revoke may end.
pub const MAX_TEMPORARY_REVOKE_DAYS: i64 = 30;

/// Whether a block is on a care giver or on one of its care units.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum BlockKind {
    /// Yttre spärr: the care giver's records, for actors outside the care giver.
    Outer,
    /// Inre spärr: one care unit's records, for actors outside that unit.
    Inner,
}

impl BlockKind {
    pub fn as_str(self) -> &'static str {
        match self {
            BlockKind::Outer => "Outer",
            BlockKind::Inner => "Inner",
        }
    }

    pub fn parse(s: &str) -> Option<BlockKind> {
        match s {
            "Outer" => Some(BlockKind::Outer),
            "Inner" => Some(BlockKind::Inner),
            _ => None,
        }
    }
}

/// Whom a temporary revoke lets see the blocked records.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum RevokeFor {
    /// Every member of staff acting for this care unit (HSA-id).
    CareUnit(String),
    /// One employee (person HSA-id) while acting for one care unit (HSA-id): the same person
    /// at another unit is still blocked.
    Employee {
        person_hsa_id: String,
        care_unit_hsa_id: String,
    },
}

impl RevokeFor {
    fn kind_str(&self) -> &'static str {
        match self {
            RevokeFor::CareUnit(_) => "CareUnit",
            RevokeFor::Employee { .. } => "Employee",
        }
    }

    /// The unit's HSA-id, or the employee's.
    fn hsa_id(&self) -> &str {
        match self {
            RevokeFor::CareUnit(id) => id,
            RevokeFor::Employee { person_hsa_id, .. } => person_hsa_id,
        }
    }

    /// The care unit the revoke is bound to.
    pub fn care_unit_hsa_id(&self) -> &str {
        match self {
            RevokeFor::CareUnit(unit) => unit,
            RevokeFor::Employee {
                care_unit_hsa_id, ..
            } => care_unit_hsa_id,
        }
    }

    /// A stored row. A personal revoke from before revokes were bound to a unit has none: it
    /// gets an empty unit, which is no actor's, so it lifts nothing (fail closed).
    fn from_parts(kind: &str, hsa_id: String, unit: Option<String>) -> Option<RevokeFor> {
        match kind {
            "CareUnit" => Some(RevokeFor::CareUnit(hsa_id)),
            "Employee" => Some(RevokeFor::Employee {
                person_hsa_id: hsa_id,
                care_unit_hsa_id: unit.unwrap_or_default(),
            }),
            _ => None,
        }
    }
}

/// Why a block was temporarily revoked.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum RevokeReason {
    /// The patient consented.
    PatientConsent,
    /// Emergency (nödsituation), when the patient cannot consent.
    Emergency,
}

impl RevokeReason {
    pub fn as_str(self) -> &'static str {
        match self {
            RevokeReason::PatientConsent => "PatientConsent",
            RevokeReason::Emergency => "Emergency",
        }
    }

    pub fn parse(s: &str) -> Option<RevokeReason> {
        match s {
            "PatientConsent" => Some(RevokeReason::PatientConsent),
            "Emergency" => Some(RevokeReason::Emergency),
            _ => None,
        }
    }
}

/// A temporary revoke of one block for one care unit or one employee.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct TemporaryRevoke {
    pub id: String,
    pub block_id: String,
    pub revoke_for: RevokeFor,
    pub reason: RevokeReason,
    /// `YYYYMMDDhhmmss`: the revoke lifts the block while now is before this.
    pub valid_until: String,
    pub registered_at: String,
    pub registered_by: String,
}

impl TemporaryRevoke {
    /// Whether this revoke lets `actor` see the block's records at `now`: it is for the actor's
    /// care unit, or for the actor personally at the unit they act for now, and
    /// `now < valid_until`.
    pub fn lifts_for(&self, actor: &Actor, now: &str) -> bool {
        now < self.valid_until.as_str()
            && match &self.revoke_for {
                RevokeFor::CareUnit(unit) => *unit == actor.assignment.care_unit_hsa_id,
                RevokeFor::Employee {
                    person_hsa_id,
                    care_unit_hsa_id,
                } => {
                    *person_hsa_id == actor.person_hsa_id
                        && !care_unit_hsa_id.is_empty()
                        && *care_unit_hsa_id == actor.assignment.care_unit_hsa_id
                }
            }
    }
}

/// A block with its temporary revokes.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Block {
    pub id: String,
    pub patient_id: String,
    pub kind: BlockKind,
    pub care_giver_hsa_id: String,
    /// The blocked unit (inner blocks only).
    pub care_unit_hsa_id: Option<String>,
    /// Registration time `[from, to]`, inclusive, `YYYYMMDDhhmmss`; `None` for all records.
    pub period: Option<(String, String)>,
    /// Information types the block does not cover (`lak`, `upp`).
    pub excluded_types: Vec<String>,
    pub registered_at: String,
    pub registered_by: String,
    /// Set when the patient revoked the block (permanent).
    pub revoked_at: Option<String>,
    /// Set when the block was deleted as a wrong registration (permanent).
    pub deleted_at: Option<String>,
    pub temporary_revokes: Vec<TemporaryRevoke>,
}

impl Block {
    /// Not revoked and not deleted.
    pub fn is_active(&self) -> bool {
        self.revoked_at.is_none() && self.deleted_at.is_none()
    }

    /// Whether the block's care giver / unit, period and information types cover the record
    /// (whoever looks).
    pub fn covers(&self, record: &RecordFacts) -> bool {
        self.care_giver_hsa_id == record.care_giver_hsa_id
            && match (self.kind, &self.care_unit_hsa_id) {
                (BlockKind::Outer, _) => true,
                (BlockKind::Inner, Some(unit)) => *unit == record.care_unit_hsa_id,
                // An inner block without a unit cannot be registered; if one turns up, it
                // covers the whole care giver (fail closed).
                (BlockKind::Inner, None) => true,
            }
            && self.period.as_ref().is_none_or(|(from, to)| {
                from.as_str() <= record.registration_time.as_str()
                    && record.registration_time.as_str() <= to.as_str()
            })
            && !self.excluded_types.contains(&record.information_type)
    }

    /// Whether the actor is outside what the block protects: the care giver (outer) or the
    /// care unit (inner).
    pub fn is_outside(&self, actor: &Actor) -> bool {
        match (self.kind, &self.care_unit_hsa_id) {
            (BlockKind::Outer, _) => actor.assignment.care_giver_hsa_id != self.care_giver_hsa_id,
            (BlockKind::Inner, Some(unit)) => actor.assignment.care_unit_hsa_id != *unit,
            (BlockKind::Inner, None) => true,
        }
    }

    /// Whether the block applies to `actor` at `now` at all: active, the actor is outside, and
    /// no temporary revoke lifts it for the actor.
    pub fn applies_to(&self, actor: &Actor, now: &str) -> bool {
        self.is_active()
            && self.is_outside(actor)
            && !self
                .temporary_revokes
                .iter()
                .any(|r| r.lifts_for(actor, now))
    }

    /// Whether this block hides `record` from `actor` at `now`.
    pub fn hides(&self, record: &RecordFacts, actor: &Actor, now: &str) -> bool {
        self.covers(record) && self.applies_to(actor, now)
    }
}

/// The pure rule, no I/O: whether any of the patient's `blocks` hides `record` from `actor` at
/// `now` (`YYYYMMDDhhmmss`). Revoked and deleted blocks never apply. `blocks` must be the
/// record's patient's (as from [`BlockStore::active_for_patient`]).
pub fn is_blocked(record: &RecordFacts, actor: &Actor, blocks: &[Block], now: &str) -> bool {
    blocks.iter().any(|b| b.hides(record, actor, now))
}

/// [`is_blocked`] for many records of one patient: the records not blocked, in their order, and
/// whether any was removed.
pub fn filter<T>(
    items: Vec<T>,
    facts: impl Fn(&T) -> &RecordFacts,
    actor: &Actor,
    blocks: &[Block],
    now: &str,
) -> (Vec<T>, bool) {
    // Whether a block applies depends only on the actor and the time: decide it once.
    let applying: Vec<&Block> = blocks.iter().filter(|b| b.applies_to(actor, now)).collect();
    if applying.is_empty() {
        return (items, false);
    }
    let before = items.len();
    let kept: Vec<T> = items
        .into_iter()
        .filter(|item| {
            let record = facts(item);
            !applying.iter().any(|b| b.covers(record))
        })
        .collect();
    let any_blocked = kept.len() != before;
    (kept, any_blocked)
}

/// What to register.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct NewBlock {
    pub patient_id: String,
    pub kind: BlockKind,
    pub care_giver_hsa_id: String,
    /// Required for inner blocks, absent for outer ones.
    #[serde(default)]
    pub care_unit_hsa_id: Option<String>,
    #[serde(default)]
    pub period: Option<(String, String)>,
    #[serde(default)]
    pub excluded_types: Vec<String>,
}

/// Why a block operation was refused. Messages never contain the patient id.
#[derive(Debug, thiserror::Error)]
pub enum BlockError {
    #[error("the patient id must be a valid personnummer or samordningsnummer (12 digits)")]
    PatientId,
    #[error("{0} is not a valid HSA-id")]
    HsaId(&'static str),
    #[error("an inner block must name the blocked care unit")]
    InnerWithoutUnit,
    #[error("an outer block is on the whole care giver and must not name a care unit")]
    OuterWithUnit,
    #[error("{0} must be YYYYMMDDhhmmss")]
    Time(&'static str),
    #[error("the block period ends before it starts")]
    Period,
    #[error("only the information types lak and upp may be excluded from a block")]
    ExcludedType,
    #[error("a temporary revoke must end in the future")]
    RevokeInPast,
    #[error("a temporary revoke may last at most {MAX_TEMPORARY_REVOKE_DAYS} days")]
    RevokeTooLong,
    #[error("no block with that id")]
    NotFound,
    #[error("the block was already revoked or deleted")]
    AlreadyEnded,
    #[error("the block store holds a row it cannot read")]
    Corrupt,
    #[error("block store unavailable")]
    Store(#[from] sqlx::Error),
}

const BLOCK_COLUMNS: &str = "id, patient_id, kind, care_giver_hsa_id, care_unit_hsa_id, period_from, period_to, \
     excluded_types, registered_at, registered_by, revoked_at, deleted_at";

const REVOKE_COLUMNS: &str = "id, block_id, revoke_for, revoke_for_hsa_id, revoke_for_unit_hsa_id, reason, \
     valid_until, registered_at, registered_by";

#[derive(sqlx::FromRow)]
struct BlockRow {
    id: String,
    patient_id: String,
    kind: String,
    care_giver_hsa_id: String,
    care_unit_hsa_id: Option<String>,
    period_from: Option<String>,
    period_to: Option<String>,
    excluded_types: String,
    registered_at: String,
    registered_by: String,
    revoked_at: Option<String>,
    deleted_at: Option<String>,
}

impl BlockRow {
    fn into_block(self) -> Result<Block, BlockError> {
        let period = match (self.period_from, self.period_to) {
            (Some(from), Some(to)) => Some((from, to)),
            (None, None) => None,
            _ => return Err(BlockError::Corrupt),
        };
        Ok(Block {
            id: self.id,
            patient_id: self.patient_id,
            kind: BlockKind::parse(&self.kind).ok_or(BlockError::Corrupt)?,
            care_giver_hsa_id: self.care_giver_hsa_id,
            care_unit_hsa_id: self.care_unit_hsa_id,
            period,
            excluded_types: split_types(&self.excluded_types),
            registered_at: self.registered_at,
            registered_by: self.registered_by,
            revoked_at: self.revoked_at,
            deleted_at: self.deleted_at,
            temporary_revokes: Vec::new(),
        })
    }
}

#[derive(sqlx::FromRow)]
struct RevokeRow {
    id: String,
    block_id: String,
    revoke_for: String,
    revoke_for_hsa_id: String,
    revoke_for_unit_hsa_id: Option<String>,
    reason: String,
    valid_until: String,
    registered_at: String,
    registered_by: String,
}

impl RevokeRow {
    fn into_revoke(self) -> Result<TemporaryRevoke, BlockError> {
        Ok(TemporaryRevoke {
            id: self.id,
            block_id: self.block_id,
            revoke_for: RevokeFor::from_parts(
                &self.revoke_for,
                self.revoke_for_hsa_id,
                self.revoke_for_unit_hsa_id,
            )
            .ok_or(BlockError::Corrupt)?,
            reason: RevokeReason::parse(&self.reason).ok_or(BlockError::Corrupt)?,
            valid_until: self.valid_until,
            registered_at: self.registered_at,
            registered_by: self.registered_by,
        })
    }
}

fn split_types(s: &str) -> Vec<String> {
    s.split(',')
        .map(str::trim)
        .filter(|t| !t.is_empty())
        .map(str::to_owned)
        .collect()
}

fn check_patient(p: &str) -> Result<(), BlockError> {
    if npo_riv::ids::is_valid_personal_identity(p) {
        Ok(())
    } else {
        Err(BlockError::PatientId)
    }
}

fn check_hsa(id: &str, what: &'static str) -> Result<(), BlockError> {
    if is_hsa_id(id) {
        Ok(())
    } else {
        Err(BlockError::HsaId(what))
    }
}

fn is_real_timestamp(s: &str) -> bool {
    npo_riv::time::is_real_timestamp(s)
}

fn add_days(ts: &str, days: i64) -> Option<String> {
    npo_riv::time::shifted(ts, chrono::Duration::days(days))
}

/// Checks a new block and returns its excluded types, deduplicated in a fixed order.
fn validate(b: &NewBlock, by: &str) -> Result<Vec<String>, BlockError> {
    check_patient(&b.patient_id)?;
    check_hsa(&b.care_giver_hsa_id, "the care giver")?;
    match (b.kind, &b.care_unit_hsa_id) {
        (BlockKind::Inner, None) => return Err(BlockError::InnerWithoutUnit),
        (BlockKind::Inner, Some(unit)) => check_hsa(unit, "the care unit")?,
        (BlockKind::Outer, Some(_)) => return Err(BlockError::OuterWithUnit),
        (BlockKind::Outer, None) => {}
    }
    if let Some((from, to)) = &b.period {
        if !is_real_timestamp(from) {
            return Err(BlockError::Time("the period start"));
        }
        if !is_real_timestamp(to) {
            return Err(BlockError::Time("the period end"));
        }
        if from > to {
            return Err(BlockError::Period);
        }
    }
    if let Some(_bad) = b
        .excluded_types
        .iter()
        .find(|t| !EXCLUDABLE_TYPES.contains(&t.as_str()))
    {
        return Err(BlockError::ExcludedType);
    }
    check_hsa(by, "the registering user")?;
    Ok(EXCLUDABLE_TYPES
        .iter()
        .filter(|t| b.excluded_types.iter().any(|e| e == *t))
        .map(|t| (*t).to_owned())
        .collect())
}

/// The block register.
#[derive(Clone, Debug)]
pub struct BlockStore {
    db: Db,
}

impl BlockStore {
    pub fn new(db: Db) -> Self {
        BlockStore { db }
    }

    /// Registers a block; `by` is the registering user's HSA-id.
    pub async fn register(&self, b: &NewBlock, by: &str) -> Result<Block, BlockError> {
        let excluded_types = validate(b, by)?;
        let block = Block {
            id: uuid::Uuid::new_v4().to_string(),
            patient_id: b.patient_id.clone(),
            kind: b.kind,
            care_giver_hsa_id: b.care_giver_hsa_id.clone(),
            care_unit_hsa_id: b.care_unit_hsa_id.clone(),
            period: b.period.clone(),
            excluded_types,
            registered_at: npo_riv::time::now_timestamp(),
            registered_by: by.to_owned(),
            revoked_at: None,
            deleted_at: None,
            temporary_revokes: Vec::new(),
        };
        let (from, to) = match &block.period {
            Some((from, to)) => (Some(from.as_str()), Some(to.as_str())),
            None => (None, None),
        };
        sqlx::query(
            "INSERT INTO sec_blocks (id, patient_id, kind, care_giver_hsa_id, care_unit_hsa_id, period_from, \
             period_to, excluded_types, registered_at, registered_by) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)",
        )
        .bind(&block.id)
        .bind(&block.patient_id)
        .bind(block.kind.as_str())
        .bind(&block.care_giver_hsa_id)
        .bind(block.care_unit_hsa_id.as_deref())
        .bind(from)
        .bind(to)
        .bind(block.excluded_types.join(","))
        .bind(&block.registered_at)
        .bind(&block.registered_by)
        .execute(&self.db.pool)
        .await?;
        Ok(block)
    }

    /// Revokes a block at the patient's wish: it no longer applies. Permanent, kept as history.
    pub async fn revoke(&self, block_id: &str, by: &str) -> Result<(), BlockError> {
        self.end(block_id, by, "revoked").await
    }

    /// Deletes a wrongly registered block: it no longer applies. Permanent, kept as history.
    pub async fn delete(&self, block_id: &str, by: &str) -> Result<(), BlockError> {
        self.end(block_id, by, "deleted").await
    }

    async fn end(&self, block_id: &str, by: &str, how: &'static str) -> Result<(), BlockError> {
        check_hsa(by, "the user")?;
        let now = npo_riv::time::now_timestamp();
        // `how` is one of two constants, never input.
        let done = sqlx::query(sqlx::AssertSqlSafe(format!(
            "UPDATE sec_blocks SET {how}_at = $1, {how}_by = $2 \
             WHERE id = $3 AND revoked_at IS NULL AND deleted_at IS NULL"
        )))
        .bind(&now)
        .bind(by)
        .bind(block_id)
        .execute(&self.db.pool)
        .await?
        .rows_affected();
        if done == 1 {
            Ok(())
        } else {
            Err(self.why_not_active(block_id).await?)
        }
    }

    /// The error for a block that could not be changed: unknown, or already ended.
    async fn why_not_active(&self, block_id: &str) -> Result<BlockError, BlockError> {
        let exists: Option<(String,)> = sqlx::query_as("SELECT id FROM sec_blocks WHERE id = $1")
            .bind(block_id)
            .fetch_optional(&self.db.pool)
            .await?;
        Ok(if exists.is_some() {
            BlockError::AlreadyEnded
        } else {
            BlockError::NotFound
        })
    }

    /// Lifts a block for one care unit or one employee until `valid_until` (`YYYYMMDDhhmmss`,
    /// after now and at most [`MAX_TEMPORARY_REVOKE_DAYS`] ahead). The block must be active.
    pub async fn revoke_temporarily(
        &self,
        block_id: &str,
        for_: RevokeFor,
        reason: RevokeReason,
        valid_until: &str,
        by: &str,
    ) -> Result<TemporaryRevoke, BlockError> {
        match &for_ {
            RevokeFor::CareUnit(unit) => check_hsa(unit, "the care unit")?,
            RevokeFor::Employee {
                person_hsa_id,
                care_unit_hsa_id,
            } => {
                check_hsa(person_hsa_id, "the employee")?;
                check_hsa(care_unit_hsa_id, "the employee's care unit")?;
            }
        }
        if !is_real_timestamp(valid_until) {
            return Err(BlockError::Time("the end of the temporary revoke"));
        }
        check_hsa(by, "the registering user")?;
        let now = npo_riv::time::now_timestamp();
        if valid_until <= now.as_str() {
            return Err(BlockError::RevokeInPast);
        }
        let latest = add_days(&now, MAX_TEMPORARY_REVOKE_DAYS).ok_or(BlockError::Corrupt)?;
        if valid_until > latest.as_str() {
            return Err(BlockError::RevokeTooLong);
        }
        let revoke = TemporaryRevoke {
            id: uuid::Uuid::new_v4().to_string(),
            block_id: block_id.to_owned(),
            revoke_for: for_,
            reason,
            valid_until: valid_until.to_owned(),
            registered_at: now,
            registered_by: by.to_owned(),
        };
        // One statement: the revoke is written only if the block exists and is active.
        let done = sqlx::query(
            "INSERT INTO sec_block_revokes (id, block_id, patient_id, revoke_for, revoke_for_hsa_id, \
             reason, valid_until, registered_at, registered_by, revoke_for_unit_hsa_id) \
             SELECT $1, id, patient_id, $2, $3, $4, $5, $6, $7, $8 FROM sec_blocks \
             WHERE id = $9 AND revoked_at IS NULL AND deleted_at IS NULL",
        )
        .bind(&revoke.id)
        .bind(revoke.revoke_for.kind_str())
        .bind(revoke.revoke_for.hsa_id())
        .bind(revoke.reason.as_str())
        .bind(&revoke.valid_until)
        .bind(&revoke.registered_at)
        .bind(&revoke.registered_by)
        .bind(revoke.revoke_for.care_unit_hsa_id())
        .bind(block_id)
        .execute(&self.db.pool)
        .await?
        .rows_affected();
        if done == 1 {
            Ok(revoke)
        } else {
            Err(self.why_not_active(block_id).await?)
        }
    }

    /// One block with its temporary revokes, ended or not.
    pub async fn get(&self, block_id: &str) -> Result<Block, BlockError> {
        let row: Option<BlockRow> = sqlx::query_as(sqlx::AssertSqlSafe(format!(
            "SELECT {BLOCK_COLUMNS} FROM sec_blocks WHERE id = $1"
        )))
        .bind(block_id)
        .fetch_optional(&self.db.pool)
        .await?;
        let mut block = row.ok_or(BlockError::NotFound)?.into_block()?;
        let revokes: Vec<RevokeRow> = sqlx::query_as(sqlx::AssertSqlSafe(format!(
            "SELECT {REVOKE_COLUMNS} FROM sec_block_revokes WHERE block_id = $1 \
             ORDER BY registered_at, id"
        )))
        .bind(block_id)
        .fetch_all(&self.db.pool)
        .await?;
        block.temporary_revokes = revokes
            .into_iter()
            .map(RevokeRow::into_revoke)
            .collect::<Result<_, _>>()?;
        Ok(block)
    }

    /// The patient's active blocks (neither revoked nor deleted) with their temporary revokes:
    /// what the gate checks. Two indexed queries.
    pub async fn active_for_patient(&self, patient_id: &str) -> Result<Vec<Block>, BlockError> {
        self.load(patient_id, true).await
    }

    /// Every block of the patient, revoked and deleted ones included, oldest first.
    pub async fn history(&self, patient_id: &str) -> Result<Vec<Block>, BlockError> {
        self.load(patient_id, false).await
    }

    async fn load(&self, patient_id: &str, active_only: bool) -> Result<Vec<Block>, BlockError> {
        let only_active = if active_only {
            " AND revoked_at IS NULL AND deleted_at IS NULL"
        } else {
            ""
        };
        let rows: Vec<BlockRow> = sqlx::query_as(sqlx::AssertSqlSafe(format!(
            "SELECT {BLOCK_COLUMNS} FROM sec_blocks WHERE patient_id = $1{only_active} \
             ORDER BY registered_at, id"
        )))
        .bind(patient_id)
        .fetch_all(&self.db.pool)
        .await?;
        if rows.is_empty() {
            return Ok(Vec::new());
        }
        let mut blocks = rows
            .into_iter()
            .map(BlockRow::into_block)
            .collect::<Result<Vec<_>, _>>()?;
        let revokes: Vec<RevokeRow> = sqlx::query_as(sqlx::AssertSqlSafe(format!(
            "SELECT {REVOKE_COLUMNS} FROM sec_block_revokes WHERE patient_id = $1 \
             ORDER BY registered_at, id"
        )))
        .bind(patient_id)
        .fetch_all(&self.db.pool)
        .await?;
        for row in revokes {
            let revoke = row.into_revoke()?;
            // Revokes of blocks not loaded (ended ones, for the active view) are left out.
            if let Some(block) = blocks.iter_mut().find(|b| b.id == revoke.block_id) {
                block.temporary_revokes.push(revoke);
            }
        }
        Ok(blocks)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn excluded_types_are_normalised() {
        let b = NewBlock {
            patient_id: "191212121212".into(),
            kind: BlockKind::Outer,
            care_giver_hsa_id: "SE2321000016-G1".into(),
            care_unit_hsa_id: None,
            period: None,
            excluded_types: vec!["upp".into(), "lak".into(), "upp".into()],
        };
        assert_eq!(
            validate(&b, "SE2321000016-P1").unwrap(),
            vec!["lak".to_owned(), "upp".to_owned()]
        );
        assert_eq!(split_types(""), Vec::<String>::new());
        assert_eq!(split_types("lak,upp"), vec!["lak", "upp"]);
    }

    #[test]
    fn days_are_added() {
        assert_eq!(
            add_days("20240131120000", 30).as_deref(),
            Some("20240301120000")
        );
        assert_eq!(add_days("garbage", 1), None);
        assert!(is_real_timestamp("20240229235959"));
        assert!(!is_real_timestamp("20230229000000"));
        assert!(!is_real_timestamp("20240101240000"));
    }
}
