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

/// One HTTPS listener with its identity.
#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Listener {
    pub listen: SocketAddr,
    #[serde(flatten)]
    pub identity: Identity,
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
    #[serde(flatten)]
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
    #[serde(flatten)]
    pub listener: Listener,
    /// The index's HSA-id (owner of its engagements).
    pub hsa_id: String,
}

#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AgpNode {
    #[serde(flatten)]
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
    #[serde(flatten)]
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
