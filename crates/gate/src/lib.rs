//! The PDL gate: the one component every consumer entry point (clinician app, citizen journal,
//! third-party API) goes through to see a patient's records. Given an actor in a chosen
//! assignment and a patient, it checks, in the order the Patient Data Act sets:
//!
//! 1. **rights**: an assignment for care and treatment with reading rights for the types;
//! 2. **available patient**: the actor's own care giver's system confirms a care engagement
//!    (AssertCareEngagement through the platform; a yes is reused for 60 s);
//! 3. **patient relation**: the actor has attested a current relation;
//! 4. **consent or emergency access** for other care givers' records (the own care giver's
//!    records follow the VE/VG scope rules instead);
//!
//! then fetches through the aggregating services (every contract version of each type, merged),
//! drops records without care unit and care giver, applies the scope rules and the patient's
//! **blocks**, selects what the consumer delivers ([`Delivery`]) and **logs** exactly that: one
//! entry per (information type, care giver, care unit, activity) of the read, with the ids of
//! the records delivered — durably, before anything is returned. If any check or the log cannot
//! be made, nothing is shown (fail closed).

mod types;

pub use types::{InformationType, Record};

use futures::future::join_all;
use npo_riv::accesscontrol::{AssertCareEngagement, AssertCareEngagementResponse};
use npo_riv::common::{DatePeriod, PersonId, Query};
use npo_riv::headers::{HEADERS_NS, ProcessingStatus, ProcessingStatusRecord, StatusCode};
use npo_router::{CallError, VpClient};
use npo_security::access_log::{AccessLog, Activity, NewEntry, RecordRef, Resource};
use npo_security::blocks::{
    Block, BlockError, BlockKind, BlockStore, NewBlock, RevokeFor, RevokeReason, TemporaryRevoke,
};
use npo_security::consent::{Consent, ConsentError, ConsentKind, ConsentStore, NewConsent};
use npo_security::directory::DirectoryStore;
use npo_security::relation::{Relation, RelationError, RelationStore};
use npo_security::{Actor, PURPOSE_CARE, RecordFacts, Scope};
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, HashMap, HashSet};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// How long a positive "available patient" answer is reused.
pub const AVAILABLE_PATIENT_TTL: Duration = Duration::from_secs(60);

/// The gate's settings.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct GateConfig {
    /// The consumer system the gate calls the platform as (its certificate's HSA-id), logged
    /// as the accessing system.
    pub system_hsa_id: String,
    /// The aggregating services' logical address.
    pub aggregating_logical_address: String,
}

/// What the actor asks to see.
#[derive(Clone, Debug, Default)]
pub struct ReadRequest {
    pub patient_id: String,
    /// Empty: every type the actor may read.
    pub types: Vec<InformationType>,
    pub period: Option<DatePeriod>,
    /// Only these care givers' records (empty: all).
    pub care_givers: Vec<String>,
    /// Which of the records the actor may see are delivered (returned and logged).
    pub delivery: Delivery,
}

/// Selects records by what the consumer shows (e.g. a period rule, or the one record of a
/// detail view).
pub type Selector = Arc<dyn Fn(&Record) -> bool + Send + Sync>;

/// Which records a read delivers: the gate returns exactly these and logs exactly these. What is
/// not delivered is neither returned nor logged; [`ReadAnswer::matching`] counts what the
/// selector kept before `latest` cut it.
#[derive(Clone, Default)]
pub struct Delivery {
    /// Only the records this selects (`None`: every record the actor may see).
    pub select: Option<Selector>,
    /// At most this many, in [`overview_order`] (`None`: all selected).
    pub latest: Option<usize>,
}

impl Delivery {
    /// Every record the actor may see (a full list).
    pub fn all() -> Delivery {
        Delivery::default()
    }

    /// The newest `n` (an overview that shows the latest few and a count).
    pub fn latest(n: usize) -> Delivery {
        Delivery {
            select: None,
            latest: Some(n),
        }
    }

    /// Only the records `select` keeps.
    pub fn only(select: impl Fn(&Record) -> bool + Send + Sync + 'static) -> Delivery {
        Delivery {
            select: Some(Arc::new(select)),
            latest: None,
        }
    }

    /// This delivery, further limited to what `select` keeps.
    pub fn and(self, select: impl Fn(&Record) -> bool + Send + Sync + 'static) -> Delivery {
        let select: Selector = match self.select {
            None => Arc::new(select),
            Some(first) => Arc::new(move |r: &Record| first(r) && select(r)),
        };
        Delivery {
            select: Some(select),
            latest: self.latest,
        }
    }
}

impl std::fmt::Debug for Delivery {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Delivery")
            .field("select", &self.select.as_ref().map(|_| ".."))
            .field("latest", &self.latest)
            .finish()
    }
}

/// The order of an overview: newest first, by the time the record is shown with. Flags
/// (`attention`) are marks on the items, not an order. [`Delivery::latest`] takes the first
/// records in this order.
pub fn overview_order(a: &npo_riv::ItemView, b: &npo_riv::ItemView) -> std::cmp::Ordering {
    b.time.cmp(&a.time)
}

