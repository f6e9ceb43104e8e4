//! The project's development PKI: a file-based CA issuing SITHS-like certificates.
//!
//! Layout of a PKI directory:
//!
//! | file            | content                                   | mode |
//! |-----------------|-------------------------------------------|------|
//! | `ca.pem`        | the CA certificate (trust anchor)         | 0644 |
//! | `ca.key`        | the CA private key (PKCS#8 PEM)           | 0600 |
//! | `<name>.pem`    | an issued certificate                     | 0644 |
//! | `<name>.key`    | its private key (PKCS#8 PEM)              | 0600 |
//! | `.lock`         | advisory lock serialising writers         |      |
//!
//! HSA-ids are put in the subject `serialNumber` attribute (OID 2.5.4.5), as in SITHS
//! certificates, so [`hsa_id_from_cert`](crate::hsa_id_from_cert) finds them.
//!
//! This is for the demo and tests only; a real deployment uses real SITHS certificates.

use std::fs::{self, File, OpenOptions};
use std::io::{self, Write};
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};
use std::path::{Path, PathBuf};

use rcgen::string::{Ia5String, PrintableString};
use rcgen::{
    BasicConstraints, CertificateParams, DistinguishedName, DnType, DnValue,
    ExtendedKeyUsagePurpose, IsCa, Issuer, KeyIdMethod, KeyPair, KeyUsagePurpose, PublicKeyData,
    SanType,
};
use rustls_pki_types::CertificateDer;
use rustls_pki_types::pem::PemObject;
use time::{Duration, OffsetDateTime};
use x509_parser::der_parser::asn1_rs::Tag;
use x509_parser::extensions::ParsedExtension;
use x509_parser::oid_registry::{OID_X509_COMMON_NAME, OID_X509_SERIALNUMBER};
use x509_parser::x509::X509Name;

use crate::PkiError;
use crate::tls::TlsIdentity;

/// OID of the X.520 `serialNumber` attribute, where SITHS puts the HSA-id.
const SERIAL_NUMBER_OID: [u64; 4] = [2, 5, 4, 5];
/// Validity of a newly created CA.
const CA_VALIDITY: Duration = Duration::days(10 * 365);
/// Validity of the certificates made by [`CertSpec::system`] and [`CertSpec::person`].
const LEAF_VALIDITY: Duration = Duration::days(2 * 365);
/// How far back `not_before` is set, to tolerate clock skew.
const BACKDATE: Duration = Duration::days(1);

/// What a certificate may be used for (its extended key usage).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum CertUsage {
    /// TLS server authentication only.
    Server,
    /// TLS client authentication only.
    Client,
    /// Both TLS server and client authentication (system/function certificates).
    ServerAndClient,
}

impl CertUsage {
    fn extended_key_usages(self) -> Vec<ExtendedKeyUsagePurpose> {
        match self {
            CertUsage::Server => vec![ExtendedKeyUsagePurpose::ServerAuth],
            CertUsage::Client => vec![ExtendedKeyUsagePurpose::ClientAuth],
            CertUsage::ServerAndClient => vec![
                ExtendedKeyUsagePurpose::ServerAuth,
                ExtendedKeyUsagePurpose::ClientAuth,
            ],
        }
    }
}

/// What to put in a certificate issued by [`DevPki`].
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CertSpec {
    /// Subject common name (CN).
    pub common_name: String,
    /// HSA-id, put in the subject `serialNumber` attribute (OID 2.5.4.5).
    pub serial_number: Option<String>,
    /// Subject organization (O).
    pub organization: Option<String>,
    /// SubjectAltName DNS names.
    pub dns_names: Vec<String>,
    /// SubjectAltName IP addresses.
    pub ip_addresses: Vec<IpAddr>,
    /// Extended key usage.
    pub usage: CertUsage,
    /// Start of validity.
    pub not_before: OffsetDateTime,
    /// End of validity.
    pub not_after: OffsetDateTime,
}

