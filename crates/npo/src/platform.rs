//! The service platform as one unit: router, engagement index and aggregating services over
//! one database, with the catalogue cache they share.

use crate::config::PlatformConfig;
use crate::serve::{Server, bind, client, reachable, spawn_tls, spawn_tls_on};
use anyhow::Context;
use npo_agp::Agp;
use npo_ei::EngagementIndex;
use npo_router::{Vp, VpClient};
use npo_store::Db;
use npo_tak::{TakCache, TakStore};
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;
use tokio_util::sync::CancellationToken;

/// A running platform.
pub struct Platform {
    pub router: Server,
    pub internal: Option<Server>,
    pub ei: Server,
    pub agp: Server,
    pub tak: TakCache,
    pub tak_store: TakStore,
    pub db: Db,
}

impl Platform {
    /// Connects the database, loads the catalogue, and starts the three listeners. A catalogue
    /// that cannot be loaded now leaves the router answering VP008 until a reload succeeds.
    pub async fn start(cfg: &PlatformConfig, stop: CancellationToken) -> anyhow::Result<Platform> {
        let db = Db::connect(&cfg.database_url)
            .await
            .context("platform database")?;
        let tak_store = TakStore::new(db.clone());
        let tak = TakCache::new();
        if let Err(e) = tak.reload(&tak_store).await {
            tracing::error!(error = %e, "no service catalogue at start; the router answers VP008 until one loads");
        }
        tokio::spawn({
            let tak = tak.clone();
            let store = tak_store.clone();
            let stop = stop.clone();
            let every = Duration::from_millis(cfg.catalogue_poll_ms.max(100));
            async move { tak.watch(store, every, stop).await }
        });

        // The router's port first: the aggregating services call it.
        let router_tcp = bind(cfg.router.listener.listen).await?;
        let own_router = format!("https://{}/vp", reachable(router_tcp.local_addr()?));

        let ei = EngagementIndex::new(db.clone(), cfg.ei.hsa_id.clone());
        let ei_server = spawn_tls(
            &cfg.ei.listener,
            &cfg.ca,
            npo_ei::router(Arc::new(ei), cfg.ei.allowed_callers.clone()),
            stop.clone(),
        )
        .await?;

        let vp_url = cfg.agp.vp_url.clone().unwrap_or(own_router);
        let vp_client = VpClient::new(&vp_url, client(&cfg.agp.listener.identity(), &cfg.ca)?)
            .map_err(anyhow::Error::msg)?;
        let agp = Agp::new(cfg.agp.settings.clone(), vp_client, tak.clone());
        let agp_server = spawn_tls(
            &cfg.agp.listener,
            &cfg.ca,
            npo_agp::router(agp),
            stop.clone(),
        )
        .await?;

        let vp = Vp::new(
            cfg.router.settings.clone(),
            tak.clone(),
            client(&cfg.router.listener.identity(), &cfg.ca)?,
        );
        let router = spawn_tls_on(
            router_tcp,
            &cfg.router.listener.identity(),
            &cfg.ca,
            npo_router::router(vp.clone()),
            stop.clone(),
        )?;
        let internal = match cfg.router.internal_listen {
            Some(addr) => Some(spawn_plain(addr, npo_router::router(vp), stop.clone()).await?),
            None => None,
        };
        Ok(Platform {
            router,
            internal,
            ei: ei_server,
            agp: agp_server,
            tak,
            tak_store,
            db,
        })
    }
}

async fn spawn_plain(
    addr: SocketAddr,
    app: axum::Router,
    stop: CancellationToken,
) -> anyhow::Result<Server> {
    let tcp = bind(addr).await?;
    let addr = tcp.local_addr()?;
    let task = tokio::spawn(npo_pki::serve_plain(tcp, app, async move {
        stop.cancelled().await
    }));
    Ok(Server { addr, task })
}
