//! What a period filter keeps: records registered in the period, and for diagnoses and
//! medications also what goes on today whatever the period — a chronic condition diagnosed
//! years ago, a prescription active now.

use npo_gate::{InformationType, Record};
use npo_riv::Contract;
use npo_riv::common::DatePeriod;
use npo_riv::contracts::medication_history_v2::{MedicationMedicalRecord, PrescriptionStatus};
use npo_riv::contracts::{GetDiagnosisV2, GetMedicationHistoryV2};

/// Whether a record read without the period is shown for `period` (`today` as `YYYYMMDD`).
/// Types read with the period (everything else) are kept as the sources answered.
pub fn shown_in_period(r: &Record, period: &DatePeriod, today: &str) -> bool {
    match r.information_type() {
        InformationType::Diagnosis => match r.item::<GetDiagnosisV2>() {
            Some(d) => {
                period.contains(GetDiagnosisV2::filter_time(d)) || d.body.chronic == Some(true)
            }
            None => false,
        },
        InformationType::Medication => match r.item::<GetMedicationHistoryV2>() {
            Some(m) => {
                period.contains(GetMedicationHistoryV2::filter_time(m)) || is_current(m, today)
            }
            None => false,
        },
        _ => true,
    }
}

/// A prescription is current if it is active and today is within its treatment (no end: still
/// going).
pub fn is_current(m: &MedicationMedicalRecord, today: &str) -> bool {
    let p = &m.body.prescription;
    let day = |t: &str| t.get(..8).unwrap_or(t).to_owned();
    p.status == PrescriptionStatus::Active
        && p.start_of_treatment
            .as_deref()
            .is_none_or(|s| day(s).as_str() <= today)
        && p.end_of_treatment
            .as_deref()
            .is_none_or(|e| day(e).as_str() >= today)
}
