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