/// On what grounds other care givers' records were shown.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum Basis {
    /// No consent or emergency access: only the own care giver's records.
    OwnCareGiverOnly,
    Consent,
    Emergency,
}

/// What [`Gate::status`] found: the preconditions hold, on this basis.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Status {
    pub basis: Basis,
    /// A temporary revoke lifts at least one of the patient's blocks for the actor, the last
    /// of them until this time (`YYYYMMDDhhmmss`).
    pub blocks_lifted_until: Option<String>,
}

/// What the actor may see.
#[derive(Clone, Debug)]
pub struct ReadAnswer {
    /// The records delivered (as [`ReadRequest::delivery`] says), each logged.
    pub records: Vec<Record>,
    /// How many records the actor may see that match the request (delivered or not).
    pub matching: usize,
    /// One entry per source system and type asked (every contract version merged: a source
    /// answered if it answered through any version). A source whose records were all removed
    /// by blocks is never listed: for a type where blocks removed records, only the sources
    /// holding records the actor may see, and those that failed, are.
    pub sources: Vec<(InformationType, ProcessingStatusRecord)>,
    /// Types the platform could not answer for at all.
    pub unavailable_types: Vec<InformationType>,
    /// Blocked information exists (never from whom).
    pub blocked_information_exists: bool,
    /// Other care givers hold records the actor needs consent or emergency access to see.
    pub consent_needed: bool,
    pub basis: Basis,
}

