//! Transport security: extra trusted CA certificates (`--ca-file`) and the
//! warning about plain `http://` to another machine.
//!
//! Certificates are always verified (rustls with the platform verifier: the
//! system's CA certificates, e.g. `/etc/ssl/certs`, or `SSL_CERT_FILE` /
//! `SSL_CERT_DIR` when set); `--ca-file` adds certificates to those roots, it
//! does not replace them.

use std::path::Path;

use rustls::RootCertStore;
use rustls::pki_types::CertificateDer;
use rustls::pki_types::pem::PemObject;
use url::{Host, Url};

use crate::error::Error;

/// Environment variable naming a PEM file of extra CA certificates.
pub const CA_FILE_ENV: &str = "STOCK_API_CA_FILE";

/// Reads the PEM certificates of `path`, each checked as a usable trust
/// anchor. An unreadable file, or one without any certificate, is a usage
/// error.
pub fn load_ca_file(path: &Path) -> Result<Vec<CertificateDer<'static>>, Error> {
    let shown = path.display();
    let bytes = std::fs::read(path)
        .map_err(|e| Error::Usage(format!("--ca-file {shown}: cannot read the file: {e}")))?;
    let certs = CertificateDer::pem_slice_iter(&bytes)
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| {
            Error::Usage(format!(
                "--ca-file {shown}: not a valid PEM file of certificates ({e})"
            ))
        })?;
    if certs.is_empty() {
        return Err(Error::Usage(format!(
            "--ca-file {shown}: no certificate found (expected PEM blocks \
             \"-----BEGIN CERTIFICATE-----\")"
        )));
    }
    for (n, cert) in certs.iter().enumerate() {
        RootCertStore::empty().add(cert.clone()).map_err(|e| {
            Error::Usage(format!(
                "--ca-file {shown}: certificate {} of {} cannot be used as a CA certificate: {e}",
                n + 1,
                certs.len()
            ))
        })?;
    }
    Ok(certs)
}

/// The warning to log once when `base` is plain `http://` to a host that is
/// not this machine (anything but `localhost`, 127.0.0.0/8 and `::1`).
pub fn plain_http_warning(base: &Url) -> Option<String> {
    if base.scheme() != "http" || base.host().as_ref().is_none_or(is_loopback) {
        return None;
    }
    let host = base.host_str().unwrap_or_default();
    Some(format!(
        "the stock API URL uses plain http:// to a non-local host ({host}): \
         the token and quantities travel unencrypted; use https://"
    ))
}

fn is_loopback(host: &Host<&str>) -> bool {
    match host {
        Host::Domain(name) => {
            let name: &str = name;
            let name = name.strip_suffix('.').unwrap_or(name);
            name.eq_ignore_ascii_case("localhost")
        }
        Host::Ipv4(ip) => ip.is_loopback(),
        Host::Ipv6(ip) => {
            ip.is_loopback() || ip.to_ipv4_mapped().is_some_and(|v4| v4.is_loopback())
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn warns(url: &str) -> bool {
        plain_http_warning(&Url::parse(url).unwrap()).is_some()
    }

    #[test]
    fn plain_http_to_other_hosts_warns() {
        for url in [
            "http://stock.example.invalid",
            "http://api.example.com:8080/v1",
            "http://mock-api:5000",
            "http://10.1.2.3",
            "http://192.168.0.10:5000",
            "http://[2001:db8::1]",
            "http://localhost.example.com",
            "http://128.0.0.1",
            "http://0.0.0.0",
        ] {
            assert!(warns(url), "{url}");
        }
        let message =
            plain_http_warning(&Url::parse("http://api.example.com:8080/v1").unwrap()).unwrap();
        assert!(message.contains("(api.example.com)"), "{message}");
        assert!(message.contains("unencrypted"), "{message}");
    }

    #[test]
    fn loopback_and_https_do_not_warn() {
        for url in [
            "http://localhost",
            "http://LOCALHOST:5000",
            "http://localhost.:5000",
            "http://127.0.0.1:5000",
            "http://127.1.2.3",
            "http://[::1]:5000",
            "http://[::ffff:127.0.0.1]",
            "https://api.example.com",
            "https://10.1.2.3",
        ] {
            assert!(!warns(url), "{url}");
        }
    }

    #[test]
    fn ca_file_errors_are_usage_errors() {
        let dir = std::env::temp_dir().join(format!("sync-cli-tls-test-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let missing = dir.join("missing.pem");
        let err = load_ca_file(&missing).unwrap_err();
        assert!(err.is_usage());
        assert!(err.to_string().contains("cannot read the file"), "{err}");

        let empty = dir.join("empty.pem");
        std::fs::write(&empty, "not a certificate\n").unwrap();
        let err = load_ca_file(&empty).unwrap_err();
        assert!(err.is_usage());
        assert!(err.to_string().contains("no certificate found"), "{err}");

        let garbage = dir.join("garbage.pem");
        std::fs::write(
            &garbage,
            "-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n",
        )
        .unwrap();
        let err = load_ca_file(&garbage).unwrap_err();
        assert!(err.is_usage());
        assert!(err.to_string().contains("cannot be used"), "{err}");

        let broken = dir.join("broken.pem");
        std::fs::write(&broken, "-----BEGIN CERTIFICATE-----\n!!!!\n").unwrap();
        let err = load_ca_file(&broken).unwrap_err();
        assert!(err.is_usage(), "{err}");

        let _ = std::fs::remove_dir_all(&dir);
    }
}