impl CertSpec {
    /// A system (function) certificate: CN = `common_name`, serialNumber = `hsa_id`, valid for
    /// `localhost`, `127.0.0.1` and `::1`, usable as server and client, valid from now − 1 day
    /// for 2 years.
    pub fn system(hsa_id: &str, common_name: &str) -> CertSpec {
        let now = OffsetDateTime::now_utc();
        CertSpec {
            common_name: common_name.to_owned(),
            serial_number: Some(hsa_id.to_owned()),
            organization: None,
            dns_names: vec!["localhost".to_owned()],
            ip_addresses: vec![
                IpAddr::V4(Ipv4Addr::LOCALHOST),
                IpAddr::V6(Ipv6Addr::LOCALHOST),
            ],
            usage: CertUsage::ServerAndClient,
            not_before: now - BACKDATE,
            not_after: now + LEAF_VALIDITY,
        }
    }

    /// A personal (SITHS-style) client certificate: CN = `name`, serialNumber = `hsa_id`, client
    /// usage only, valid from now − 1 day for 2 years.
    pub fn person(hsa_id: &str, name: &str) -> CertSpec {
        let now = OffsetDateTime::now_utc();
        CertSpec {
            common_name: name.to_owned(),
            serial_number: Some(hsa_id.to_owned()),
            organization: None,
            dns_names: Vec::new(),
            ip_addresses: Vec::new(),
            usage: CertUsage::Client,
            not_before: now - BACKDATE,
            not_after: now + LEAF_VALIDITY,
        }
    }

    /// The rcgen parameters for this spec.
    fn to_params(&self) -> Result<CertificateParams, PkiError> {
        if self.common_name.trim().is_empty() {
            return Err(PkiError::InvalidSpec("common name is empty".into()));
        }
        if self.not_before >= self.not_after {
            return Err(PkiError::InvalidSpec(format!(
                "not_before ({}) is not before not_after ({})",
                self.not_before, self.not_after
            )));
        }
        let mut dn = DistinguishedName::new();
        if let Some(org) = &self.organization {
            dn.push(DnType::OrganizationName, org.as_str());
        }
        dn.push(DnType::CommonName, self.common_name.as_str());
        if let Some(serial) = &self.serial_number {
            if serial.trim().is_empty() {
                return Err(PkiError::InvalidSpec(
                    "serialNumber (HSA-id) is empty".into(),
                ));
            }
            // X.520 defines serialNumber as a PrintableString, which every HSA-id is.
            let value = PrintableString::try_from(serial.as_str()).map_err(|_| {
                PkiError::InvalidSpec(format!(
                    "serialNumber (HSA-id) {serial:?} is not a PrintableString"
                ))
            })?;
            dn.push(
                DnType::CustomDnType(SERIAL_NUMBER_OID.to_vec()),
                DnValue::PrintableString(value),
            );
        }

        let mut sans = Vec::with_capacity(self.dns_names.len() + self.ip_addresses.len());
        for name in &self.dns_names {
            let name = Ia5String::try_from(name.as_str())
                .map_err(|_| PkiError::InvalidSpec(format!("invalid DNS name {name:?}")))?;
            sans.push(SanType::DnsName(name));
        }
        sans.extend(self.ip_addresses.iter().copied().map(SanType::IpAddress));

        let mut params = CertificateParams::default();
        params.distinguished_name = dn;
        params.subject_alt_names = sans;
        params.is_ca = IsCa::ExplicitNoCa;
        params.key_usages = vec![KeyUsagePurpose::DigitalSignature];
        params.extended_key_usages = self.usage.extended_key_usages();
        params.use_authority_key_identifier_extension = true;
        params.not_before = self.not_before;
        params.not_after = self.not_after;
        Ok(params)
    }
}

/// Paths of a certificate issued by [`DevPki`].
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct IssuedCert {
    /// The PEM certificate (`<dir>/<name>.pem`).
    pub cert_path: PathBuf,
    /// The PEM private key (`<dir>/<name>.key`, mode 0600).
    pub key_path: PathBuf,
}

impl IssuedCert {
    /// Loads the certificate and key as a [`TlsIdentity`].
    pub fn identity(&self) -> Result<TlsIdentity, PkiError> {
        TlsIdentity::from_pem_files(&self.cert_path, &self.key_path)
    }
}

/// A development certificate authority stored in a directory (see the [module docs](self)).
#[derive(Debug)]
pub struct DevPki {
    dir: PathBuf,
    /// DER of the CA certificate.
    ca_der: CertificateDer<'static>,
    /// Signs new certificates; its distinguished name is the CA subject.
    issuer: Issuer<'static, KeyPair>,
}

