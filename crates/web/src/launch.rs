//! Context launch: the user's own record system opens npo on a patient with a short-lived URL.
//! The URL carries a token sealed with ChaCha20-Poly1305 (ring), so it is both authentic and
//! opaque: no personnummer appears in the URL, the browser history or access logs.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use ring::aead::{CHACHA20_POLY1305, LessSafeKey, NONCE_LEN, Nonce, UnboundKey};
use ring::rand::{SecureRandom, SystemRandom};
use serde::{Deserialize, Serialize};

/// How long a launch URL is valid.
pub const LAUNCH_TTL_SECONDS: i64 = 120;

/// What a launch token says.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Launch {
    /// The patient (12 digits).
    pub patient: String,
    /// The user the record system launched for (person HSA-id); npo checks it against the
    /// logged-in user.
    pub user: String,
    /// Expiry, seconds since the Unix epoch.
    pub exp: i64,
}

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum LaunchError {
    #[error("the launch link is not valid")]
    Invalid,
    #[error("the launch link has expired")]
    Expired,
    #[error("the launch link has been used")]
    Used,
}

/// The web app's own sealing key for launch links. It never leaves the server: record systems
/// get links only from `POST /api/kontext`, which checks that the system serves the user's care
/// giver; a system holding the key could seal links for anyone.
pub struct LaunchKey {
    key: LessSafeKey,
    rng: SystemRandom,
}

impl LaunchKey {
    /// `bytes` must be 32 bytes.
    pub fn new(bytes: &[u8]) -> Option<LaunchKey> {
        let unbound = UnboundKey::new(&CHACHA20_POLY1305, bytes).ok()?;
        Some(LaunchKey {
            key: LessSafeKey::new(unbound),
            rng: SystemRandom::new(),
        })
    }

    /// A fresh random key (32 bytes).
    pub fn generate_bytes() -> [u8; 32] {
        let mut b = [0u8; 32];
        let _ = SystemRandom::new().fill(&mut b);
        b
    }

    /// A token for `patient` and `user`, valid [`LAUNCH_TTL_SECONDS`] from `now`.
    pub fn seal(&self, patient: &str, user: &str, now: i64) -> String {
        self.seal_value(&Launch {
            patient: patient.into(),
            user: user.into(),
            exp: now + LAUNCH_TTL_SECONDS,
        })
    }

    /// Any value, sealed (authentic and opaque) as URL-safe base64.
    pub fn seal_value<T: Serialize>(&self, value: &T) -> String {
        let mut nonce = [0u8; NONCE_LEN];
        let _ = self.rng.fill(&mut nonce);
        let mut data = serde_json::to_vec(value).unwrap_or_default();
        // Sealing only fails for inputs larger than the algorithm allows (gigabytes).
        let _ = self.key.seal_in_place_append_tag(
            Nonce::assume_unique_for_key(nonce),
            ring::aead::Aad::empty(),
            &mut data,
        );
        let mut out = nonce.to_vec();
        out.extend(data);
        URL_SAFE_NO_PAD.encode(out)
    }

    /// A value sealed with [`LaunchKey::seal_value`], if authentic.
    pub fn open_value<T: serde::de::DeserializeOwned>(&self, token: &str) -> Option<T> {
        let raw = URL_SAFE_NO_PAD.decode(token.as_bytes()).ok()?;
        if raw.len() < NONCE_LEN + 16 || raw.len() > 1024 {
            return None;
        }
        let (nonce, sealed) = raw.split_at(NONCE_LEN);
        let nonce = Nonce::try_assume_unique_for_key(nonce).ok()?;
        let mut sealed = sealed.to_vec();
        let plain = self
            .key
            .open_in_place(nonce, ring::aead::Aad::empty(), &mut sealed)
            .ok()?;
        serde_json::from_slice(plain).ok()
    }

    /// Opens a token; it must be authentic and not expired at `now`.
    pub fn open(&self, token: &str, now: i64) -> Result<Launch, LaunchError> {
        let launch: Launch = self.open_value(token).ok_or(LaunchError::Invalid)?;
        // Only npo seals with this key, but what a link carries is checked like user input all
        // the same.
        if !npo_riv::ids::is_valid_personal_identity(&launch.patient)
            || !npo_riv::ids::is_hsa_id(&launch.user)
        {
            return Err(LaunchError::Invalid);
        }
        if launch.exp < now {
            return Err(LaunchError::Expired);
        }
        Ok(launch)
    }
}

/// A link's identity for the used-once bookkeeping: a hash of the token, so the token itself is
/// not kept.
pub fn link_id(token: &str) -> String {
    hex::encode(&ring::digest::digest(&ring::digest::SHA256, token.as_bytes()).as_ref()[..16])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sealed_tokens_open_until_they_expire_and_cannot_be_forged() {
        let k = LaunchKey::new(&[7u8; 32]).unwrap();
        let t = k.seal("191212121212", "SE2321000016-P001", 1000);
        assert!(!t.contains("191212121212"), "the token must be opaque");
        let l = k.open(&t, 1000).unwrap();
        assert_eq!(l.patient, "191212121212");
        assert_eq!(
            k.open(&t, 1000 + LAUNCH_TTL_SECONDS + 1),
            Err(LaunchError::Expired)
        );
        let other = LaunchKey::new(&[8u8; 32]).unwrap();
        assert_eq!(other.open(&t, 1000), Err(LaunchError::Invalid));
        let mut bytes = URL_SAFE_NO_PAD.decode(&t).unwrap();
        let last = bytes.len() - 1;
        bytes[last] ^= 1;
        assert_eq!(
            k.open(&URL_SAFE_NO_PAD.encode(bytes), 1000),
            Err(LaunchError::Invalid)
        );
        assert_eq!(k.open("not a token", 1000), Err(LaunchError::Invalid));
    }
}
