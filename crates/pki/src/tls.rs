//! Loading certificates and keys, building rustls configurations and identifying TLS peers.
//!
//! All configurations use the `ring` crypto provider explicitly; nothing here depends on a
//! process-wide default provider being installed.

use std::net::SocketAddr;
use std::path::Path;
use std::sync::Arc;

use rustls::crypto::CryptoProvider;
use rustls::server::WebPkiClientVerifier;
use rustls::{ClientConfig, RootCertStore, ServerConfig};
use rustls_pki_types::pem::PemObject;
use rustls_pki_types::{CertificateDer, PrivateKeyDer};
use serde::Serialize;
use x509_parser::oid_registry::{OID_X509_COMMON_NAME, OID_X509_SERIALNUMBER};
use x509_parser::x509::X509Name;

use crate::PkiError;

/// The only application protocol offered and accepted: HTTP/1.1.
const ALPN_HTTP11: &[u8] = b"http/1.1";

/// The `ring` crypto provider, used for every configuration built by this crate.
fn provider() -> Arc<CryptoProvider> {
    Arc::new(rustls::crypto::ring::default_provider())
}

/// A certificate chain (leaf first) and its private key.
#[derive(Debug)]
pub struct TlsIdentity {
    /// The certificate chain, leaf first.
    pub certs: Vec<CertificateDer<'static>>,
    /// The private key of the leaf certificate.
    pub key: PrivateKeyDer<'static>,
}

impl TlsIdentity {
    /// Loads an identity from a PEM certificate file (leaf first, optionally followed by
    /// intermediates) and a PEM private key file (PKCS#8, PKCS#1 or SEC1).
    ///
    /// Whether the key belongs to the certificate is checked when a configuration is built.
    pub fn from_pem_files(cert: &Path, key: &Path) -> Result<Self, PkiError> {
        let certs = load_certs(cert)?;
        let key = PrivateKeyDer::from_pem_file(key).map_err(|e| PkiError::pem(key, e))?;
        Ok(TlsIdentity { certs, key })
    }
}

impl Clone for TlsIdentity {
    fn clone(&self) -> Self {
        TlsIdentity {
            certs: self.certs.clone(),
            key: self.key.clone_key(),
        }
    }
}

/// Reads every certificate in a PEM file; at least one is required.
fn load_certs(path: &Path) -> Result<Vec<CertificateDer<'static>>, PkiError> {
    let certs = CertificateDer::pem_file_iter(path)
        .map_err(|e| PkiError::pem(path, e))?
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| PkiError::pem(path, e))?;
    if certs.is_empty() {
        return Err(PkiError::NoCertificate {
            path: path.to_owned(),
        });
    }
    Ok(certs)
}

/// Loads a PEM bundle of trusted CA certificates (at least one) into a root store.
pub fn load_ca(path: &Path) -> Result<RootCertStore, PkiError> {
    let mut roots = RootCertStore::empty();
    for cert in load_certs(path)? {
        roots.add(cert).map_err(|e| PkiError::InvalidCertificate {
            path: path.to_owned(),
            reason: e.to_string(),
        })?;
    }
    Ok(roots)
}

/// Builds a TLS server configuration presenting `identity`.
///
/// If `client_ca` is `Some`, every client must present a certificate chaining to one of the CAs in
/// that PEM bundle (mutual TLS); unknown-CA, expired and missing client certificates are refused
/// during the handshake. If it is `None`, no client certificate is requested.
///
/// ALPN: only `http/1.1` is offered.
pub fn server_config(
    identity: &TlsIdentity,
    client_ca: Option<&Path>,
) -> Result<Arc<ServerConfig>, PkiError> {
    let provider = provider();
    let builder = ServerConfig::builder_with_provider(provider.clone())
        .with_safe_default_protocol_versions()?;
    let builder = match client_ca {
        Some(ca) => {
            let roots = Arc::new(load_ca(ca)?);
            let verifier = WebPkiClientVerifier::builder_with_provider(roots, provider).build()?;
            builder.with_client_cert_verifier(verifier)
        }
        None => builder.with_no_client_auth(),
    };
    let mut config = builder.with_single_cert(identity.certs.clone(), identity.key.clone_key())?;
    config.alpn_protocols = vec![ALPN_HTTP11.to_vec()];
    Ok(Arc::new(config))
}