/// Creates (or opens) a CA in `dir` that is unrelated to the project's dev CA, e.g. to test that
/// certificates from an unknown CA are refused.
///
/// This is exactly [`DevPki::open_or_create`]: any PKI directory other than the dev PKI's is a
/// separate CA. Use a different directory than the dev PKI's.
pub fn create_standalone_ca(dir: &Path, common_name: &str) -> Result<DevPki, PkiError> {
    DevPki::open_or_create(dir, common_name)
}

impl DevPki {
    /// Opens the PKI in `dir`, creating the directory and, if `ca.pem` is missing, a new CA named
    /// `ca_common_name` (an existing CA keeps its name).
    ///
    /// Fails if `ca.pem` exists but `ca.key` is missing or does not belong to it: silently
    /// replacing a CA would break everything that trusts it.
    pub fn open_or_create(dir: &Path, ca_common_name: &str) -> Result<DevPki, PkiError> {
        fs::create_dir_all(dir).map_err(|e| PkiError::io(dir, e))?;
        let _lock = lock_dir(dir)?;
        let cert_path = dir.join("ca.pem");
        let key_path = dir.join("ca.key");
        if !exists(&cert_path)? {
            create_ca(&cert_path, &key_path, ca_common_name)?;
        }
        Self::load(dir, &cert_path, &key_path)
    }

    /// Loads an existing CA.
    fn load(dir: &Path, cert_path: &Path, key_path: &Path) -> Result<DevPki, PkiError> {
        let broken = |reason: String| PkiError::BrokenCa {
            dir: dir.to_owned(),
            reason,
        };
        let ca_der =
            CertificateDer::from_pem_file(cert_path).map_err(|e| PkiError::pem(cert_path, e))?;
        let key_pem = match fs::read_to_string(key_path) {
            Ok(pem) => pem,
            Err(e) if e.kind() == io::ErrorKind::NotFound => {
                return Err(broken(format!(
                    "{} exists but {} is missing",
                    cert_path.display(),
                    key_path.display()
                )));
            }
            Err(e) => return Err(PkiError::io(key_path, e)),
        };
        let key = KeyPair::from_pem(&key_pem)
            .map_err(|e| broken(format!("cannot read {}: {e}", key_path.display())))?;
        let (_, cert) = x509_parser::parse_x509_certificate(&ca_der).map_err(|e| {
            PkiError::InvalidCertificate {
                path: cert_path.to_owned(),
                reason: e.to_string(),
            }
        })?;
        if cert.public_key().raw != key.subject_public_key_info().as_slice() {
            return Err(broken(format!(
                "{} does not belong to {}",
                key_path.display(),
                cert_path.display()
            )));
        }
        let distinguished_name = dn_from_x509(cert.subject()).ok_or_else(|| {
            broken(format!(
                "unsupported subject name in {}",
                cert_path.display()
            ))
        })?;
        let key_identifier_method = cert
            .iter_extensions()
            .find_map(|ext| match ext.parsed_extension() {
                ParsedExtension::SubjectKeyIdentifier(id) => {
                    Some(KeyIdMethod::PreSpecified(id.0.to_vec()))
                }
                _ => None,
            })
            .unwrap_or(KeyIdMethod::Sha256);
        let mut params = CertificateParams::default();
        params.distinguished_name = distinguished_name;
        params.key_identifier_method = key_identifier_method;
        params.key_usages = vec![KeyUsagePurpose::KeyCertSign, KeyUsagePurpose::CrlSign];
        let issuer = Issuer::new(params, key);
        Ok(DevPki {
            dir: dir.to_owned(),
            ca_der,
            issuer,
        })
    }

    /// The CA certificate, `<dir>/ca.pem`: the trust anchor for everything this PKI issues.
    pub fn ca_cert_path(&self) -> PathBuf {
        self.dir.join("ca.pem")
    }

    /// The PKI directory.
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// Returns the certificate `<dir>/<name>.pem` with key `<dir>/<name>.key`, issuing it first
    /// unless both files exist, the certificate is currently valid, was signed by this CA,
    /// matches the key, and has the common name and serialNumber of `spec` (other fields of
    /// `spec`, notably the validity period, are not compared). Idempotent.
    ///
    /// `name` must be 1–64 characters from `[A-Za-z0-9._-]`, not start with `.`, and not be `ca`.
    pub fn issue(&self, name: &str, spec: &CertSpec) -> Result<IssuedCert, PkiError> {
        let issued = self.paths(name)?;
        let _lock = lock_dir(&self.dir)?;
        if self.is_reusable(&issued, spec) {
            return Ok(issued);
        }
        self.write_new(issued, spec)
    }

