//! RIV-TA timestamps: `YYYYMMDDhhmmss` and `YYYYMMDD` in Swedish local time.

use chrono::{DateTime, Utc};
use chrono_tz::Europe::Stockholm;

/// Now as `YYYYMMDDhhmmss`, Swedish local time.
pub fn now_timestamp() -> String {
    timestamp(Utc::now())
}

/// A UTC instant as `YYYYMMDDhhmmss`, Swedish local time.
pub fn timestamp(t: DateTime<Utc>) -> String {
    t.with_timezone(&Stockholm)
        .format("%Y%m%d%H%M%S")
        .to_string()
}

/// Today as `YYYYMMDD`, Swedish local time.
pub fn today() -> String {
    Utc::now()
        .with_timezone(&Stockholm)
        .format("%Y%m%d")
        .to_string()
}

const FORMAT: &str = "%Y%m%d%H%M%S";

/// `YYYYMMDDhhmmss` as RIV writes it, and a moment that exists (no 31 February).
pub fn is_real_timestamp(s: &str) -> bool {
    crate::common::is_timestamp(s) && chrono::NaiveDateTime::parse_from_str(s, FORMAT).is_ok()
}

/// The timestamp `by` later (earlier, if negative); `None` if `ts` is not a timestamp.
pub fn shifted(ts: &str, by: chrono::Duration) -> Option<String> {
    chrono::NaiveDateTime::parse_from_str(ts, FORMAT)
        .ok()
        .map(|t| (t + by).format(FORMAT).to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shifting_and_real_dates() {
        assert_eq!(
            shifted("20240228230000", chrono::Duration::hours(2)).as_deref(),
            Some("20240229010000")
        );
        assert_eq!(shifted("2024", chrono::Duration::hours(1)), None);
        assert!(is_real_timestamp("20240229120000"));
        assert!(!is_real_timestamp("20230229120000"));
        assert!(!is_real_timestamp("20240231120000"));
    }
}