/// Like [`server_config`] with a client CA, but a client certificate is optional: browsers
/// without a card still reach the login page. A certificate that is presented must chain to
/// `client_ca` and be valid, or the handshake fails; without one, [`PeerIdentity::hsa_id`] is
/// `None`.
pub fn server_config_optional_client(
    identity: &TlsIdentity,
    client_ca: &Path,
) -> Result<Arc<ServerConfig>, PkiError> {
    let provider = provider();
    let roots = Arc::new(load_ca(client_ca)?);
    let verifier = WebPkiClientVerifier::builder_with_provider(roots, provider.clone())
        .allow_unauthenticated()
        .build()?;
    let mut config = ServerConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()?
        .with_client_cert_verifier(verifier)
        .with_single_cert(identity.certs.clone(), identity.key.clone_key())?;
    config.alpn_protocols = vec![ALPN_HTTP11.to_vec()];
    Ok(Arc::new(config))
}

/// Builds a TLS client configuration trusting the CAs in the PEM bundle `ca` and, if `identity`
/// is given, presenting it as client certificate.
///
/// ALPN: only `http/1.1` is offered.
pub fn client_config(
    ca: &Path,
    identity: Option<&TlsIdentity>,
) -> Result<Arc<ClientConfig>, PkiError> {
    let roots = load_ca(ca)?;
    let builder = ClientConfig::builder_with_provider(provider())
        .with_safe_default_protocol_versions()?
        .with_root_certificates(roots);
    let mut config = match identity {
        Some(id) => builder.with_client_auth_cert(id.certs.clone(), id.key.clone_key())?,
        None => builder.with_no_client_auth(),
    };
    config.alpn_protocols = vec![ALPN_HTTP11.to_vec()];
    Ok(Arc::new(config))
}

/// The first attribute of type `oid` in `name` as a non-empty string, if any.
fn name_attribute(name: &X509Name<'_>, oid: &x509_parser::der_parser::Oid<'_>) -> Option<String> {
    name.iter_by_oid(oid)
        .find_map(|attr| attr.as_str().ok())
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(str::to_owned)
}

/// Parses `der` as an X.509 certificate and extracts the subject attribute `oid`.
fn subject_attribute(der: &[u8], oid: &x509_parser::der_parser::Oid<'_>) -> Option<String> {
    let (_, cert) = x509_parser::parse_x509_certificate(der).ok()?;
    name_attribute(cert.subject(), oid)
}

/// The HSA-id of a certificate: the subject's `serialNumber` attribute (OID 2.5.4.5), as in
/// SITHS certificates.
///
/// Returns `None` if `der` is not a certificate or has no (non-empty, string-valued)
/// `serialNumber`. Never panics.
pub fn hsa_id_from_cert(der: &[u8]) -> Option<String> {
    subject_attribute(der, &OID_X509_SERIALNUMBER)
}

/// The subject common name (CN, OID 2.5.4.3) of a certificate, if any. Never panics.
pub fn common_name_from_cert(der: &[u8]) -> Option<String> {
    subject_attribute(der, &OID_X509_COMMON_NAME)
}

/// Who is on the other end of one connection.
///
/// [`serve_tls`](crate::serve_tls) and [`serve_plain`](crate::serve_plain) insert one into the
/// extensions of every request; read it with `axum::Extension<PeerIdentity>`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct PeerIdentity {
    /// HSA-id from the subject `serialNumber` of the verified client certificate, if any.
    pub hsa_id: Option<String>,
    /// Subject common name of the verified client certificate, if any.
    pub common_name: Option<String>,
    /// The TCP peer address.
    pub remote_addr: SocketAddr,
    /// Whether the connection is TLS.
    pub tls: bool,
}

impl PeerIdentity {
    /// Whether this peer is one of `allowed` (HSA-ids). An empty list allows every peer whose
    /// certificate the listener accepted.
    pub fn is_one_of(&self, allowed: &[String]) -> bool {
        allowed.is_empty() || self.hsa_id.as_ref().is_some_and(|h| allowed.contains(h))
    }

    /// The identity of a TLS peer, from the (already verified) certificate chain it presented.
    pub fn from_tls(
        peer_certificates: Option<&[CertificateDer<'_>]>,
        remote_addr: SocketAddr,
    ) -> Self {
        let leaf = peer_certificates.and_then(<[_]>::first);
        PeerIdentity {
            hsa_id: leaf.and_then(|c| hsa_id_from_cert(c)),
            common_name: leaf.and_then(|c| common_name_from_cert(c)),
            remote_addr,
            tls: true,
        }
    }

    /// The identity of a plain-HTTP peer: only its address is known.
    pub fn plain(remote_addr: SocketAddr) -> Self {
        PeerIdentity {
            hsa_id: None,
            common_name: None,
            remote_addr,
            tls: false,
        }
    }
}
