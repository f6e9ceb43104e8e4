//! Configuration files of the parts, for deployments that run them on separate machines
//! (`npo platform --config platform.toml`, `npo source --config source.toml`).

use npo_agp::AgpConfig;
use npo_router::RouterConfig;
use npo_source::SourceConfig;
use serde::{Deserialize, Serialize};
use std::net::SocketAddr;
use std::path::PathBuf;

/// A TLS identity: certificate chain and key (PEM).
#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Identity {
    pub cert: PathBuf,
    pub key: PathBuf,
}

/// One HTTPS listener with its identity (a `[….listener]` table: `listen`, `cert`, `key`).
#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Listener {
    pub listen: SocketAddr,
    pub cert: PathBuf,
    pub key: PathBuf,
}

impl Listener {
    pub fn new(listen: SocketAddr, identity: Identity) -> Self {
        Listener {
            listen,
            cert: identity.cert,
            key: identity.key,
        }
    }

    pub fn identity(&self) -> Identity {
        Identity {
            cert: self.cert.clone(),
            key: self.key.clone(),
        }
    }
}

/// The service platform: router, engagement index and aggregating services, with the service
/// catalogue they share.
#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PlatformConfig {
    /// `sqlite://…` or `postgres://…`: the catalogue and the engagement index.
    pub database_url: String,
    /// The CA whose certificates callers must present.
    pub ca: PathBuf,
    /// How often the catalogue version is checked for changes.
    #[serde(default = "default_poll")]
    pub catalogue_poll_ms: u64,
    pub router: RouterNode,
    pub ei: EiNode,
    pub agp: AgpNode,
}

fn default_poll() -> u64 {
    2000
}

#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RouterNode {
    pub listener: Listener,
    /// Optional plain-HTTP listener for trusted internal callers (`x-vp-sender-id`).
    #[serde(default)]
    pub internal_listen: Option<SocketAddr>,
    #[serde(default)]
    pub settings: RouterConfig,
}

#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct EiNode {
    pub listener: Listener,
    /// The index's HSA-id (owner of its engagements).
    pub hsa_id: String,
    /// Systems allowed to call the index: the router(s).
    #[serde(default)]
    pub allowed_callers: Vec<String>,
}

#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AgpNode {
    pub listener: Listener,
    /// The router the aggregating services call, e.g. `https://vp.example:8443/vp`; by
    /// default this platform's own router.
    #[serde(default)]
    pub vp_url: Option<String>,
    #[serde(default)]
    pub settings: AgpConfig,
}

/// One reference source system.
#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SourceNodeConfig {
    pub database_url: String,
    pub ca: PathBuf,
    pub listener: Listener,
    /// The router engagement-index updates go through.
    pub vp_url: String,
    /// How long to wait before retrying an undelivered engagement-index update.
    #[serde(default = "default_retry")]
    pub sync_retry_ms: u64,
    pub source: SourceConfig,
}

fn default_retry() -> u64 {
    5000
}

/// Reads a TOML configuration file.
pub fn load<T: serde::de::DeserializeOwned>(path: &std::path::Path) -> anyhow::Result<T> {
    let text = std::fs::read_to_string(path)
        .map_err(|e| anyhow::anyhow!("cannot read {}: {e}", path.display()))?;
    toml::from_str(&text).map_err(|e| anyhow::anyhow!("{}: {e}", path.display()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::path::Path;

    fn example(name: &str) -> PathBuf {
        Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("../../docs/examples")
            .join(name)
    }

    #[test]
    fn the_documented_examples_parse() {
        let p: PlatformConfig = load(&example("platform.toml")).unwrap();
        assert_eq!(
            p.router.settings.original_consumer_senders,
            ["SE5565594230-AGP"]
        );
        assert_eq!(p.router.settings.timeouts_ms.len(), 1);
        assert_eq!(p.agp.settings.timeout_ms, 20000);
        let s: SourceNodeConfig = load(&example("source.toml")).unwrap();
        assert_eq!(s.source.care_units.len(), 1);
    }

    #[test]
    fn unknown_fields_are_refused_with_the_file_name() {
        let dir = tempfile::tempdir().unwrap();
        let f = dir.path().join("bad.toml");
        let text = std::fs::read_to_string(example("source.toml"))
            .unwrap()
            .replace("sync_retry_ms", "sync_retry");
        std::fs::write(&f, text).unwrap();
        let err = load::<SourceNodeConfig>(&f).unwrap_err().to_string();
        assert!(
            err.contains("bad.toml") && err.contains("sync_retry"),
            "{err}"
        );
    }
}
