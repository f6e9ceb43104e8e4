//! Checks every generator's tests share: generated records are valid messages (official XSDs,
//! via xmllint) and keep the rules every record must keep.

use crate::generate::Sink;
use crate::population;
use npo_riv::xml::{self, Limits};
use npo_riv::{Contract, Response, ids, xsd};
use std::any::Any;
use std::collections::HashSet;

/// A sink that keeps the records of contract `C` only.
pub struct Collect<C: Contract> {
    pub items: Vec<C::Item>,
}

impl<C: Contract> Default for Collect<C> {
    fn default() -> Self {
        Collect { items: Vec::new() }
    }
}

impl<C: Contract> Sink for Collect<C> {
    type Error = std::convert::Infallible;
    fn put<D: Contract>(&mut self, items: Vec<D::Item>) -> Result<(), Self::Error> {
        if D::NAMESPACE == C::NAMESPACE {
            let any: Box<dyn Any> = Box::new(items);
            if let Ok(mine) = any.downcast::<Vec<C::Item>>() {
                self.items.extend(*mine);
            }
        }
        Ok(())
    }
}

/// Generates `patients` patients of [`population::example`], keeps contract `C`'s records and
/// checks them: every record validates against the contract's XSD and reads back unchanged, has a
/// unique document id, a valid patient identity of its patient, a source system of the
/// population, and times in `YYYYMMDDhhmmss` not after the reference day. Panics with the
/// offending XML otherwise. Returns the records for the caller's own assertions.
pub fn generated<C: Contract>(patients: u64) -> Vec<C::Item> {
    let pop = population::example();
    let mut sink = Collect::<C>::default();
    let mut ids_seen = HashSet::new();
    let today_end = format!("{}235959", pop.today.format("%Y%m%d"));
    for i in 0..patients {
        let before = sink.items.len();
        let Ok(patient) = pop.emit(i, &mut sink);
        for item in &sink.items[before..] {
            let m = C::meta(item);
            assert_eq!(m.patient_id.id, patient.id, "record of another patient");
            assert!(ids::is_valid_personal_identity(&m.patient_id.id));
            assert!(
                pop.sites.iter().any(|s| s.source_system == m.source_system),
                "unknown source system {}",
                m.source_system
            );
            assert!(
                ids_seen.insert(m.document_id.to_owned()),
                "duplicate documentId {}",
                m.document_id
            );
            for t in [m.registration_time, C::filter_time(item)] {
                assert!(npo_riv::common::is_timestamp(t), "bad time {t}");
                assert!(t <= today_end.as_str(), "time {t} after the reference day");
            }
        }
    }
    for chunk in sink.items.chunks(400) {
        let resp = Response::new(chunk.to_vec(), None);
        let written = C::write_response(&resp);
        let el = xml::parse(written.as_bytes(), &Limits::default())
            .unwrap_or_else(|e| panic!("generated {} does not parse: {e}", C::NAME));
        if let Err(e) = xsd::validate_element(&el) {
            panic!("generated {} is invalid: {e}\n{written}", C::NAME);
        }
        let back = C::parse_response(&el).expect("generated response parses");
        assert!(
            back == resp,
            "generated {} does not read back unchanged",
            C::NAME
        );
    }
    sink.items
}
