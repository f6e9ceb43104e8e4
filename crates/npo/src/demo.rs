//! The demo federation's cast: care givers with their source systems and units, patients, and
//! the platform's own systems.

use npo_riv::ids::luhn_check_digit;
use npo_source::{CareUnit, SourceConfig};

/// The platform's organisation number (Inera's) and its systems' HSA-ids.
pub const ROUTER_HSA_ID: &str = "SE5565594230-VP";
pub const EI_HSA_ID: &str = "SE5565594230-EI";
pub const AGP_HSA_ID: &str = "SE5565594230-AGP";
/// The demo consumer system (what a clinician app or third-party app presents).
pub const CONSUMER_HSA_ID: &str = "SE5565594230-DEMO";
/// The system allowed to change the demo source systems' records.
pub const ADMIN_HSA_ID: &str = "SE5565594230-ADMIN";

fn unit(hsa_id: &str, name: &str) -> CareUnit {
    CareUnit {
        hsa_id: hsa_id.into(),
        name: name.into(),
    }
}

fn source(
    hsa_id: &str,
    name: &str,
    care_giver: (&str, &str),
    data_controller: &str,
    units: Vec<CareUnit>,
) -> SourceConfig {
    SourceConfig {
        hsa_id: hsa_id.into(),
        name: name.into(),
        care_giver_hsa_id: care_giver.0.into(),
        care_giver_name: care_giver.1.into(),
        data_controller: data_controller.into(),
        care_units: units,
        ei_logical_address: EI_HSA_ID.into(),
        allowed_callers: vec![ROUTER_HSA_ID.into()],
        admin_hsa_ids: vec![ADMIN_HSA_ID.into()],
        answer_delay_ms: 0,
    }
}

/// Three care givers of different kinds: a region, a municipality and a private provider.
pub fn sources() -> Vec<SourceConfig> {
    vec![
        source(
            "SE2321000016-S001",
            "Journalsystem Region Stockholm",
            ("SE2321000016-7P5T", "Region Stockholm"),
            "2321000016",
            vec![
                unit("SE2321000016-A1B2", "Vårdcentralen Salem"),
                unit("SE2321000016-C3D4", "Akutmottagningen, Södersjukhuset"),
                unit(
                    "SE2321000016-E5F6",
                    "Kardiologiska kliniken, Danderyds sjukhus",
                ),
            ],
        ),
        source(
            "SE2120003140-S001",
            "Omsorgssystem Uppsala kommun",
            ("SE2120003140-K001", "Uppsala kommun"),
            "2120003140",
            vec![
                unit("SE2120003140-H001", "Hemsjukvården Uppsala"),
                unit("SE2120003140-B002", "Vård- och omsorgsboendet Linnégården"),
            ],
        ),
        source(
            "SE5592468135-S001",
            "Journalsystem Vårdbolaget Norr AB",
            ("SE5592468135-V001", "Vårdbolaget Norr AB"),
            "5592468135",
            vec![unit("SE5592468135-M001", "Läkarhuset Norr")],
        ),
    ]
}

/// A valid personnummer from a birth date `YYYYMMDD` and a three-digit birth number.
pub fn personnummer(date: &str, birth_number: u16) -> String {
    let serial = format!("{birth_number:03}");
    let digits: Vec<u8> = date[2..]
        .bytes()
        .chain(serial.bytes())
        .map(|b| b - b'0')
        .collect();
    let mut nine = [0u8; 9];
    nine.copy_from_slice(&digits[..9]);
    format!("{date}{serial}{}", luhn_check_digit(&nine))
}

/// Tolvan Tolvansson (191212121212) and `n - 1` more demo patients, newborn to 100 years.
pub fn patients(n: usize) -> Vec<String> {
    let mut out = vec!["191212121212".to_owned()];
    for i in 1..n {
        let year = 1926 + (i * 37) % 100;
        let month = 1 + (i * 5) % 12;
        let day = 1 + (i * 11) % 28;
        out.push(personnummer(
            &format!("{year}{month:02}{day:02}"),
            (100 + i * 7 % 900) as u16,
        ));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use npo_riv::ids::is_valid_personal_identity;

    #[test]
    fn demo_patients_are_valid_and_distinct() {
        let p = patients(50);
        assert!(p.iter().all(|id| is_valid_personal_identity(id)), "{p:?}");
        let mut d = p.clone();
        d.sort();
        d.dedup();
        assert_eq!(d.len(), p.len());
    }
}
