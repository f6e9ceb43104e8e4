//! Identifiers of the Swedish health-care domain.

/// An HSA-id: `SE` + a 10 or 12 digit organisation number + `-` + `[A-Za-z0-9]+`, at most 31
/// characters (so no å, ä or ö).
pub fn is_hsa_id(s: &str) -> bool {
    if s.len() > 31 || !s.starts_with("SE") {
        return false;
    }
    let Some((org, local)) = s[2..].split_once('-') else {
        return false;
    };
    (org.len() == 10 || org.len() == 12)
        && org.bytes().all(|b| b.is_ascii_digit())
        && !local.is_empty()
        && local.bytes().all(|b| b.is_ascii_alphanumeric())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hsa_ids() {
        assert!(is_hsa_id("SE2321000016-A1B2"));
        assert!(is_hsa_id("SE162321000255-O12345"));
        assert!(!is_hsa_id("SE2321000016"));
        assert!(!is_hsa_id("SE232100001-A"));
        assert!(!is_hsa_id("SE2321000016-Å"));
        assert!(!is_hsa_id("SE2321000016-A-B"));
        assert!(!is_hsa_id("SE2321000016-ABCDEFGHIJKLMNOPQRSTU"));
        assert!(!is_hsa_id("se2321000016-A"));
    }
}

/// A patient id as npo takes it: 12 digits, no separator (personnummer, samordningsnummer or a
/// reservnummer; use [`is_valid_personal_identity`] to also check the date and check digit).
pub fn is_patient_id(s: &str) -> bool {
    s.len() == 12 && s.bytes().all(|b| b.is_ascii_digit())
}

/// The Luhn check digit of the nine digits `YYMMDDNNN` of a personnummer.
pub fn luhn_check_digit(nine: &[u8; 9]) -> u8 {
    let sum: u32 = nine
        .iter()
        .enumerate()
        .map(|(i, d)| {
            let v = u32::from(*d) * if i % 2 == 0 { 2 } else { 1 };
            v / 10 + v % 10
        })
        .sum();
    ((10 - sum % 10) % 10) as u8
}

/// A 12-digit personnummer or samordningsnummer (day + 60) with a valid check digit and a
/// real birth date (`YYYYMMDD`, day + 60 for a samordningsnummer). The one check for every
/// patient id that enters npo from outside (`000000000000`, a bad check digit or 30 February
/// are refused).
pub fn is_valid_personal_identity(id: &str) -> bool {
    let b = id.as_bytes();
    if b.len() != 12 || !b.iter().all(u8::is_ascii_digit) {
        return false;
    }
    let d: Vec<u8> = b.iter().map(|c| c - b'0').collect();
    let year =
        i32::from(d[0]) * 1000 + i32::from(d[1]) * 100 + i32::from(d[2]) * 10 + i32::from(d[3]);
    let month = u32::from(d[4] * 10 + d[5]);
    let mut day = u32::from(d[6] * 10 + d[7]);
    if day > 60 {
        day -= 60;
    }
    if chrono::NaiveDate::from_ymd_opt(year, month, day).is_none() {
        return false;
    }
    let nine: [u8; 9] = [d[2], d[3], d[4], d[5], d[6], d[7], d[8], d[9], d[10]];
    luhn_check_digit(&nine) == d[11]
}

#[cfg(test)]
mod luhn_tests {
    use super::*;

    #[test]
    fn known_test_personnummer() {
        assert!(is_valid_personal_identity("191212121212"));
        assert!(!is_valid_personal_identity("191212121213"));
        assert!(!is_valid_personal_identity("19121212121"));
        assert!(!is_valid_personal_identity("191213121212"));
        // Samordningsnummer: day + 60.
        let nine = [1, 2, 1, 2, 7, 2, 1, 2, 1];
        let id = format!("19121272121{}", luhn_check_digit(&nine));
        assert!(is_valid_personal_identity(&id), "{id}");
        // No real date, whatever the check digit.
        assert!(!is_valid_personal_identity("000000000000"));
        let feb30 = [9, 0, 0, 2, 3, 0, 1, 2, 3];
        let id = format!("19900230123{}", luhn_check_digit(&feb30));
        assert!(!is_valid_personal_identity(&id), "{id}");
        let feb29 = [0, 0, 0, 2, 2, 9, 1, 2, 3];
        let id = format!("20000229123{}", luhn_check_digit(&feb29));
        assert!(is_valid_personal_identity(&id), "{id}");
    }
}

