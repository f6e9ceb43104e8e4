//! Dev PKI and TLS plumbing for NPO.
//!
//! * [`devpki`]: a small file-based certificate authority used for the demo and tests
//!   (a real deployment uses SITHS certificates issued by Inera).
//! * [`tls`]: loading PEM identities and CA bundles, building rustls server/client configs
//!   (always with the `ring` crypto provider), and extracting the HSA-id of a peer.
//! * [`serve`]: serving an [`axum::Router`] over mutual TLS (or plain HTTP) with graceful shutdown,
//!   attaching a [`PeerIdentity`] to every request.
//! * [`client`]: a pooled, kept-alive mTLS HTTPS client.

pub mod client;
pub mod devpki;
mod error;
pub mod serve;
pub mod tls;

pub use client::{HttpsClient, https_client};
pub use devpki::{CertSpec, CertUsage, DevPki, IssuedCert, create_standalone_ca};
pub use error::PkiError;
pub use serve::{serve_plain, serve_tls};
pub use tls::{
    PeerIdentity, TlsIdentity, client_config, common_name_from_cert, hsa_id_from_cert, load_ca,
    server_config, server_config_optional_client,
};
