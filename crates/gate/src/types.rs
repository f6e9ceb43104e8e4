//! The information types the gate shows, and their records. Each type is fetched through every
//! version of its contract npo implements, newest first (many producers still serve an older
//! version only); records are kept typed behind a small object-safe interface, so the gate and
//! its consumers never match on contracts.

use npo_riv::ContractError;
use npo_riv::common::{ItemMeta, Query};
use npo_riv::contract::{Contract, HasMore, ItemView};
use npo_riv::contracts::{
    GetAlertInformationV2, GetCareContactsV2, GetCareContactsV3, GetCareDocumentationV2,
    GetCareDocumentationV3, GetCarePlansV2, GetDiagnosisV2, GetECGOutcomeV1, GetFunctionalStatusV2,
    GetImagingOutcomeV1, GetLaboratoryOrderOutcomeV3, GetLaboratoryOrderOutcomeV4,
    GetMaternityMedicalHistoryV2, GetMedicationHistoryV2, GetObservationsV1, GetReferralOutcomeV3,
    GetRequestActivitiesV2, GetVaccinationHistoryV2,
};
use npo_riv::xml::Element;
use npo_security::RecordFacts;
use serde::{Deserialize, Serialize};
use std::fmt::Debug;
use std::marker::PhantomData;
use std::sync::Arc;

/// Declares the information types: variant, contract versions (newest first), PDL code, URL key
/// and Swedish name, in overview order.
macro_rules! information_types {
    ($($variant:ident => [$($contract:ty),+], $code:literal, $key:literal, $name:literal;)*) => {
        /// An information type of the overview.
        #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
        pub enum InformationType {
            $($variant,)*
        }

        impl InformationType {
            pub const ALL: &'static [InformationType] = &[$(InformationType::$variant,)*];

            /// The contract versions the type is fetched with, newest first.
            fn versions(self) -> &'static [&'static dyn ContractOps] {
                match self {
                    $(InformationType::$variant => {
                        const VERSIONS: &[&dyn ContractOps] = &[$(&Ops::<$contract>(PhantomData)),+];
                        VERSIONS
                    })*
                }
            }

            /// The PDL information type code used in rights, blocks and the log: the
            /// contract's engagement-index categorization, except `lak` for medications (the
            /// code blocks exclude).
            pub fn code(self) -> &'static str {
                match self {
                    $(InformationType::$variant => $code,)*
                }
            }

            /// A stable key for URLs and forms, e.g. `diagnoser`.
            pub fn key(self) -> &'static str {
                match self {
                    $(InformationType::$variant => $key,)*
                }
            }

            /// The Swedish name, e.g. `Diagnoser`.
            pub fn name(self) -> &'static str {
                match self {
                    $(InformationType::$variant => $name,)*
                }
            }
        }
    };
}

// Every version npo implements is read, newest first, and the items merged (the newest
// version's copy of a record wins). The exception: GetRequestActivities 1.0 carries no care
// giver (nor care unit) in its items, and records without both are never shown to clinicians,
// so only 2.0 is read.
information_types! {
    Alert => [GetAlertInformationV2], "upp", "uppmarksamhet", "Uppmärksamhetsinformation";
    Diagnosis => [GetDiagnosisV2], "dia", "diagnoser", "Diagnoser";
    Medication => [GetMedicationHistoryV2], "lak", "lakemedel", "Läkemedel";
    Laboratory => [GetLaboratoryOrderOutcomeV4, GetLaboratoryOrderOutcomeV3], "und-kkm-ure", "lab", "Laboratoriesvar";
    CareDocumentation => [GetCareDocumentationV3, GetCareDocumentationV2], "voo", "anteckningar", "Journalanteckningar";
    CareContact => [GetCareContactsV3, GetCareContactsV2], "vko", "vardkontakter", "Vårdkontakter";
    Vaccination => [GetVaccinationHistoryV2], "caa-gvh", "vaccinationer", "Vaccinationer";
    FunctionalStatus => [GetFunctionalStatusV2], "fun-fun", "funktionstillstand", "Funktionstillstånd och ADL";
    CarePlan => [GetCarePlansV2], "cll-cp", "vardplaner", "Vårdplaner";
    Imaging => [GetImagingOutcomeV1], "und-bdi-ure", "bild", "Bilddiagnostik";
    Ecg => [GetECGOutcomeV1], "und-ekg-ure", "ekg", "EKG";
    ReferralOutcome => [GetReferralOutcomeV3], "und-kon-ure", "konsultationssvar", "Konsultationssvar";
    Observation => [GetObservationsV1], "chb-o", "tillvaxt", "Tillväxt och mätvärden";
    Maternity => [GetMaternityMedicalHistoryV2], "utr-mtr", "modrahalsovard", "Mödrahälsovård";
    RequestActivity => [GetRequestActivitiesV2], "req-act", "remisstatus", "Remisstatus";
}

impl InformationType {
    pub fn from_key(key: &str) -> Option<InformationType> {
        Self::ALL.iter().copied().find(|t| t.key() == key)
    }

