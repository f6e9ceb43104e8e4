//! One reference source system as a unit: its listener and its engagement-index sync.

use crate::config::SourceNodeConfig;
use crate::serve::{Server, client, spawn_tls};
use anyhow::Context;
use npo_router::VpClient;
use npo_source::SourceSystem;
use npo_store::Db;
use std::sync::Arc;
use std::time::Duration;
use tokio_util::sync::CancellationToken;

pub struct SourceNode {
    pub server: Server,
    pub system: Arc<SourceSystem>,
    pub db: Db,
}

impl SourceNode {
    pub async fn start(
        cfg: &SourceNodeConfig,
        stop: CancellationToken,
    ) -> anyhow::Result<SourceNode> {
        let db = Db::connect(&cfg.database_url)
            .await
            .with_context(|| format!("database of source system {}", cfg.source.hsa_id))?;
        let vp = VpClient::new(&cfg.vp_url, client(&cfg.listener.identity(), &cfg.ca)?)
            .map_err(anyhow::Error::msg)?;
        let system = SourceSystem::new(cfg.source.clone(), db.clone(), Some(vp));
        let server = spawn_tls(
            &cfg.listener,
            &cfg.ca,
            npo_source::router(system.clone()),
            stop.clone(),
        )
        .await?;
        tokio::spawn(
            system
                .clone()
                .run_engagement_sync(Duration::from_millis(cfg.sync_retry_ms.max(50)), stop),
        );
        Ok(SourceNode { server, system, db })
    }
}
