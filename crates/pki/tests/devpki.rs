//! The dev PKI's files, and loading and inspecting certificates.

mod common;

use std::fs;
use std::os::unix::fs::PermissionsExt;

use npo_pki::{
    CertSpec, DevPki, PkiError, TlsIdentity, client_config, common_name_from_cert,
    create_standalone_ca, hsa_id_from_cert, load_ca, server_config,
};
use rustls_pki_types::CertificateDer;
use rustls_pki_types::pem::PemObject;

fn mode(path: &std::path::Path) -> u32 {
    fs::metadata(path).unwrap().permissions().mode() & 0o777
}

#[test]
fn issue_is_idempotent_and_keys_are_private() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("pki");
    let pki = DevPki::open_or_create(&dir, "NPO Dev CA").unwrap();
    assert_eq!(pki.dir(), dir);
    assert_eq!(pki.ca_cert_path(), dir.join("ca.pem"));
    assert_eq!(mode(&dir.join("ca.key")), 0o600);

    let spec = CertSpec::system("SE2321000016-S001", "npo-server");
    let first = pki.issue("server", &spec).unwrap();
    assert_eq!(first.cert_path, dir.join("server.pem"));
    assert_eq!(first.key_path, dir.join("server.key"));
    assert_eq!(mode(&first.key_path), 0o600);
    let cert = fs::read(&first.cert_path).unwrap();
    let key = fs::read(&first.key_path).unwrap();

    // A spec built later (other timestamps) still reuses the certificate.
    let again = pki
        .issue(
            "server",
            &CertSpec::system("SE2321000016-S001", "npo-server"),
        )
        .unwrap();
    assert_eq!(again, first);
    assert_eq!(fs::read(&again.cert_path).unwrap(), cert);
    assert_eq!(fs::read(&again.key_path).unwrap(), key);

    // Reopening keeps the CA, and certificates issued before remain reusable.
    let ca = fs::read(pki.ca_cert_path()).unwrap();
    drop(pki);
    let pki = DevPki::open_or_create(&dir, "Another Name").unwrap();
    assert_eq!(fs::read(pki.ca_cert_path()).unwrap(), ca);
    pki.issue("server", &spec).unwrap();
    assert_eq!(fs::read(&first.cert_path).unwrap(), cert);

    // issue_new always replaces.
    let renewed = pki.issue_new("server", &spec).unwrap();
    assert_ne!(fs::read(&renewed.cert_path).unwrap(), cert);
    assert_ne!(fs::read(&renewed.key_path).unwrap(), key);
    assert_eq!(mode(&renewed.key_path), 0o600);
    // ...and a certificate issued by the reopened CA is reused in turn.
    let renewed_cert = fs::read(&renewed.cert_path).unwrap();
    pki.issue("server", &spec).unwrap();
    assert_eq!(fs::read(&renewed.cert_path).unwrap(), renewed_cert);
}

#[test]
fn issue_replaces_certificates_it_cannot_reuse() {
    let tmp = tempfile::tempdir().unwrap();
    let pki = DevPki::open_or_create(&tmp.path().join("pki"), "NPO Dev CA").unwrap();
    let other = create_standalone_ca(&tmp.path().join("other"), "Other CA").unwrap();
    let spec = CertSpec::person("SE2321000016-A1B2", "Alice");

    // Issued by another CA.
    let foreign = other.issue("alice", &spec).unwrap();
    let mine = pki.issue("alice", &spec).unwrap();
    fs::copy(&foreign.cert_path, &mine.cert_path).unwrap();
    fs::copy(&foreign.key_path, &mine.key_path).unwrap();
    let foreign_cert = fs::read(&mine.cert_path).unwrap();
    pki.issue("alice", &spec).unwrap();
    assert_ne!(fs::read(&mine.cert_path).unwrap(), foreign_cert);

    // Key missing.
    let cert = fs::read(&mine.cert_path).unwrap();
    fs::remove_file(&mine.key_path).unwrap();
    pki.issue("alice", &spec).unwrap();
    assert_ne!(fs::read(&mine.cert_path).unwrap(), cert);

    // Expired.
    let mut expired = spec.clone();
    expired.not_before = time::OffsetDateTime::now_utc() - time::Duration::days(10);
    expired.not_after = time::OffsetDateTime::now_utc() - time::Duration::days(1);
    pki.issue_new("alice", &expired).unwrap();
    let cert = fs::read(&mine.cert_path).unwrap();
    pki.issue("alice", &spec).unwrap();
    assert_ne!(fs::read(&mine.cert_path).unwrap(), cert);

    // Different HSA-id.
    let cert = fs::read(&mine.cert_path).unwrap();
    pki.issue("alice", &CertSpec::person("SE2321000016-ZZZZ", "Alice"))
        .unwrap();
    assert_ne!(fs::read(&mine.cert_path).unwrap(), cert);
}

