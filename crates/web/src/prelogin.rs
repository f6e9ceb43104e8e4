//! What comes before login keeps no state on the server, so anonymous requests cannot fill the
//! session store:
//!
//! - **CSRF for the login forms**: a signed double-submit token. The browser holds a random
//!   nonce in a `__Host-` cookie (`SameSite=Strict`); the form carries an HMAC of it under a key
//!   only this process knows. A forged form cannot know the nonce, a forged cookie cannot carry
//!   a valid HMAC.
//! - **A context launch waiting for login**: sealed (ChaCha20-Poly1305, a key only this process
//!   knows) into a short-lived `__Host-` cookie; opaque to the browser, no personnummer in it.

use crate::launch::LaunchKey;
use crate::session::{PendingLaunch, same_secret};
use ring::hmac;
use ring::rand::{SecureRandom, SystemRandom};
use serde::{Deserialize, Serialize};

/// The pre-login CSRF nonce cookie.
pub const CSRF_COOKIE: &str = "__Host-npo_pre";
/// The pending context-launch cookie.
pub const LAUNCH_COOKIE: &str = "__Host-npo_launch";
/// How long a pending launch waits for the login and the assignment choice.
pub const PENDING_TTL_SECONDS: i64 = 600;

/// The keys of the pre-login state (random per process: a restart only asks for a reload).
pub struct PreLogin {
    csrf_key: hmac::Key,
    seal: LaunchKey,
    rng: SystemRandom,
}

#[derive(Serialize, Deserialize)]
struct SealedPending {
    patient: String,
    user: String,
    link_id: String,
    link_exp: i64,
    exp: i64,
}

impl Default for PreLogin {
    fn default() -> Self {
        Self::new()
    }
}

impl PreLogin {
    pub fn new() -> PreLogin {
        let rng = SystemRandom::new();
        let mut k = [0u8; 32];
        let _ = rng.fill(&mut k);
        PreLogin {
            csrf_key: hmac::Key::new(hmac::HMAC_SHA256, &k),
            seal: LaunchKey::new(&LaunchKey::generate_bytes())
                .expect("a 32-byte key is always valid"),
            rng,
        }
    }

    /// A fresh nonce for the CSRF cookie (32 hex digits).
    pub fn nonce(&self) -> String {
        let mut b = [0u8; 16];
        let _ = self.rng.fill(&mut b);
        hex::encode(b)
    }

    /// Whether a cookie value is a nonce this app could have made (shape only).
    pub fn is_nonce(v: &str) -> bool {
        v.len() == 32 && v.bytes().all(|b| b.is_ascii_hexdigit())
    }

    /// The form token that goes with `nonce`.
    pub fn form_token(&self, nonce: &str) -> String {
        let tag = hmac::sign(
            &self.csrf_key,
            format!("npo-prelogin-csrf\n{nonce}").as_bytes(),
        );
        hex::encode(tag.as_ref())
    }

    /// The form's token must be the one of the browser's nonce.
    pub fn check(&self, nonce: &str, token: &str) -> bool {
        !nonce.is_empty() && same_secret(&self.form_token(nonce), token)
    }

    /// A launch waiting for login, sealed for the cookie.
    pub fn seal_pending(&self, p: &PendingLaunch, now: i64) -> String {
        self.seal.seal_value(&SealedPending {
            patient: p.patient.clone(),
            user: p.user.clone(),
            link_id: p.link_id.clone(),
            link_exp: p.link_exp,
            exp: now + PENDING_TTL_SECONDS,
        })
    }

    /// The launch in the cookie, if authentic and not expired.
    pub fn open_pending(&self, cookie: &str, now: i64) -> Option<PendingLaunch> {
        let s: SealedPending = self.seal.open_value(cookie)?;
        (s.exp >= now).then_some(PendingLaunch {
            patient: s.patient,
            user: s.user,
            link_id: s.link_id,
            link_exp: s.link_exp,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn csrf_tokens_belong_to_their_nonce() {
        let p = PreLogin::new();
        let n = p.nonce();
        assert!(PreLogin::is_nonce(&n));
        let t = p.form_token(&n);
        assert!(p.check(&n, &t));
        assert!(!p.check(&p.nonce(), &t));
        assert!(!p.check("", &p.form_token("")));
        assert!(!PreLogin::new().check(&n, &t), "another process's key");
    }

    #[test]
    fn pending_launches_are_sealed_and_expire() {
        let p = PreLogin::new();
        let l = PendingLaunch {
            patient: "191212121212".into(),
            user: "SE2321000016-P001".into(),
            link_id: "abc".into(),
            link_exp: 1100,
        };
        let c = p.seal_pending(&l, 1000);
        assert!(!c.contains("191212121212"));
        assert_eq!(p.open_pending(&c, 1000), Some(l));
        assert_eq!(p.open_pending(&c, 1000 + PENDING_TTL_SECONDS + 1), None);
        assert_eq!(PreLogin::new().open_pending(&c, 1000), None);
        assert_eq!(p.open_pending("garbage", 1000), None);
    }
}
