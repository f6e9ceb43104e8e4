//! Sessions: an opaque random id in a `Secure; HttpOnly; SameSite=Strict` cookie, state held in
//! memory only (nothing of a session survives a restart), an idle timeout, and a CSRF token per
//! session that every form posts back. A session is created only at login (an authenticated
//! person); what comes before is stateless (see [`crate::prelogin`]).

use npo_security::{Actor, Assignment};
use ring::rand::{SecureRandom, SystemRandom};
use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// `__Host-`: the browser accepts it only from this host, over HTTPS, for path `/`.
pub const COOKIE: &str = "__Host-npo_session";

/// At most this many sessions live at once; beyond it, new logins are turned away.
pub const MAX_SESSIONS: usize = 100_000;

/// At most this many sessions per person (the oldest ends when a new one starts).
pub const MAX_SESSIONS_PER_PERSON: usize = 20;

/// At most this many patients open per session (one per page; the oldest is closed).
pub const MAX_PATIENT_CONTEXTS: usize = 20;

/// A patient opened in one page: the opaque handle every request about the patient carries
/// (never the personnummer), so a page only ever shows the patient it was opened for.
#[derive(Clone, Debug, Default)]
pub struct PatientContext {
    /// Random, 32 hex digits.
    pub handle: String,
    /// The patient (12 digits).
    pub patient: String,
    /// The user chose to continue without consent (own care giver's records only).
    pub own_care_giver_only: bool,
}

/// A context launch waiting for the assignment choice.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PendingLaunch {
    pub patient: String,
    /// The user the link was made for.
    pub user: String,
    /// Identifies the link (a hash of it), to mark it used when the right user lands.
    pub link_id: String,
    /// The link's expiry (seconds since the Unix epoch).
    pub link_exp: i64,
}

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
    /// The patients opened in this session's pages, oldest first.
    pub patients: Vec<PatientContext>,
    /// A context launch waiting for the assignment choice (only for the user it was made for).
    pub pending_launch: Option<PendingLaunch>,
    /// Secret for this session's record handles in URLs.
    pub handle_key: [u8; 32],
}

impl Session {
    /// The patient context of a page, by its handle.
    pub fn context(&self, handle: &str) -> Option<&PatientContext> {
        if handle.is_empty() {
            return None;
        }
        self.patients
            .iter()
            .find(|c| same_secret(&c.handle, handle))
    }

    /// Changes the patient context with `handle`, if it exists.
    pub fn context_mut(&mut self, handle: &str) -> Option<&mut PatientContext> {
        if handle.is_empty() {
            return None;
        }
        self.patients
            .iter_mut()
            .find(|c| same_secret(&c.handle, handle))
    }
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

    /// How many sessions are live (or idle but not yet swept).
    pub fn len(&self) -> usize {
        self.lock().entries.len()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// A new session for a person who has just logged in; returns its id, or `None` when the
    /// store is full. A person holds at most [`MAX_SESSIONS_PER_PERSON`]: the oldest ends.
    pub fn try_create(&self, person: (String, String)) -> Option<(String, Session)> {
        {
            let mut map = self.lock();
            if map.entries.len() >= MAX_SESSIONS {
                self.sweep(&mut map);
                if map.entries.len() >= MAX_SESSIONS {
                    return None;
                }
            }
            let mut mine: Vec<(String, Instant)> = map
                .entries
                .iter()
                .filter(|(_, e)| e.session.person.as_ref().is_some_and(|p| p.0 == person.0))
                .map(|(id, e)| (id.clone(), e.last_seen))
                .collect();
            if mine.len() >= MAX_SESSIONS_PER_PERSON {
                mine.sort_by_key(|(_, seen)| *seen);
                for (id, _) in mine.iter().take(mine.len() + 1 - MAX_SESSIONS_PER_PERSON) {
                    map.entries.remove(id);
                }
            }
        }
        let mut handle_key = [0u8; 32];
        let _ = self.rng.fill(&mut handle_key);
        let session = Session {
            csrf: self.random_hex(32),
            person: Some(person),
            handle_key,
            ..Session::default()
        };
        Some(self.insert(session))
    }

    fn insert(&self, session: Session) -> (String, Session) {
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

    /// Opens `patient` in a new page context; returns its handle (`None` if the session is
    /// gone). The oldest context is closed beyond [`MAX_PATIENT_CONTEXTS`].
    pub fn open_patient(&self, id: &str, patient: &str) -> Option<String> {
        let handle = self.random_hex(16);
        let ok = self.update(id, |s| {
            s.patients.push(PatientContext {
                handle: handle.clone(),
                patient: patient.to_owned(),
                ..PatientContext::default()
            });
            let extra = s.patients.len().saturating_sub(MAX_PATIENT_CONTEXTS);
            s.patients.drain(..extra);
        });
        ok.then_some(handle)
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

    fn anna() -> (String, String) {
        ("SE2321000016-P001".into(), "Anna Lind".into())
    }

    #[test]
    fn idle_sessions_expire() {
        let s = Sessions::new(Duration::from_millis(50));
        let (id, first) = s.try_create(anna()).unwrap();
        assert!(s.get(&id).is_some());
        let (other, second) = s.try_create(anna()).unwrap();
        assert_ne!(other, id);
        assert_ne!(first.csrf, second.csrf);
        std::thread::sleep(Duration::from_millis(80));
        assert!(s.get(&id).is_none(), "idle session must expire");
    }

    #[test]
    fn a_person_holds_a_bounded_number_of_sessions() {
        let s = Sessions::new(Duration::from_secs(60));
        let ids: Vec<String> = (0..MAX_SESSIONS_PER_PERSON + 3)
            .map(|_| s.try_create(anna()).unwrap().0)
            .collect();
        assert_eq!(s.len(), MAX_SESSIONS_PER_PERSON);
        assert!(s.get(ids.last().unwrap()).is_some(), "the newest lives");
        assert!(s.get(&ids[0]).is_none(), "the oldest ended");
    }

    #[test]
    fn patient_contexts_are_per_page_and_bounded() {
        let s = Sessions::new(Duration::from_secs(60));
        let (id, _) = s.try_create(anna()).unwrap();
        let a = s.open_patient(&id, "191212121212").unwrap();
        let b = s.open_patient(&id, "199001012380").unwrap();
        assert_ne!(a, b);
        let sess = s.get(&id).unwrap();
        assert_eq!(sess.context(&a).unwrap().patient, "191212121212");
        assert_eq!(sess.context(&b).unwrap().patient, "199001012380");
        assert!(sess.context("").is_none());
        for _ in 0..MAX_PATIENT_CONTEXTS {
            s.open_patient(&id, "191212121212").unwrap();
        }
        let sess = s.get(&id).unwrap();
        assert_eq!(sess.patients.len(), MAX_PATIENT_CONTEXTS);
        assert!(
            sess.context(&a).is_none(),
            "the oldest page's patient is closed"
        );
        assert!(s.open_patient("unknown", "191212121212").is_none());
    }

    #[test]
    fn secrets_compare() {
        assert!(same_secret("abc", "abc"));
        assert!(!same_secret("abc", "abd"));
        assert!(!same_secret("abc", "abcd"));
    }
}
