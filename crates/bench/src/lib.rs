//! Shared by the benchmark binaries.

use npo::demo;
use npo_source::{CareUnit, SourceConfig};

/// The `i`th fictitious source system of a load benchmark: its own care giver with one unit,
/// reachable only through the router.
pub fn source(i: usize) -> SourceConfig {
    SourceConfig {
        hsa_id: format!("SE2321000016-B{i:03}"),
        name: format!("Lasttestsystem {i}"),
        care_giver_hsa_id: format!("SE2321000016-G{i:03}"),
        care_giver_name: format!("Lasttestvårdgivare {i}"),
        data_controller: "2321000016".into(),
        care_units: vec![CareUnit {
            hsa_id: format!("SE2321000016-E{i:03}"),
            name: format!("Lasttestmottagningen {i}"),
        }],
        ei_logical_address: demo::EI_HSA_ID.into(),
        allowed_callers: vec![demo::ROUTER_HSA_ID.into()],
        admin_hsa_ids: vec![demo::ADMIN_HSA_ID.into()],
        answer_delay_ms: 0,
    }
}
