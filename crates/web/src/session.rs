//! Sessions: an opaque random id in a `Secure; HttpOnly; SameSite=Strict` cookie, state held in
//! memory only (nothing of a session survives a restart), an idle timeout, and a CSRF token per
//! session that every form posts back.

use npo_security::{Actor, Assignment};
use ring::rand::{SecureRandom, SystemRandom};
use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// `__Host-`: the browser accepts it only from this host, over HTTPS, for path `/`.
pub const COOKIE: &str = "__Host-npo_session";

/// At most this many sessions live at once; beyond it, new visitors are turned away.
pub const MAX_SESSIONS: usize = 100_000;

/// Who is logged in and what they are doing.
#[derive(Clone, Debug, Default)]
pub struct Session {
    pub csrf: String,
    /// The logged-in person (HSA-id and name), once authenticated.
    pub person: Option<(String, String)>,
    /// Logged in through the demo picker, not a certificate.
    pub demo: bool,
    /// The person's assignments for care and treatment, offered for choice.
    pub assignments: Vec<Assignment>,
    /// The chosen assignment.
    pub actor: Option<Actor>,
    /// The selected patient (12 digits).
    pub patient: Option<String>,
    /// The user chose to continue without consent (own care giver's records only) for this
    /// patient.
    pub own_care_giver_only: bool,
    /// A context launch waiting for login: the patient to land on and the user it was made
    /// for (only that user lands on the patient).
    pub pending_launch: Option<(String, String)>,
    /// Secret for this session's record handles in URLs.
    pub handle_key: [u8; 32],
}

struct Entry {
    session: Session,
    last_seen: Instant,
}

struct Map {
    entries: HashMap<String, Entry>,
    last_sweep: Instant,
}

/// The in-memory session store.
pub struct Sessions {
    map: Mutex<Map>,
    idle: Duration,
    rng: SystemRandom,
}

impl Sessions {
    pub fn new(idle: Duration) -> Self {
        Sessions {
            map: Mutex::new(Map {
                entries: HashMap::new(),
                last_sweep: Instant::now(),
            }),
            idle,
            rng: SystemRandom::new(),
        }
    }

    pub fn idle_timeout(&self) -> Duration {
        self.idle
    }

    fn random_hex(&self, bytes: usize) -> String {
        let mut b = vec![0u8; bytes];
        // The system random source does not fail on supported platforms; an all-zero id would
        // only be refused as a duplicate below.
        let _ = self.rng.fill(&mut b);
        hex::encode(b)
    }

    /// A new anonymous session; returns its id, or `None` when the store is full.
    pub fn try_create(&self) -> Option<(String, Session)> {
        if self.lock().entries.len() >= MAX_SESSIONS {
            self.sweep(&mut self.lock());
            if self.lock().entries.len() >= MAX_SESSIONS {
                return None;
            }
        }
        Some(self.create())
    }

    /// A new anonymous session; returns its id.
    pub fn create(&self) -> (String, Session) {
        let mut handle_key = [0u8; 32];
        let _ = self.rng.fill(&mut handle_key);
        let session = Session {
            csrf: self.random_hex(32),
            handle_key,
            ..Session::default()
        };
        let mut map = self.lock();
        let mut id = self.random_hex(32);
        while map.entries.contains_key(&id) {
            id = self.random_hex(32);
        }
        map.entries.insert(
            id.clone(),
            Entry {
                session: session.clone(),
                last_seen: Instant::now(),
            },
        );
        (id, session)
    }

    /// The live session with `id` (its idle clock restarts), or `None` if unknown or idle too
    /// long (then it is removed).
    pub fn get(&self, id: &str) -> Option<Session> {
        let mut map = self.lock();
        let now = Instant::now();
        // Idle sessions are swept at most once a second, not on every request.
        if now.duration_since(map.last_sweep) > Duration::from_secs(1) {
            self.sweep(&mut map);
        }
        let e = map.entries.get_mut(id)?;
        if now.duration_since(e.last_seen) >= self.idle {
            map.entries.remove(id);
            return None;
        }
        e.last_seen = now;
        Some(e.session.clone())
    }

    fn sweep(&self, map: &mut Map) {
        let now = Instant::now();
        map.entries
            .retain(|_, e| now.duration_since(e.last_seen) < self.idle);
        map.last_sweep = now;
    }

    /// Changes a live session.
    pub fn update(&self, id: &str, f: impl FnOnce(&mut Session)) -> bool {
        let mut map = self.lock();
        match map.entries.get_mut(id) {
            Some(e) => {
                f(&mut e.session);
                true
            }
            None => false,
        }
    }

    /// Gives the session a new id and CSRF token (at login, against session fixation).
    pub fn rotate(&self, id: &str) -> Option<String> {
        let mut map = self.lock();
        let mut e = map.entries.remove(id)?;
        e.session.csrf = self.random_hex(32);
        let mut new_id = self.random_hex(32);
        while map.entries.contains_key(&new_id) {
            new_id = self.random_hex(32);
        }
        map.entries.insert(new_id.clone(), e);
        Some(new_id)
    }

    pub fn remove(&self, id: &str) {
        self.lock().entries.remove(id);
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Map> {
        self.map.lock().unwrap_or_else(|p| p.into_inner())
    }
}

/// Compares two secrets in constant time.
pub fn same_secret(a: &str, b: &str) -> bool {
    a.len() == b.len()
        && a.bytes()
            .zip(b.bytes())
            .fold(0u8, |acc, (x, y)| acc | (x ^ y))
            == 0
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn idle_sessions_expire_and_rotation_changes_id_and_token() {
        let s = Sessions::new(Duration::from_millis(50));
        let (id, first) = s.create();
        assert!(s.get(&id).is_some());
        let new_id = s.rotate(&id).unwrap();
        assert_ne!(new_id, id);
        assert!(s.get(&id).is_none());
        assert_ne!(s.get(&new_id).unwrap().csrf, first.csrf);
        std::thread::sleep(Duration::from_millis(80));
        assert!(s.get(&new_id).is_none(), "idle session must expire");
    }

    #[test]
    fn secrets_compare() {
        assert!(same_secret("abc", "abc"));
        assert!(!same_secret("abc", "abd"));
        assert!(!same_secret("abc", "abcd"));
    }
}