#[test]
fn invalid_names_and_specs_are_rejected() {
    let tmp = tempfile::tempdir().unwrap();
    let pki = DevPki::open_or_create(tmp.path(), "NPO Dev CA").unwrap();
    let spec = CertSpec::person("SE2321000016-A1B2", "Alice");
    for name in [
        "",
        "ca",
        "../evil",
        ".hidden",
        "a/b",
        "x y",
        &"x".repeat(65),
    ] {
        assert!(
            matches!(pki.issue(name, &spec), Err(PkiError::InvalidName(_))),
            "{name:?} accepted"
        );
    }
    let mut bad = spec.clone();
    bad.not_after = bad.not_before;
    assert!(matches!(
        pki.issue("bad", &bad),
        Err(PkiError::InvalidSpec(_))
    ));
    let mut bad = spec.clone();
    bad.serial_number = Some("SE<script>".into());
    assert!(matches!(
        pki.issue("bad", &bad),
        Err(PkiError::InvalidSpec(_))
    ));
    let mut bad = spec.clone();
    bad.dns_names = vec!["bådo.se".into()];
    assert!(matches!(
        pki.issue("bad", &bad),
        Err(PkiError::InvalidSpec(_))
    ));
    assert!(!tmp.path().join("bad.pem").exists());
}

#[test]
fn ca_without_key_is_an_error_not_silently_replaced() {
    let tmp = tempfile::tempdir().unwrap();
    let pki = DevPki::open_or_create(tmp.path(), "NPO Dev CA").unwrap();
    let ca = fs::read(pki.ca_cert_path()).unwrap();
    fs::remove_file(tmp.path().join("ca.key")).unwrap();
    let err = DevPki::open_or_create(tmp.path(), "NPO Dev CA").unwrap_err();
    assert!(matches!(err, PkiError::BrokenCa { .. }), "{err}");
    assert_eq!(fs::read(pki.ca_cert_path()).unwrap(), ca);

    // A key from another CA does not fit either.
    let other = tempfile::tempdir().unwrap();
    DevPki::open_or_create(other.path(), "Other").unwrap();
    fs::copy(other.path().join("ca.key"), tmp.path().join("ca.key")).unwrap();
    let err = DevPki::open_or_create(tmp.path(), "NPO Dev CA").unwrap_err();
    assert!(matches!(err, PkiError::BrokenCa { .. }), "{err}");

    // Garbage instead of a CA certificate.
    fs::write(tmp.path().join("ca.pem"), "not a certificate").unwrap();
    assert!(DevPki::open_or_create(tmp.path(), "NPO Dev CA").is_err());
}

