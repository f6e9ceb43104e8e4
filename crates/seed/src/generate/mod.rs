//! One generator per information type. Each has `emit`, which makes the patient's records of its
//! contract(s) from a [`Ctx`] and hands them to the [`Sink`]. A contract with two versions is
//! generated from one story, so both versions of a source system tell the same thing.

use crate::codes::Row;
use crate::ctx::{Ctx, Site};
use crate::people::Patient;
use crate::rng::Rng;
use chrono::NaiveDate;
use npo_riv::Contract;

pub mod alert;
pub mod care_contact;
pub mod care_documentation;
pub mod care_plan;
pub mod diagnosis;
pub mod ecg;
pub mod functional_status;
pub mod imaging;
pub mod laboratory;
pub mod maternity;
pub mod medication;
pub mod observation;
pub mod referral_outcome;
pub mod request_activity;
pub mod vaccination;

/// Where generated records go (a source system's store, a file, a counter).
pub trait Sink {
    type Error;
    /// Takes the records of contract `C` of one patient.
    fn put<C: Contract>(&mut self, items: Vec<C::Item>) -> Result<(), Self::Error>;
}

/// Everything about one patient that every generator shares.
pub struct Env<'a> {
    pub seed: u64,
    pub patient: &'a Patient,
    pub sites: &'a [Site],
    pub today: NaiveDate,
    pub conditions: &'a [&'static Row],
}

impl<'a> Env<'a> {
    /// The context for one information type: its own random stream, and document ids
    /// prefixed with `label` (use the engagement-index categorization).
    pub fn ctx(&self, label: &'static str) -> Ctx<'a> {
        Ctx::new(
            Rng::derive(self.seed, &format!("{}:{label}", self.patient.id)),
            self.patient,
            self.sites,
            self.today,
            self.conditions,
            label,
        )
    }
}

/// Every generator, in a fixed order.
pub fn emit_all<S: Sink>(env: &Env<'_>, sink: &mut S) -> Result<(), S::Error> {
    diagnosis::emit(env, sink)?;
    care_documentation::emit(env, sink)?;
    medication::emit(env, sink)?;
    vaccination::emit(env, sink)?;
    laboratory::emit(env, sink)?;
    imaging::emit(env, sink)?;
    ecg::emit(env, sink)?;
    referral_outcome::emit(env, sink)?;
    alert::emit(env, sink)?;
    functional_status::emit(env, sink)?;
    care_plan::emit(env, sink)?;
    care_contact::emit(env, sink)?;
    observation::emit(env, sink)?;
    maternity::emit(env, sink)?;
    request_activity::emit(env, sink)?;
    Ok(())
}
