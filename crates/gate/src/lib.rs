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
//! then fetches through the aggregating services, drops records without care unit and care giver,
//! applies the scope rules and the patient's **blocks**, and **logs** one entry per record
//! shown — durably, before anything is returned. If any check or the log cannot be made,
//! nothing is shown (fail closed).

mod types;

pub use types::{InformationType, Record};

use futures::future::join_all;
use npo_riv::accesscontrol::{AssertCareEngagement, AssertCareEngagementResponse};
use npo_riv::common::{DatePeriod, PersonId, Query};
use npo_riv::headers::{HEADERS_NS, ProcessingStatus, ProcessingStatusRecord, StatusCode};
use npo_router::{CallError, VpClient};
use npo_security::access_log::{AccessLog, Activity, NewEntry, Resource};
use npo_security::blocks::{
    Block, BlockError, BlockKind, BlockStore, NewBlock, RevokeFor, RevokeReason, TemporaryRevoke,
};
use npo_security::consent::{Consent, ConsentError, ConsentKind, ConsentStore, NewConsent};
use npo_security::directory::DirectoryStore;
use npo_security::relation::{Relation, RelationError, RelationStore};
use npo_security::{Actor, PURPOSE_CARE, RecordFacts, Scope};
use serde::{Deserialize, Serialize};
use std::collections::{HashMap, HashSet};
use std::sync::Mutex;
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
}

/// On what grounds other care givers' records were shown.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum Basis {
    /// No consent or emergency access: only the own care giver's records.
    OwnCareGiverOnly,
    Consent,
    Emergency,
}

/// What the actor may see.
#[derive(Clone, Debug)]
pub struct ReadAnswer {
    pub records: Vec<Record>,
    /// One entry per source system and type asked.
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
        let checked = self.preconditions(actor, patient, &[]).await?;
        Ok(checked.basis)
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

        // 6. Blocks: removed entirely; the actor learns only that something is blocked.
        let (shown, blocked) =
            npo_security::blocks::filter(seen, |s| &s.facts, actor, &blocks, &now);
        answer.blocked_information_exists = blocked;
        let unlifted: Vec<Block> = blocks
            .iter()
            .cloned()
            .map(|mut b| {
                b.temporary_revokes.clear();
                b
            })
            .collect();

        // 7. The log: one entry per record shown, durable before anything is returned.
        let entries: Vec<NewEntry> = shown
            .iter()
            .map(|s| NewEntry {
                system_hsa_id: self.cfg.system_hsa_id.clone(),
                activity: if npo_security::blocks::is_blocked(&s.facts, actor, &unlifted, &now) {
                    Activity::BlockRevoked
                } else if s.scope == Scope::Coherent && basis == Basis::Emergency {
                    Activity::Emergency
                } else {
                    Activity::Read
                },
                purpose: PURPOSE_CARE.into(),
                actor: actor.clone(),
                resource: Resource {
                    information_type: s.facts.information_type.clone(),
                    patient_id: patient.into(),
                    care_giver_hsa_id: s.facts.care_giver_hsa_id.clone(),
                    care_unit_hsa_id: s.facts.care_unit_hsa_id.clone(),
                },
            })
            .collect();
        if !entries.is_empty()
            && let Err(e) = self.log.append(entries).await
        {
            tracing::error!(error = %e, "access log unavailable: nothing is shown");
            return Err(Refusal::LogUnavailable);
        }
        answer.records = shown.into_iter().map(|s| s.record).collect();
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

    async fn fetch(
        &self,
        t: InformationType,
        patient: &str,
        period: Option<DatePeriod>,
    ) -> Result<(Vec<Record>, ProcessingStatus), CallError> {
        let mut q = Query::for_patient(PersonId::for_patient_id(patient));
        q.period = period;
        let env = self
            .vp
            .call(
                &self.cfg.aggregating_logical_address,
                &t.write_request(&q, None),
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
            .parse_response(&env.body)
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
                    &t.write_request(&q, Some(&m.reference)),
                    &[],
                )
                .await?;
            let (page, next) = t
                .parse_response(&env.body)
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
