//! The crate's error type.

use std::path::PathBuf;

/// Everything that can go wrong when creating, loading or using certificates.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum PkiError {
    /// A file or directory could not be read, written or created.
    #[error("I/O error on {}: {source}", path.display())]
    Io {
        /// The file or directory concerned.
        path: PathBuf,
        /// The underlying error.
        #[source]
        source: std::io::Error,
    },
    /// A PEM file could not be parsed.
    #[error("invalid PEM in {}: {source}", path.display())]
    Pem {
        /// The offending file.
        path: PathBuf,
        /// The underlying error.
        #[source]
        source: rustls_pki_types::pem::Error,
    },
    /// A PEM file that should contain at least one certificate contains none.
    #[error("no certificate found in {}", path.display())]
    NoCertificate {
        /// The offending file.
        path: PathBuf,
    },
    /// A certificate is not usable (unparsable DER, rejected as trust anchor, ...).
    #[error("invalid certificate in {}: {reason}", path.display())]
    InvalidCertificate {
        /// The offending file.
        path: PathBuf,
        /// Why it was rejected.
        reason: String,
    },
    /// The CA certificate exists but its private key is missing or does not belong to it.
    #[error("dev CA in {} is unusable: {reason}", dir.display())]
    BrokenCa {
        /// The PKI directory.
        dir: PathBuf,
        /// What is wrong.
        reason: String,
    },
    /// A certificate name passed to [`DevPki::issue`](crate::DevPki::issue) is not a safe file stem.
    #[error(
        "invalid certificate name {0:?}: use 1-64 characters from [A-Za-z0-9._-], not starting with '.', and not \"ca\""
    )]
    InvalidName(String),
    /// A [`CertSpec`](crate::CertSpec) cannot be turned into a certificate.
    #[error("invalid certificate spec: {0}")]
    InvalidSpec(String),
    /// Certificate or key generation failed.
    #[error("certificate generation failed: {0}")]
    Generation(#[from] rcgen::Error),
    /// rustls refused the configuration (e.g. a key that does not match its certificate).
    #[error("TLS configuration error: {0}")]
    Tls(#[from] rustls::Error),
    /// The client-certificate verifier could not be built (e.g. an empty CA bundle).
    #[error("client certificate verifier error: {0}")]
    Verifier(#[from] rustls::server::VerifierBuilderError),
}

impl PkiError {
    /// Shorthand for [`PkiError::Io`].
    pub(crate) fn io(path: impl Into<PathBuf>, source: std::io::Error) -> Self {
        PkiError::Io {
            path: path.into(),
            source,
        }
    }

    /// Maps a PEM error, keeping I/O errors (e.g. a missing file) as [`PkiError::Io`].
    pub(crate) fn pem(path: impl Into<PathBuf>, source: rustls_pki_types::pem::Error) -> Self {
        match source {
            rustls_pki_types::pem::Error::Io(source) => PkiError::Io {
                path: path.into(),
                source,
            },
            source => PkiError::Pem {
                path: path.into(),
                source,
            },
        }
    }
}