/// Why nothing is shown. [`Refusal::explanation`] says it to the user, in Swedish.
#[derive(Debug, thiserror::Error, Clone, PartialEq, Eq)]
pub enum Refusal {
    #[error("the assignment gives no right to read these information types")]
    NoRights,
    #[error("the patient is not available: the care giver has no care engagement with the patient")]
    NotAvailablePatient,
    #[error("no patient relation is attested")]
    NoRelation,
    #[error("a required check could not be made: {0}")]
    CheckUnavailable(&'static str),
    #[error("the access log cannot be written")]
    LogUnavailable,
    #[error("the patient id must be 12 digits")]
    InvalidPatient,
    #[error("a registration could not be saved: {0}")]
    NotSaved(&'static str),
    /// The registration belongs to another care giver, unit or person.
    #[error("not permitted: {0}")]
    NotPermitted(&'static str),
    /// The registration is invalid (the services' message, never personal data).
    #[error("{0}")]
    Invalid(String),
    #[error("no {0} with that id")]
    NotFound(&'static str),
    /// Already cancelled, revoked or deleted (the services' message).
    #[error("{0}")]
    AlreadyEnded(String),
}

impl Refusal {
    pub fn explanation(&self) -> &'static str {
        match self {
            Refusal::NoRights => {
                "Ditt medarbetaruppdrag ger inte behörighet att läsa den här informationen. Uppdraget måste ha syftet Vård och behandling och läsrätt för informationstypen."
            }
            Refusal::NotAvailablePatient => {
                "Patienten är inte tillgänglig: din vårdgivare har ingen pågående vårdkontakt (bokning eller inskrivning) med patienten."
            }
            Refusal::NoRelation => {
                "Du behöver intyga att du har en patientrelation innan du kan se patientens uppgifter."
            }
            Refusal::CheckUnavailable(_) => {
                "En behörighetskontroll kunde inte göras just nu. Av säkerhetsskäl visas ingen information. Försök igen om en stund."
            }
            Refusal::LogUnavailable => {
                "Åtkomstloggen kan inte skrivas just nu. Av säkerhetsskäl visas ingen information. Försök igen om en stund."
            }
            Refusal::InvalidPatient => {
                "Personnumret eller samordningsnumret är inte giltigt (tolv siffror, ett riktigt datum och rätt kontrollsiffra)."
            }
            Refusal::NotPermitted(_) => {
                "Du får inte ändra den här registreringen: den hör till en annan vårdgivare, vårdenhet eller person."
            }
            Refusal::Invalid(_) => "Uppgifterna är inte giltiga. Ingenting har ändrats.",
            Refusal::NotFound(_) => "Registreringen finns inte.",
            Refusal::AlreadyEnded(_) => "Registreringen är redan avslutad.",
            Refusal::NotSaved(_) => {
                "Registreringen kunde inte sparas just nu. Ingenting har ändrats. Försök igen om en stund."
            }
        }
    }
}

/// The gate's state: the security services and the platform client.
pub struct Gate {
    cfg: GateConfig,
    vp: VpClient,
    relations: RelationStore,
    consents: ConsentStore,
    blocks: BlockStore,
    log: AccessLog,
    available: Mutex<HashMap<(String, String, String), Instant>>,
    /// The HSA directory, for what registrations name (care givers and units of blocks).
    /// Without it, block registrations are refused (fail closed).
    directory: Option<DirectoryStore>,
}

/// What the preconditions established.
struct Checked {
    types: Vec<InformationType>,
    basis: Basis,
    blocks: Vec<Block>,
    now: String,
}

/// One log entry's key: information type, the information's care giver and care unit, and the
/// activity.
type LookKey = (String, String, String, &'static str);

/// One fetched record with its facts.
struct Seen {
    record: Record,
    facts: RecordFacts,
    scope: Scope,
}

impl Gate {
    pub fn new(
        cfg: GateConfig,
        vp: VpClient,
        relations: RelationStore,
        consents: ConsentStore,
        blocks: BlockStore,
        log: AccessLog,
    ) -> Gate {
        Gate {
            cfg,
            vp,
            relations,
            consents,
            blocks,
            log,
            available: Mutex::new(HashMap::new()),
            directory: None,
        }
    }

    /// The gate with the HSA directory, which block registrations are checked against.
    pub fn with_directory(mut self, directory: DirectoryStore) -> Gate {
        self.directory = Some(directory);
        self
    }

    pub fn log(&self) -> &AccessLog {
        &self.log
    }

    /// The PDL checks alone (rights for at least one type, available patient, relation, consent
    /// or emergency access), without fetching or logging anything: what a user interface asks
    /// before it shows the overview. [`Gate::read`] makes the same checks again.
    pub async fn check(&self, actor: &Actor, patient: &str) -> Result<Basis, Refusal> {
        Ok(self.status(actor, patient).await?.basis)
    }

    /// [`Gate::check`], and whether temporary revokes now lift blocks for the actor (from the
    /// block register, wherever they were registered): what a user interface says before the
    /// overview, so that the user knows blocked information is shown and until when.
    pub async fn status(&self, actor: &Actor, patient: &str) -> Result<Status, Refusal> {
        let checked = self.preconditions(actor, patient, &[]).await?;
        let now = &checked.now;
        let blocks_lifted_until = checked
            .blocks
            .iter()
            .filter(|b| b.is_active() && b.is_outside(actor))
            .flat_map(|b| &b.temporary_revokes)
            .filter(|r| r.lifts_for(actor, now))
            .map(|r| r.valid_until.clone())
            .max();
        Ok(Status {
            basis: checked.basis,
            blocks_lifted_until,
        })
    }

    /// The actor attests a patient relation until `valid_to` (`YYYYMMDDhhmmss`). Only for a
    /// patient the actor may see at all: rights and available patient are checked first.
    pub async fn attest_relation(
        &self,
        actor: &Actor,
        patient: &str,
        valid_to: &str,
    ) -> Result<Relation, Refusal> {
        match self.preconditions(actor, patient, &[]).await {
            Ok(_) | Err(Refusal::NoRelation) => {}
            Err(r) => return Err(r),
        }
        self.relations
            .register(patient, actor, valid_to)
            .await
            .map_err(|e| relation_refusal("patientrelation", e))
    }

    /// Registers the patient's consent, given to the actor (unit or person). Every
    /// precondition but consent itself (rights, available patient, relation) must hold.
    pub async fn register_consent(
        &self,
        actor: &Actor,
        consent: &NewConsent,
    ) -> Result<Consent, Refusal> {
        self.preconditions(actor, &consent.patient_id, &[]).await?;
        self.consents
            .register(consent, actor)
            .await
            .map_err(|e| consent_refusal("samtycke", e))
    }

    /// Opens emergency access (with its reason) for `hours`; the same preconditions as consent.
    pub async fn register_emergency(
        &self,
        actor: &Actor,
        patient: &str,
        reason: &str,
        hours: i64,
    ) -> Result<Consent, Refusal> {
        self.preconditions(actor, patient, &[]).await?;
        self.consents
            .register_emergency(patient, actor, reason, hours)
            .await
            .map_err(|e| consent_refusal("nödöppning", e))
    }

    /// Lifts, for the actor alone at their unit and until `valid_until`, every block of the
    /// patient that hides records from them (patient's consent or emergency); returns how
    /// many. The same preconditions as consent. What is then shown is logged as `Hävd spärr`.
    pub async fn revoke_blocks_temporarily(
        &self,
        actor: &Actor,
        patient: &str,
        reason: RevokeReason,
        valid_until: &str,
    ) -> Result<usize, Refusal> {
        let checked = self.preconditions(actor, patient, &[]).await?;
        let mut revoked = 0;
        for b in checked
            .blocks
            .iter()
            .filter(|b| b.applies_to(actor, &checked.now))
        {
            self.blocks
                .revoke_temporarily(
                    &b.id,
                    personal_revoke(actor),
                    reason,
                    valid_until,
                    &actor.person_hsa_id,
                )
                .await
                .map_err(|e| block_refusal("hävning av spärr", e))?;
            revoked += 1;
        }
        Ok(revoked)
    }

    /// Lifts one block temporarily, for the actor's own care unit (`RevokeFor::CareUnit`) or
    /// the actor personally at that unit (`RevokeFor::Employee`): never for another unit or
    /// person. The same preconditions as consent, for the block's patient; the block must hide
    /// records from the actor.
    pub async fn revoke_block_temporarily(
        &self,
        actor: &Actor,
        block_id: &str,
        for_: RevokeFor,
        reason: RevokeReason,
        valid_until: &str,
    ) -> Result<TemporaryRevoke, Refusal> {
        let own = match &for_ {
            RevokeFor::CareUnit(unit) => *unit == actor.assignment.care_unit_hsa_id,
            RevokeFor::Employee { .. } => for_ == personal_revoke(actor),
        };
        if !own {
            return Err(Refusal::NotPermitted(
                "a temporary revoke is only for the acting user's own care unit, or the user at that unit",
            ));
        }
        let block = self.block(block_id).await?;
        self.preconditions(actor, &block.patient_id, &[]).await?;
        if !block.is_outside(actor) {
            return Err(Refusal::Invalid(
                "the block does not hide anything from the acting user's care unit".into(),
            ));
        }
        if !block.is_active() {
            return Err(Refusal::AlreadyEnded(BlockError::AlreadyEnded.to_string()));
        }
        self.blocks
            .revoke_temporarily(block_id, for_, reason, valid_until, &actor.person_hsa_id)
            .await
            .map_err(|e| block_refusal("hävning av spärr", e))
    }

    /// Registers the patient's block, at the patient's wish, at the actor's own care giver:
    /// the block is on that care giver (outer) or one of its units (inner), both as the HSA
    /// directory has them. The same preconditions as consent.
    pub async fn register_block(&self, actor: &Actor, block: &NewBlock) -> Result<Block, Refusal> {
        self.preconditions(actor, &block.patient_id, &[]).await?;
        if block.care_giver_hsa_id != actor.assignment.care_giver_hsa_id {
            return Err(Refusal::NotPermitted(
                "a block is registered at the patient's wish by the care giver it is on",
            ));
        }
        let Some(directory) = &self.directory else {
            return Err(unavailable("katalog", &"no directory"));
        };
        match directory.care_giver(&block.care_giver_hsa_id).await {
            Ok(Some(_)) => {}
            Ok(None) => {
                return Err(Refusal::Invalid(
                    "the care giver is not in the HSA directory".into(),
                ));
            }
            Err(e) => return Err(unavailable("katalog", &e)),
        }
        if let (BlockKind::Inner, Some(unit)) = (block.kind, &block.care_unit_hsa_id) {
            match directory.care_unit(unit).await {
                Ok(Some(u)) if u.care_giver_hsa_id == block.care_giver_hsa_id => {}
                Ok(_) => {
                    return Err(Refusal::Invalid(
                        "the care unit is not a unit of the care giver in the HSA directory".into(),
                    ));
                }
                Err(e) => return Err(unavailable("katalog", &e)),
            }
        }
        self.blocks
            .register(block, &actor.person_hsa_id)
            .await
            .map_err(|e| block_refusal("spärr", e))
    }

    /// Ends a block for good: revoked at the patient's wish, or deleted as a wrong
    /// registration. Only by a user of the care giver the block is on, with a relation to the
    /// patient.
    pub async fn end_block(
        &self,
        actor: &Actor,
        block_id: &str,
        delete: bool,
    ) -> Result<(), Refusal> {
        let block = self.block(block_id).await?;
        if block.care_giver_hsa_id != actor.assignment.care_giver_hsa_id {
            return Err(Refusal::NotPermitted(
                "only the care giver the block is on may revoke or delete it",
            ));
        }
        self.related(actor, &block.patient_id).await?;
        let done = if delete {
            self.blocks.delete(block_id, &actor.person_hsa_id).await
        } else {
            self.blocks.revoke(block_id, &actor.person_hsa_id).await
        };
        done.map_err(|e| block_refusal("spärr", e))
    }

    /// Cancels (the patient's wish) or deletes (a wrong registration, with `reason`) a consent
    /// or emergency access. Only by a user of the care giver that registered it, with a
    /// relation to the patient.
    pub async fn end_consent(
        &self,
        actor: &Actor,
        consent_id: &str,
        delete_reason: Option<&str>,
    ) -> Result<(), Refusal> {
        let consent = match self.consents.get(consent_id).await {
            Ok(c) => c,
            Err(ConsentError::NotFound) => return Err(Refusal::NotFound("consent")),
            Err(e) => return Err(unavailable("samtycke", &e)),
        };
        if consent.care_giver_hsa_id != actor.assignment.care_giver_hsa_id {
            return Err(Refusal::NotPermitted(
                "only the care giver that registered the consent may cancel or delete it",
            ));
        }
        self.related(actor, &consent.patient_id).await?;
        let done = match delete_reason {
            Some(reason) => {
                self.consents
                    .delete(consent_id, &actor.person_hsa_id, reason)
                    .await
            }
            None => self.consents.cancel(consent_id, &actor.person_hsa_id).await,
        };
        done.map_err(|e| consent_refusal("samtycke", e))
    }

    /// Ends the actor's own relation early: only the person who attested it, at that unit.
    pub async fn end_relation(&self, actor: &Actor, relation_id: &str) -> Result<(), Refusal> {
        let relation = match self.relations.get(relation_id).await {
            Ok(r) => r,
            Err(RelationError::NotFound) => return Err(Refusal::NotFound("relation")),
            Err(e) => return Err(unavailable("patientrelation", &e)),
        };
        if relation.person_hsa_id != actor.person_hsa_id
            || relation.care_unit_hsa_id != actor.assignment.care_unit_hsa_id
        {
            return Err(Refusal::NotPermitted(
                "only the user who attested the relation, at that care unit, may end it",
            ));
        }
        self.relations
            .cancel(relation_id, &actor.person_hsa_id)
            .await
            .map_err(|e| relation_refusal("patientrelation", e))
    }

    /// What listing a patient's registrations (consents, blocks) takes: an assignment for care
    /// and treatment with a reading right, and a current relation with the patient.
    pub async fn may_list(&self, actor: &Actor, patient: &str) -> Result<(), Refusal> {
        self.related(actor, patient).await
    }

    /// Rights (care and treatment, some reading right) and a current relation: what managing
    /// a patient's registrations takes.
    async fn related(&self, actor: &Actor, patient: &str) -> Result<(), Refusal> {
        if !npo_riv::ids::is_valid_personal_identity(patient) {
            return Err(Refusal::InvalidPatient);
        }
        let may_read = InformationType::ALL.iter().any(|t| {
            [Scope::CareUnit, Scope::CareGiver, Scope::Coherent]
                .iter()
                .any(|s| actor.assignment.may_read(t.code(), *s))
        });
        if actor.assignment.purpose != PURPOSE_CARE || !may_read {
            return Err(Refusal::NoRights);
        }
        let now = npo_riv::time::now_timestamp();
        match self.relations.check(patient, actor, &now).await {
            Ok(Some(_)) => Ok(()),
            Ok(None) => Err(Refusal::NoRelation),
            Err(e) => Err(unavailable("patientrelation", &e)),
        }
    }

    async fn block(&self, block_id: &str) -> Result<Block, Refusal> {
        match self.blocks.get(block_id).await {
            Ok(b) => Ok(b),
            Err(BlockError::NotFound) => Err(Refusal::NotFound("block")),
            Err(e) => Err(unavailable("spärrar", &e)),
        }
    }

    /// Steps 1–4, in the law's order; everything known before anything is fetched.
    async fn preconditions(
        &self,
        actor: &Actor,
        patient: &str,
        asked: &[InformationType],
    ) -> Result<Checked, Refusal> {
        if !npo_riv::ids::is_valid_personal_identity(patient) {
            return Err(Refusal::InvalidPatient);
        }
        // 1. Rights: the types the assignment may read at all.
        let asked = if asked.is_empty() {
            InformationType::ALL
        } else {
            asked
        };
        let types: Vec<InformationType> = asked
            .iter()
            .copied()
            .filter(|t| {
                [Scope::CareUnit, Scope::CareGiver, Scope::Coherent]
                    .iter()
                    .any(|s| actor.assignment.may_read(t.code(), *s))
            })
            .collect();
        if actor.assignment.purpose != PURPOSE_CARE || types.is_empty() {
            return Err(Refusal::NoRights);
        }
        // 2. Available patient.
        if !self.available_patient(actor, patient).await? {
            return Err(Refusal::NotAvailablePatient);
        }
        // 3–4. Patient relation; consent or emergency access (for other care givers); the blocks.
        //      Independent lookups, made together; judged in the law's order.
        let now = npo_riv::time::now_timestamp();
        let (relation, consent, blocks) = tokio::join!(
            self.relations.check(patient, actor, &now),
            self.consents.check(patient, actor, &now),
            self.blocks.active_for_patient(patient),
        );
        match relation {
            Ok(Some(_)) => {}
            Ok(None) => return Err(Refusal::NoRelation),
            Err(e) => return Err(unavailable("patientrelation", &e)),
        }
        let basis = match consent {
            Ok(Some(c)) if c.kind == ConsentKind::Emergency => Basis::Emergency,
            Ok(Some(_)) => Basis::Consent,
            Ok(None) => Basis::OwnCareGiverOnly,
            Err(e) => return Err(unavailable("samtycke", &e)),
        };
        let blocks = blocks.map_err(|e| unavailable("spärrar", &e))?;
        Ok(Checked {
            types,
            basis,
            blocks,
            now,
        })
    }

    /// Reads what `actor` may see of the patient. Every record returned is logged.
    pub async fn read(&self, actor: &Actor, req: &ReadRequest) -> Result<ReadAnswer, Refusal> {
        let patient = req.patient_id.as_str();
        let Checked {
            types,
            basis,
            blocks,
            now,
        } = self.preconditions(actor, patient, &req.types).await?;

        // 5. Fetch every type in parallel through the aggregating services.
        let fetched = join_all(
            types
                .iter()
                .map(|t| self.fetch(*t, patient, req.period.clone())),
        )
        .await;
        let mut answer = ReadAnswer {
            records: Vec::new(),
            matching: 0,
            sources: Vec::new(),
            unavailable_types: Vec::new(),
            blocked_information_exists: false,
            consent_needed: false,
            basis,
        };
        let mut seen = Vec::new();
        for (t, result) in types.iter().zip(fetched) {
            match result {
                Ok((records, status)) => {
                    answer
                        .sources
                        .extend(status.records.into_iter().map(|s| (*t, s)));
                    for record in records {
                        // Records without care unit and care giver are never shown.
                        let Some(facts) = record.facts() else {
                            continue;
                        };
                        if facts.patient_id_mismatch(patient) {
                            continue;
                        }
                        let facts = facts.into_facts();
                        if !req.care_givers.is_empty()
                            && !req.care_givers.contains(&facts.care_giver_hsa_id)
                        {
                            continue;
                        }
                        // Scope rules: VE/VG for the own care giver, SJF + consent for others.
                        let scope = actor
                            .assignment
                            .scope_needed(&facts.care_giver_hsa_id, &facts.care_unit_hsa_id);
                        if !actor.assignment.may_read(&facts.information_type, scope) {
                            continue;
                        }
                        if scope == Scope::Coherent && basis == Basis::OwnCareGiverOnly {
                            answer.consent_needed = true;
                            continue;
                        }
                        seen.push(Seen {
                            record,
                            facts,
                            scope,
                        });
                    }
                }
                Err(e) => {
                    tracing::warn!(
                        error = call_error_kind(&e),
                        "an information type could not be fetched"
                    );
                    answer.unavailable_types.push(*t);
                }
            }
        }

        // 6. Blocks: removed entirely; the actor learns only that something is blocked — not
        //    from whom: in a type where blocks removed records, an answering source without a
        //    record left is not listed.
        let mut before: HashMap<InformationType, usize> = HashMap::new();
        for s in &seen {
            *before.entry(s.record.information_type()).or_default() += 1;
        }
        let (shown, blocked) =
            npo_security::blocks::filter(seen, |s| &s.facts, actor, &blocks, &now);
        answer.blocked_information_exists = blocked;
        if blocked {
            let mut after: HashMap<InformationType, usize> = HashMap::new();
            let mut holding: HashSet<(InformationType, &str)> = HashSet::new();
            for s in &shown {
                let t = s.record.information_type();
                *after.entry(t).or_default() += 1;
                holding.insert((t, s.record.meta().source_system));
            }
            let blocked_in = |t: &InformationType| {
                before.get(t).copied().unwrap_or(0) != after.get(t).copied().unwrap_or(0)
            };
            answer.sources.retain(|(t, st)| {
                !blocked_in(t)
                    || st.status != StatusCode::DataFromSource
                    || holding.contains(&(*t, st.logical_address.as_str()))
            });
        }

        // 7. What the consumer delivers: exactly what is returned and logged.
        let selected: Vec<Seen> = match &req.delivery.select {
            None => shown,
            Some(select) => shown.into_iter().filter(|s| select(&s.record)).collect(),
        };
        answer.matching = selected.len();
        let delivered: Vec<Seen> = match req.delivery.latest {
            None => selected,
            Some(n) => {
                let mut keyed: Vec<(npo_riv::ItemView, Seen)> =
                    selected.into_iter().map(|s| (s.record.view(), s)).collect();
                keyed.sort_by(|a, b| overview_order(&a.0, &b.0));
                keyed.into_iter().take(n).map(|(_, s)| s).collect()
            }
        };

        // 8. The log: one entry per (type, care giver, care unit, activity) with the ids of the
        //    records delivered, durable before anything is returned.
        let mut looks: BTreeMap<LookKey, (Activity, Vec<RecordRef>)> = BTreeMap::new();
        for s in &delivered {
            let activity = match lifted(&s.facts, actor, &blocks, &now) {
                Some(emergency)
                    if emergency || (s.scope == Scope::Coherent && basis == Basis::Emergency) =>
                {
                    Activity::EmergencyBlockRevoked
                }
                Some(_) => Activity::BlockRevoked,
                None if s.scope == Scope::Coherent && basis == Basis::Emergency => {
                    Activity::Emergency
                }
                None => Activity::Read,
            };
            let m = s.record.meta();
            looks
                .entry((
                    s.facts.information_type.clone(),
                    s.facts.care_giver_hsa_id.clone(),
                    s.facts.care_unit_hsa_id.clone(),
                    activity.as_str(),
                ))
                .or_insert_with(|| (activity, Vec::new()))
                .1
                .push(RecordRef {
                    source_system_hsa_id: m.source_system.to_owned(),
                    document_id: m.document_id.to_owned(),
                });
        }
        let entries: Vec<NewEntry> = looks
            .into_iter()
            .map(
                |(
                    (information_type, care_giver_hsa_id, care_unit_hsa_id, _),
                    (activity, records),
                )| {
                    NewEntry {
                        system_hsa_id: self.cfg.system_hsa_id.clone(),
                        activity,
                        purpose: PURPOSE_CARE.into(),
                        actor: actor.clone(),
                        resource: Resource {
                            information_type,
                            patient_id: patient.into(),
                            care_giver_hsa_id,
                            care_unit_hsa_id,
                            records,
                        },
                    }
                },
            )
            .collect();
        if !entries.is_empty()
            && let Err(e) = self.log.append(entries).await
        {
            tracing::error!(error = %e, "access log unavailable: nothing is shown");
            return Err(Refusal::LogUnavailable);
        }
        answer.records = delivered.into_iter().map(|s| s.record).collect();
        Ok(answer)
    }

    /// Asks the actor's own care giver (through the platform) whether the patient is available;
    /// a yes is reused for [`AVAILABLE_PATIENT_TTL`].
    async fn available_patient(&self, actor: &Actor, patient: &str) -> Result<bool, Refusal> {
        let a = &actor.assignment;
        let key = (
            actor.person_hsa_id.clone(),
            a.care_unit_hsa_id.clone(),
            patient.to_owned(),
        );
        {
            let mut cache = self.available.lock().unwrap_or_else(|p| p.into_inner());
            cache.retain(|_, at| at.elapsed() < AVAILABLE_PATIENT_TTL);
            if cache.contains_key(&key) {
                return Ok(true);
            }
        }
        let q = AssertCareEngagement {
            performer: actor.person_hsa_id.clone(),
            subject_of_care_id: patient.to_owned(),
            care_unit_hsa_id: a.care_unit_hsa_id.clone(),
            care_giver_hsa_id: a.care_giver_hsa_id.clone(),
        };
        let env = self
            .vp
            .call(&a.care_giver_hsa_id, &q.write(), &[])
            .await
            .map_err(|e| unavailable("tillgänglig patient", &call_error_kind(&e)))?;
        let yes = AssertCareEngagementResponse::parse(&env.body)
            .map_err(|e| unavailable("tillgänglig patient", &e))?
            .has_care_engagement;
        if yes {
            self.available
                .lock()
                .unwrap_or_else(|p| p.into_inner())
                .insert(key, Instant::now());
        }
        Ok(yes)
    }

    /// One type: every contract version in parallel through the aggregating services, merged.
    /// A version the platform does not route or authorize (VP004, VP007) is skipped; any other
    /// failure makes the whole type unavailable (rather than silently missing the sources that
    /// serve only that version). Records are kept once per (source system, documentId), the
    /// newest version's copy first.
    async fn fetch(
        &self,
        t: InformationType,
        patient: &str,
        period: Option<DatePeriod>,
    ) -> Result<(Vec<Record>, ProcessingStatus), CallError> {
        let answers = join_all(
            (0..t.version_count()).map(|v| self.fetch_version(t, v, patient, period.clone())),
        )
        .await;
        let mut records = Vec::new();
        let mut statuses: Vec<ProcessingStatusRecord> = Vec::new();
        let mut seen: HashSet<(String, String)> = HashSet::new();
        let mut answered_any = false;
        let mut last_error = None;
        for answer in answers {
            let (version_records, status) = match answer {
                Ok(a) => a,
                Err(e) if not_offered_fault(&e) => {
                    last_error = Some(e);
                    continue;
                }
                Err(e) => return Err(e),
            };
            answered_any = true;
            for r in version_records {
                let m = r.meta();
                if seen.insert((m.source_system.to_owned(), m.document_id.to_owned())) {
                    records.push(r);
                }
            }
            for st in status.records {
                match statuses
                    .iter_mut()
                    .find(|s| s.logical_address == st.logical_address)
                {
                    None => statuses.push(st),
                    Some(known) => {
                        if better_status(&st, known) {
                            *known = st;
                        }
                    }
                }
            }
        }
        if !answered_any && let Some(e) = last_error {
            return Err(e);
        }
        Ok((records, ProcessingStatus { records: statuses }))
    }

    /// One contract version of a type, following `hasMore` pages source by source.
    async fn fetch_version(
        &self,
        t: InformationType,
        v: usize,
        patient: &str,
        period: Option<DatePeriod>,
    ) -> Result<(Vec<Record>, ProcessingStatus), CallError> {
        let mut q = Query::for_patient(PersonId::for_patient_id(patient));
        q.period = period;
        let env = self
            .vp
            .call(
                &self.cfg.aggregating_logical_address,
                &t.write_request(v, &q, None),
                &[],
            )
            .await?;
        let status = env
            .headers
            .iter()
            .find(|h| h.is(HEADERS_NS, "ProcessingStatus"))
            .map(ProcessingStatus::parse)
            .transpose()
            .map_err(|e| CallError::Malformed(e.to_string()))?
            .unwrap_or_default();
        let (mut records, mut more) = t
            .parse_response(v, &env.body)
            .map_err(|e| CallError::Malformed(e.to_string()))?;
        // Contracts that page: ask each source that has more directly, page by page. Only
        // sources the aggregating services reported as answering are followed, each reference
        // once, and a record is kept once: a producer cannot send the gate elsewhere or round
        // in circles.
        let answered = |la: &str| {
            status
                .records
                .iter()
                .any(|r| r.logical_address == la && r.status == StatusCode::DataFromSource)
        };
        more.retain(|m| answered(&m.logical_address));
        if more.is_empty() {
            return Ok((records, status));
        }
        let mut seen: HashSet<(String, String)> = records
            .iter()
            .map(|r| {
                let m = r.meta();
                (m.source_system.to_owned(), m.document_id.to_owned())
            })
            .collect();
        let mut visited = HashSet::new();
        let mut pages = 0;
        while let Some(m) = more.pop() {
            if !visited.insert((m.logical_address.clone(), m.reference.clone())) {
                continue;
            }
            pages += 1;
            if pages > MAX_PAGES {
                tracing::warn!(source = %m.logical_address, "too many pages: the rest is not shown");
                break;
            }
            let mut q = q.clone();
            q.source_system_id = Some(m.logical_address.clone());
            let env = self
                .vp
                .call(
                    &m.logical_address,
                    &t.write_request(v, &q, Some(&m.reference)),
                    &[],
                )
                .await?;
            let (page, next) = t
                .parse_response(v, &env.body)
                .map_err(|e| CallError::Malformed(e.to_string()))?;
            for r in page {
                let meta = r.meta();
                if meta.source_system == m.logical_address
                    && seen.insert((meta.source_system.to_owned(), meta.document_id.to_owned()))
                {
                    records.push(r);
                }
            }
            more.extend(
                next.into_iter()
                    .filter(|n| n.logical_address == m.logical_address),
            );
        }
        Ok((records, status))
    }
}

/// Whether a temporary revoke lifted a block that would otherwise hide the record from the
/// actor (`None`: no block covers it); `Some(true)` when a lifting revoke was made in an
/// emergency.
fn lifted(facts: &RecordFacts, actor: &Actor, blocks: &[Block], now: &str) -> Option<bool> {
    let mut lifted = None;
    for b in blocks
        .iter()
        .filter(|b| b.is_active() && b.is_outside(actor) && b.covers(facts))
    {
        let emergency = b
            .temporary_revokes
            .iter()
            .any(|r| r.lifts_for(actor, now) && r.reason == RevokeReason::Emergency);
        lifted = Some(lifted.unwrap_or(false) || emergency);
    }
    lifted
}

/// A platform fault saying the version is not offered for that address: not routed (VP004) or
/// not authorized (VP007).
fn not_offered_fault(e: &CallError) -> bool {
    matches!(e, CallError::Fault(f) if not_offered_code(&f.string))
}

fn not_offered_code(s: &str) -> bool {
    s.starts_with("VP004") || s.starts_with("VP007")
}

/// Whether `new` says more of a source than `known` (the status through another version): an
/// answer beats a failure, and a real failure beats "not routed / not authorized for this
/// version".
fn better_status(new: &ProcessingStatusRecord, known: &ProcessingStatusRecord) -> bool {
    let rank = |s: &ProcessingStatusRecord| {
        if s.status == StatusCode::DataFromSource {
            2
        } else if s.error.as_ref().is_some_and(|e| not_offered_code(&e.code)) {
            0
        } else {
            1
        }
    };
    rank(new) > rank(known)
}

/// At most this many follow-up pages are fetched per information type and overview.
pub const MAX_PAGES: usize = 200;

/// What went wrong in a platform call, without the text other systems wrote (a fault string may
/// hold personal data; it never reaches the log).
fn call_error_kind(e: &CallError) -> String {
    match e {
        CallError::Timeout => "timeout".into(),
        CallError::Connect => "connection failed".into(),
        CallError::Http(status) => format!("HTTP {status}"),
        CallError::Fault(f) => format!("SOAP fault {}", f.code),
        CallError::Malformed(_) => "malformed response".into(),
    }
}

/// A personal temporary revoke: the actor, at the unit they act for.
fn personal_revoke(actor: &Actor) -> RevokeFor {
    RevokeFor::Employee {
        person_hsa_id: actor.person_hsa_id.clone(),
        care_unit_hsa_id: actor.assignment.care_unit_hsa_id.clone(),
    }
}

fn consent_refusal(what: &'static str, e: ConsentError) -> Refusal {
    match e {
        ConsentError::Store(_) => not_saved(what, &e),
        ConsentError::NotFound => Refusal::NotFound("consent"),
        e @ ConsentError::AlreadyEnded => Refusal::AlreadyEnded(e.to_string()),
        ConsentError::PatientId => Refusal::InvalidPatient,
        e => Refusal::Invalid(e.to_string()),
    }
}

fn block_refusal(what: &'static str, e: BlockError) -> Refusal {
    match e {
        BlockError::Store(_) | BlockError::Corrupt => not_saved(what, &e),
        BlockError::NotFound => Refusal::NotFound("block"),
        e @ BlockError::AlreadyEnded => Refusal::AlreadyEnded(e.to_string()),
        BlockError::PatientId => Refusal::InvalidPatient,
        e => Refusal::Invalid(e.to_string()),
    }
}

fn relation_refusal(what: &'static str, e: RelationError) -> Refusal {
    match e {
        RelationError::Store(_) => not_saved(what, &e),
        RelationError::NotFound => Refusal::NotFound("active relation"),
        RelationError::PatientId => Refusal::InvalidPatient,
        e => Refusal::Invalid(e.to_string()),
    }
}

fn not_saved(what: &'static str, e: &dyn std::fmt::Display) -> Refusal {
    tracing::error!(registration = what, error = %e, "a registration could not be saved");
    Refusal::NotSaved(what)
}

fn unavailable(what: &'static str, e: &dyn std::fmt::Display) -> Refusal {
    tracing::error!(check = what, error = %e, "a PDL check could not be made: nothing is shown");
    Refusal::CheckUnavailable(what)
}