    /// Always issues a new certificate and key for `name`, overwriting existing files.
    ///
    /// `name` must be 1–64 characters from `[A-Za-z0-9._-]`, not start with `.`, and not be `ca`.
    pub fn issue_new(&self, name: &str, spec: &CertSpec) -> Result<IssuedCert, PkiError> {
        let issued = self.paths(name)?;
        let _lock = lock_dir(&self.dir)?;
        self.write_new(issued, spec)
    }

    /// Validates `name` and returns the file paths for it.
    fn paths(&self, name: &str) -> Result<IssuedCert, PkiError> {
        let valid = !name.is_empty()
            && name.len() <= 64
            && !name.starts_with('.')
            && name != "ca"
            && name
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'_' | b'-'));
        if !valid {
            return Err(PkiError::InvalidName(name.to_owned()));
        }
        Ok(IssuedCert {
            cert_path: self.dir.join(format!("{name}.pem")),
            key_path: self.dir.join(format!("{name}.key")),
        })
    }

    /// Whether the existing files of `issued` can be handed out again for `spec`.
    fn is_reusable(&self, issued: &IssuedCert, spec: &CertSpec) -> bool {
        let Ok(der) = CertificateDer::from_pem_file(&issued.cert_path) else {
            return false;
        };
        let Some(key) = fs::read_to_string(&issued.key_path)
            .ok()
            .and_then(|pem| KeyPair::from_pem(&pem).ok())
        else {
            return false;
        };
        let Ok((_, cert)) = x509_parser::parse_x509_certificate(&der) else {
            return false;
        };
        let Ok((_, ca)) = x509_parser::parse_x509_certificate(&self.ca_der) else {
            return false;
        };
        let subject = cert.subject();
        cert.validity().is_valid()
            && cert.issuer().as_raw() == ca.subject().as_raw()
            && cert.verify_signature(Some(ca.public_key())).is_ok()
            && cert.public_key().raw == key.subject_public_key_info().as_slice()
            && first_string(subject, &OID_X509_COMMON_NAME).as_deref()
                == Some(spec.common_name.as_str())
            && first_string(subject, &OID_X509_SERIALNUMBER) == spec.serial_number
    }

    /// Generates a key and certificate for `spec` and writes them (key first, mode 0600).
    fn write_new(&self, issued: IssuedCert, spec: &CertSpec) -> Result<IssuedCert, PkiError> {
        let params = spec.to_params()?;
        let key = KeyPair::generate()?;
        let cert = params.signed_by(&key, &self.issuer)?;
        self.check_issuer(cert.der())?;
        write_atomic(&issued.key_path, key.serialize_pem().as_bytes(), true)?;
        write_atomic(&issued.cert_path, cert.pem().as_bytes(), false)?;
        Ok(issued)
    }

    /// Makes sure a freshly signed certificate names the CA exactly as the CA certificate does
    /// (certificate path building compares the names byte for byte).
    fn check_issuer(&self, der: &[u8]) -> Result<(), PkiError> {
        let broken = |reason: &str| PkiError::BrokenCa {
            dir: self.dir.clone(),
            reason: reason.to_owned(),
        };
        let (_, cert) = x509_parser::parse_x509_certificate(der)
            .map_err(|_| broken("generated an unparsable certificate"))?;
        let (_, ca) = x509_parser::parse_x509_certificate(&self.ca_der)
            .map_err(|_| broken("CA certificate is unparsable"))?;
        if cert.issuer().as_raw() != ca.subject().as_raw() {
            return Err(broken("issuer name does not match the CA subject name"));
        }
        Ok(())
    }
}

