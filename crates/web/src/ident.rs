//! Reading a personnummer or samordningsnummer as users type it.

use chrono::{Datelike, NaiveDate};
use npo_riv::ids::is_valid_personal_identity;

#[derive(Debug, PartialEq, Eq, thiserror::Error)]
pub enum IdentError {
    #[error(
        "Ange personnummer eller samordningsnummer med tolv siffror, till exempel 19121212-1212."
    )]
    Format,
    #[error("Datumdelen är inte ett giltigt datum.")]
    Date,
    #[error("Kontrollsiffran stämmer inte. Kontrollera att numret är rätt skrivet.")]
    CheckDigit,
}

/// Accepts `YYYYMMDD-NNNN`, `YYYYMMDDNNNN`, `YYMMDD-NNNN`, `YYMMDD+NNNN` (100 years or older) and
/// `YYMMDDNNNN`; returns the 12 digits.
pub fn parse(input: &str, today: NaiveDate) -> Result<String, IdentError> {
    let s: String = input.chars().filter(|c| !c.is_whitespace()).collect();
    let plus = s.contains('+');
    let digits: String = s.chars().filter(|c| *c != '-' && *c != '+').collect();
    if !digits.chars().all(|c| c.is_ascii_digit()) {
        return Err(IdentError::Format);
    }
    let full = match digits.len() {
        12 => digits,
        10 => {
            // The century: the latest that does not put the birth date in the future, one
            // century earlier with '+'.
            let yy: i32 = digits[0..2].parse().map_err(|_| IdentError::Format)?;
            let month: u32 = digits[2..4].parse().map_err(|_| IdentError::Format)?;
            let day: u32 = digits[4..6].parse().map_err(|_| IdentError::Format)?;
            let day = if day > 60 { day - 60 } else { day };
            let mut year = today.year() - (today.year() - yy).rem_euclid(100);
            if NaiveDate::from_ymd_opt(year, month, day).is_some_and(|d| d > today) {
                year -= 100;
            }
            if plus {
                year -= 100;
            }
            format!("{:02}{digits}", year / 100)
        }
        _ => return Err(IdentError::Format),
    };
    let year: i32 = full[0..4].parse().map_err(|_| IdentError::Format)?;
    let month: u32 = full[4..6].parse().map_err(|_| IdentError::Format)?;
    let mut day: u32 = full[6..8].parse().map_err(|_| IdentError::Format)?;
    if day > 60 {
        day -= 60;
    }
    if NaiveDate::from_ymd_opt(year, month, day).is_none_or(|d| d > today) {
        return Err(IdentError::Date);
    }
    if !is_valid_personal_identity(&full) {
        return Err(IdentError::CheckDigit);
    }
    Ok(full)
}

/// `YYYYMMDD-NNNN`, as shown.
pub fn display(id: &str) -> String {
    if id.len() == 12 {
        format!("{}-{}", &id[..8], &id[8..])
    } else {
        id.to_owned()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn today() -> NaiveDate {
        NaiveDate::from_ymd_opt(2026, 11, 23).unwrap()
    }

    #[test]
    fn accepted_forms() {
        for s in [
            "191212121212",
            "19121212-1212",
            " 19121212 - 1212 ",
            "121212+1212",
        ] {
            assert_eq!(parse(s, today()).unwrap(), "191212121212", "{s}");
        }
        // Ten digits without '+': the latest century that is not in the future.
        assert_eq!(parse("121212-1212", today()).unwrap(), "201212121212");
    }

    #[test]
    fn refused_with_a_reason() {
        assert_eq!(parse("19121212-1213", today()), Err(IdentError::CheckDigit));
        assert_eq!(parse("19121312-1212", today()), Err(IdentError::Date));
        assert_eq!(parse("abc", today()), Err(IdentError::Format));
        assert_eq!(parse("1912", today()), Err(IdentError::Format));
    }
}