/// Why a patient id cannot be used to find a patient's records. The messages name the kind of
/// problem (in Swedish, for the consumer) and never repeat the id.
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
pub enum PatientIdProblem {
    /// Not 12 digits with a valid date and check digit (`19121212-1212`, `abc`).
    #[error(
        "Ogiltig begäran: patientens id har fel format (ett personnummer eller \
         samordningsnummer är 12 siffror, ÅÅÅÅMMDDNNNK, med giltig kontrollsiffra)"
    )]
    Format,
    /// The id type (OID) is neither personnummer nor samordningsnummer.
    #[error(
        "Ogiltig begäran: patientens id-typ stöds inte (endast personnummer \
         1.2.752.129.2.1.3.1 och samordningsnummer 1.2.752.129.2.1.3.3)"
    )]
    UnknownType,
    /// A samordningsnummer under the personnummer OID, or the other way round.
    #[error(
        "Ogiltig begäran: patientens id stämmer inte med id-typen (ett samordningsnummer har \
         dag + 60 och typen 1.2.752.129.2.1.3.3, ett personnummer typen 1.2.752.129.2.1.3.1)"
    )]
    TypeMismatch,
}

/// Checks a patient id and its type (OID, DOMAIN.md §1): a personnummer under
/// `1.2.752.129.2.1.3.1` or a samordningsnummer (day + 60) under `1.2.752.129.2.1.3.3`, 12
/// digits with a valid date and Luhn check digit. Reservnummer (local OIDs) are refused: the
/// engagement index does not hold them, so nothing could be found for them.
pub fn check_patient_id(id: &str, oid: &str) -> Result<(), PatientIdProblem> {
    use crate::common::{OID_PERSONNUMMER, OID_SAMORDNINGSNUMMER};
    if !is_valid_personal_identity(id) {
        return Err(PatientIdProblem::Format);
    }
    // Valid, so the day is 01–31 (personnummer) or 61–91 (samordningsnummer).
    let samordning = id.as_bytes()[6] >= b'6';
    match oid.trim() {
        OID_PERSONNUMMER if !samordning => Ok(()),
        OID_SAMORDNINGSNUMMER if samordning => Ok(()),
        OID_PERSONNUMMER | OID_SAMORDNINGSNUMMER => Err(PatientIdProblem::TypeMismatch),
        _ => Err(PatientIdProblem::UnknownType),
    }
}

#[cfg(test)]
mod patient_id_tests {
    use super::*;
    use crate::common::{OID_PERSONNUMMER as PNR, OID_SAMORDNINGSNUMMER as SAM};

    #[test]
    fn checks_format_and_type() {
        let nine = [1, 2, 1, 2, 7, 2, 1, 2, 1];
        let samordning = format!("19121272121{}", luhn_check_digit(&nine));
        assert_eq!(check_patient_id("191212121212", PNR), Ok(()));
        assert_eq!(check_patient_id(&samordning, SAM), Ok(()));
        for bad in ["19121212-1212", "abc", "", "191212121213", "191213121212"] {
            assert_eq!(
                check_patient_id(bad, PNR),
                Err(PatientIdProblem::Format),
                "{bad}"
            );
        }
        assert_eq!(
            check_patient_id("191212121212", "1.2.752.129.2.1.3.99"),
            Err(PatientIdProblem::UnknownType)
        );
        assert_eq!(
            check_patient_id("191212121212", SAM),
            Err(PatientIdProblem::TypeMismatch)
        );
        assert_eq!(
            check_patient_id(&samordning, PNR),
            Err(PatientIdProblem::TypeMismatch)
        );
        for p in [
            PatientIdProblem::Format,
            PatientIdProblem::UnknownType,
            PatientIdProblem::TypeMismatch,
        ] {
            assert!(!p.to_string().contains("1912"));
        }
    }
}