/// Creates a self-signed CA certificate and key.
fn create_ca(cert_path: &Path, key_path: &Path, common_name: &str) -> Result<(), PkiError> {
    if common_name.trim().is_empty() {
        return Err(PkiError::InvalidSpec("CA common name is empty".into()));
    }
    let now = OffsetDateTime::now_utc();
    let mut params = CertificateParams::default();
    params
        .distinguished_name
        .push(DnType::CommonName, common_name);
    // Path length 0: the dev CA issues leaf certificates only.
    params.is_ca = IsCa::Ca(BasicConstraints::Constrained(0));
    params.key_usages = vec![
        KeyUsagePurpose::KeyCertSign,
        KeyUsagePurpose::CrlSign,
        KeyUsagePurpose::DigitalSignature,
    ];
    params.not_before = now - BACKDATE;
    params.not_after = now + CA_VALIDITY;
    let key = KeyPair::generate()?;
    let cert = params.self_signed(&key)?;
    // Key first: the certificate's presence marks a complete CA.
    write_atomic(key_path, key.serialize_pem().as_bytes(), true)?;
    write_atomic(cert_path, cert.pem().as_bytes(), false)?;
    Ok(())
}

/// The first string value of attribute `oid` in `name`.
fn first_string(name: &X509Name<'_>, oid: &x509_parser::der_parser::Oid<'_>) -> Option<String> {
    name.iter_by_oid(oid)
        .next()
        .and_then(|attr| attr.as_str().ok())
        .map(str::to_owned)
}

/// Converts a parsed name back into an rcgen name with the same encoding, for the string types
/// this module writes. `None` for anything else.
fn dn_from_x509(name: &X509Name<'_>) -> Option<DistinguishedName> {
    let mut dn = DistinguishedName::new();
    for rdn in name.iter() {
        let mut attrs = rdn.iter();
        let attr = attrs.next()?;
        if attrs.next().is_some() {
            return None; // multi-valued RDNs are not supported by rcgen
        }
        let oid: Vec<u64> = attr.attr_type().iter()?.collect();
        let value = attr.attr_value();
        let text = std::str::from_utf8(value.data).ok()?;
        let value = match value.header.tag() {
            Tag::Utf8String => DnValue::Utf8String(text.to_owned()),
            Tag::PrintableString => DnValue::PrintableString(text.try_into().ok()?),
            Tag::Ia5String => DnValue::Ia5String(text.try_into().ok()?),
            _ => return None,
        };
        dn.push(DnType::from_oid(&oid), value);
    }
    Some(dn)
}

/// Whether `path` exists (errors other than "not found" are reported).
fn exists(path: &Path) -> Result<bool, PkiError> {
    path.try_exists().map_err(|e| PkiError::io(path, e))
}

/// Takes the exclusive advisory lock of a PKI directory, serialising writers across threads and
/// processes. Released when the returned file is dropped.
fn lock_dir(dir: &Path) -> Result<File, PkiError> {
    let path = dir.join(".lock");
    let file = OpenOptions::new()
        .create(true)
        .truncate(false)
        .write(true)
        .open(&path)
        .map_err(|e| PkiError::io(&path, e))?;
    file.lock().map_err(|e| PkiError::io(&path, e))?;
    Ok(file)
}

/// Writes `contents` to `path` via a temporary file and a rename, so readers never see a partial
/// file. Secret files get mode 0600 (on Unix).
fn write_atomic(path: &Path, contents: &[u8], secret: bool) -> Result<(), PkiError> {
    let file_name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let tmp = path.with_file_name(format!(".{file_name}.tmp"));
    // A leftover temporary file might have other permissions; start afresh.
    match fs::remove_file(&tmp) {
        Ok(()) => {}
        Err(e) if e.kind() == io::ErrorKind::NotFound => {}
        Err(e) => return Err(PkiError::io(&tmp, e)),
    }
    let mut options = OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(if secret { 0o600 } else { 0o644 });
    }
    #[cfg(not(unix))]
    let _ = secret;
    let result = options.open(&tmp).and_then(|mut file| {
        // The mode given at creation is reduced by the umask; make sure it is exact.
        #[cfg(unix)]
        if secret {
            use std::os::unix::fs::PermissionsExt;
            file.set_permissions(fs::Permissions::from_mode(0o600))?;
        }
        file.write_all(contents)?;
        file.sync_all()
    });
    if let Err(e) = result.and_then(|()| fs::rename(&tmp, path)) {
        let _ = fs::remove_file(&tmp);
        return Err(PkiError::io(path, e));
    }
    Ok(())
}
