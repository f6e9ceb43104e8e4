//! Synthetic people: valid personnummer and samordningsnummer, birth dates from newborn to 100.

use crate::codes;
use crate::rng::Rng;
use chrono::{Datelike, Duration, NaiveDate};
use npo_riv::common::{OID_PERSONNUMMER, OID_SAMORDNINGSNUMMER, PersonId};
use npo_riv::ids::luhn_check_digit;
use serde::Serialize;

/// One synthetic patient.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Patient {
    /// 12 digits, `YYYYMMDDNNNC`; the day is +60 for a samordningsnummer.
    pub id: String,
    pub samordningsnummer: bool,
    pub birth_date: NaiveDate,
    pub female: bool,
    pub given_name: String,
    pub family_name: String,
}

impl Patient {
    pub fn person_id(&self) -> PersonId {
        PersonId {
            id: self.id.clone(),
            type_: if self.samordningsnummer {
                OID_SAMORDNINGSNUMMER
            } else {
                OID_PERSONNUMMER
            }
            .into(),
        }
    }

    /// Whole years of age on `day`.
    pub fn age_on(&self, day: NaiveDate) -> u32 {
        day.years_since(self.birth_date).unwrap_or(0)
    }

    pub fn name(&self) -> String {
        format!("{} {}", self.given_name, self.family_name)
    }
}

/// The 12-digit identity for a birth date, a three-digit birth number and the kind.
pub fn identity(birth: NaiveDate, birth_number: u16, samordning: bool) -> String {
    let day = birth.day() + if samordning { 60 } else { 0 };
    let nine = format!(
        "{:02}{:02}{:02}{:03}",
        birth.year() % 100,
        birth.month(),
        day,
        birth_number % 1000
    );
    let mut digits = [0u8; 9];
    for (d, c) in digits.iter_mut().zip(nine.bytes()) {
        *d = c - b'0';
    }
    format!(
        "{:02}{nine}{}",
        birth.year() / 100,
        luhn_check_digit(&digits)
    )
}

/// Patient number `index` of a population generated on `today`. About 3 % have a
/// samordningsnummer; ages are spread from newborn to 100, weighted like a population.
pub fn patient(rng: &mut Rng, today: NaiveDate) -> Patient {
    // Age: a fifth children, most adults, a tail of old people up to 100.
    let age_days = match rng.below(10) {
        0 | 1 => rng.range(0, 18 * 365),
        2..=7 => rng.range(18 * 365, 70 * 365),
        _ => rng.range(70 * 365, 100 * 365),
    };
    let birth_date = today - Duration::days(age_days);
    let female = rng.chance(0.5);
    let samordningsnummer = rng.chance(0.03);
    // The third digit of the birth number is odd for men, even for women.
    let mut birth_number = rng.below(1000) as u16;
    if (birth_number % 2 == 1) == female {
        birth_number = (birth_number + 1) % 1000;
    }
    let given = if female {
        codes::given_names_female()
    } else {
        codes::given_names_male()
    };
    Patient {
        id: identity(birth_date, birth_number, samordningsnummer),
        samordningsnummer,
        birth_date,
        female,
        given_name: rng.pick(given).col(0).to_owned(),
        family_name: rng.pick(codes::family_names()).col(0).to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use npo_riv::ids::is_valid_personal_identity;

    #[test]
    fn known_identity() {
        // Tolvan Tolvansson, the Swedish test person.
        let d = NaiveDate::from_ymd_opt(1912, 12, 12).unwrap();
        assert_eq!(identity(d, 121, false), "191212121212");
    }

    #[test]
    fn generated_identities_are_valid_and_carry_sex() {
        let today = NaiveDate::from_ymd_opt(2026, 1, 1).unwrap();
        let mut rng = Rng::derive(3, "people");
        for _ in 0..5_000 {
            let p = patient(&mut rng, today);
            assert!(is_valid_personal_identity(&p.id), "{}", p.id);
            assert!(p.age_on(today) <= 100);
            let sex_digit = p.id.as_bytes()[10] - b'0';
            assert_eq!(sex_digit.is_multiple_of(2), p.female);
        }
    }
}
