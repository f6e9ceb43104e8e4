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