    /// The namespace of the newest contract the type is fetched with.
    pub fn contract_namespace(self) -> &'static str {
        self.versions()[0].namespace()
    }

    /// The namespaces of every contract version the type is fetched with, newest first.
    pub fn contract_namespaces(self) -> Vec<&'static str> {
        self.versions().iter().map(|v| v.namespace()).collect()
    }

    /// How many contract versions the type is fetched with.
    pub(crate) fn version_count(self) -> usize {
        self.versions().len()
    }

    /// A request of version `v` (0 = newest).
    pub(crate) fn write_request(self, v: usize, q: &Query, page_reference: Option<&str>) -> String {
        self.versions()[v].write_request(q, page_reference)
    }

    pub(crate) fn parse_response(
        self,
        v: usize,
        body: &Element,
    ) -> Result<(Vec<Record>, Vec<HasMore>), ContractError> {
        self.versions()[v].parse_response(self, body)
    }
}

/// What the gate needs of a contract, without its types.
trait ContractOps: Send + Sync {
    fn namespace(&self) -> &'static str;
    fn write_request(&self, q: &Query, page_reference: Option<&str>) -> String;
    fn parse_response(
        &self,
        t: InformationType,
        body: &Element,
    ) -> Result<(Vec<Record>, Vec<HasMore>), ContractError>;
}

struct Ops<C>(PhantomData<fn() -> C>);

impl<C: Contract> ContractOps for Ops<C> {
    fn namespace(&self) -> &'static str {
        C::NAMESPACE
    }
    fn write_request(&self, q: &Query, page_reference: Option<&str>) -> String {
        let mut req = C::Request::from(q.clone());
        if let Some(r) = page_reference {
            C::set_page_reference(&mut req, r);
        }
        C::write_request(&req)
    }
    fn parse_response(
        &self,
        t: InformationType,
        body: &Element,
    ) -> Result<(Vec<Record>, Vec<HasMore>), ContractError> {
        let resp = C::parse_response(body)?;
        let records = resp
            .items
            .into_iter()
            .map(|i| Record {
                information_type: t,
                item: Arc::new(Typed::<C>(i)),
            })
            .collect();
        Ok((records, resp.has_more))
    }
}

/// A typed item behind the object-safe interface.
trait AnyItem: Debug + Send + Sync {
    fn meta(&self) -> ItemMeta<'_>;
    fn view(&self) -> ItemView;
    fn to_json(&self) -> serde_json::Value;
    fn as_any(&self) -> &dyn std::any::Any;
}

struct Typed<C: Contract>(C::Item);

impl<C: Contract> Debug for Typed<C> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        self.0.fmt(f)
    }
}

impl<C: Contract> AnyItem for Typed<C> {
    fn meta(&self) -> ItemMeta<'_> {
        C::meta(&self.0)
    }
    fn view(&self) -> ItemView {
        C::view(&self.0)
    }
    fn to_json(&self) -> serde_json::Value {
        // Items are plain data (strings, numbers, options, vectors): serialising cannot fail;
        // `Null` would only show an empty record.
        serde_json::to_value(&self.0).unwrap_or(serde_json::Value::Null)
    }
    fn as_any(&self) -> &dyn std::any::Any {
        &self.0
    }
}

/// One record shown by the gate.
#[derive(Clone, Debug)]
pub struct Record {
    information_type: InformationType,
    item: Arc<dyn AnyItem>,
}

/// The facts of a record that has a care unit and a care giver.
pub(crate) struct Facts<'a> {
    meta: ItemMeta<'a>,
    information_type: &'static str,
    care_unit: &'a str,
    care_giver: &'a str,
}

impl Facts<'_> {
    pub(crate) fn patient_id_mismatch(&self, patient: &str) -> bool {
        self.meta.patient_id.id != patient
    }

    pub(crate) fn into_facts(self) -> RecordFacts {
        RecordFacts {
            information_type: self.information_type.into(),
            care_giver_hsa_id: self.care_giver.into(),
            care_unit_hsa_id: self.care_unit.into(),
            registration_time: self.meta.registration_time.into(),
        }
    }
}

impl Record {
    pub fn information_type(&self) -> InformationType {
        self.information_type
    }

    pub fn meta(&self) -> ItemMeta<'_> {
        self.item.meta()
    }

    /// How the record is shown (Swedish).
    pub fn view(&self) -> ItemView {
        self.item.view()
    }

    /// The whole typed record as JSON (for the third-party API).
    pub fn to_json(&self) -> serde_json::Value {
        self.item.to_json()
    }

    /// The typed item, if the record is of contract `C`.
    pub fn item<C: Contract>(&self) -> Option<&C::Item> {
        self.item.as_any().downcast_ref::<C::Item>()
    }

    /// `None` for records without care unit or care giver: those are never shown.
    pub(crate) fn facts(&self) -> Option<Facts<'_>> {
        let meta = self.meta();
        let care_unit = meta.care_unit.filter(|s| !s.is_empty())?;
        let care_giver = meta.care_giver.filter(|s| !s.is_empty())?;
        Some(Facts {
            meta,
            information_type: self.information_type().code(),
            care_unit,
            care_giver,
        })
    }
}