#[test]
fn loading_bad_files_gives_errors() {
    let tmp = tempfile::tempdir().unwrap();
    let missing = tmp.path().join("missing.pem");
    let garbage = tmp.path().join("garbage.pem");
    fs::write(&garbage, "hello\n").unwrap();
    let broken = tmp.path().join("broken.pem");
    fs::write(
        &broken,
        "-----BEGIN CERTIFICATE-----\n!!!!\n-----END CERTIFICATE-----\n",
    )
    .unwrap();
    let bad_der = tmp.path().join("bad-der.pem");
    fs::write(
        &bad_der,
        "-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n",
    )
    .unwrap();

    assert!(matches!(load_ca(&missing), Err(PkiError::Io { .. })));
    assert!(matches!(
        load_ca(&garbage),
        Err(PkiError::NoCertificate { .. })
    ));
    assert!(matches!(load_ca(&broken), Err(PkiError::Pem { .. })));
    assert!(matches!(
        load_ca(&bad_der),
        Err(PkiError::InvalidCertificate { .. })
    ));
    assert!(client_config(&missing, None).is_err());

    let pki = DevPki::open_or_create(&tmp.path().join("pki"), "NPO Dev CA").unwrap();
    let a = pki.issue("a", &CertSpec::system("SE1-A", "a")).unwrap();
    let b = pki.issue("b", &CertSpec::system("SE1-B", "b")).unwrap();
    assert!(matches!(
        TlsIdentity::from_pem_files(&missing, &a.key_path),
        Err(PkiError::Io { .. })
    ));
    assert!(TlsIdentity::from_pem_files(&a.cert_path, &missing).is_err());
    assert!(TlsIdentity::from_pem_files(&a.cert_path, &garbage).is_err());
    // The certificate file holds no key.
    assert!(TlsIdentity::from_pem_files(&a.cert_path, &a.cert_path).is_err());

    // Key of another certificate.
    let mismatched = TlsIdentity::from_pem_files(&a.cert_path, &b.key_path).unwrap();
    assert!(server_config(&mismatched, None).is_err());
    assert!(client_config(&pki.ca_cert_path(), Some(&mismatched)).is_err());

    let good = a.identity().unwrap();
    assert!(server_config(&good, Some(&garbage)).is_err());
    let config = server_config(&good.clone(), Some(&pki.ca_cert_path())).unwrap();
    assert_eq!(config.alpn_protocols, vec![b"http/1.1".to_vec()]);
    let config = client_config(&pki.ca_cert_path(), Some(&good)).unwrap();
    assert_eq!(config.alpn_protocols, vec![b"http/1.1".to_vec()]);
}

#[test]
fn hsa_id_and_common_name_are_read_from_the_subject() {
    let tmp = tempfile::tempdir().unwrap();
    let pki = DevPki::open_or_create(tmp.path(), "NPO Dev CA").unwrap();
    let mut spec = CertSpec::person("SE2321000016-A1B2", "Åsa Öberg");
    spec.organization = Some("Region Exempel".into());
    let issued = pki.issue("asa", &spec).unwrap();
    let der = CertificateDer::from_pem_file(&issued.cert_path).unwrap();
    assert_eq!(hsa_id_from_cert(&der).as_deref(), Some("SE2321000016-A1B2"));
    assert_eq!(common_name_from_cert(&der).as_deref(), Some("Åsa Öberg"));

    // The CA has no serialNumber.
    let ca = CertificateDer::from_pem_file(pki.ca_cert_path()).unwrap();
    assert_eq!(hsa_id_from_cert(&ca), None);
    assert_eq!(common_name_from_cert(&ca).as_deref(), Some("NPO Dev CA"));

    // Every truncation and a few bit flips of a real certificate: no panic.
    for len in 0..der.len() {
        let _ = hsa_id_from_cert(&der[..len]);
    }
    for i in 0..der.len() {
        let mut flipped = der.to_vec();
        flipped[i] ^= 0x5a;
        let _ = hsa_id_from_cert(&flipped);
        let _ = common_name_from_cert(&flipped);
    }
}

#[test]
fn hsa_id_of_random_bytes_is_none() {
    // xorshift64*: deterministic, no extra dependency.
    let mut state: u64 = 0x9E37_79B9_7F4A_7C15;
    let mut next = move || {
        state ^= state >> 12;
        state ^= state << 25;
        state ^= state >> 27;
        state.wrapping_mul(0x2545_F491_4F6C_DD1D)
    };
    for round in 0..2000 {
        let len = (next() % 600) as usize;
        let mut bytes: Vec<u8> = (0..len).map(|_| next() as u8).collect();
        if round % 2 == 0 && !bytes.is_empty() {
            // Look like a DER SEQUENCE to get past the first check.
            bytes[0] = 0x30;
        }
        assert_eq!(hsa_id_from_cert(&bytes), None);
        assert_eq!(common_name_from_cert(&bytes), None);
    }
    assert_eq!(hsa_id_from_cert(&[]), None);
}
