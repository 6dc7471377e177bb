//! Transport security: implicit TLS (`imaps://`) or STARTTLS, checked against the Mozilla roots or an
//! operator's CA file. Plaintext is allowed only to a loopback address, where nothing crosses a network.
use std::io;
use std::net::IpAddr;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use tokio_rustls::rustls::pki_types::pem::PemObject;
use tokio_rustls::rustls::pki_types::{CertificateDer, ServerName};
use tokio_rustls::rustls::{ClientConfig, RootCertStore};
use tokio_rustls::TlsConnector;

/// How a connection is protected.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Security {
    /// TLS from the first byte (`imaps://`, usually port 993).
    Tls,
    /// STARTTLS on the plain port (`imap://`). Required, except to a loopback address, where a server
    /// that does not offer it is spoken to in plain text.
    StartTls,
}

/// Which certificates a TLS connection trusts.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Trust {
    /// PEM file of the CA(s) that signed the server's certificate (an internal CA, or a self-signed
    /// certificate to pin). Without it, the Mozilla root programme's CAs are trusted.
    pub ca_file: Option<PathBuf>,
}

#[derive(Debug, thiserror::Error)]
pub enum TlsError {
    #[error("cannot read the CA file {path}: {source}")]
    CaFile { path: PathBuf, source: io::Error },
    #[error("the CA file {path} holds no PEM certificate")]
    CaFileEmpty { path: PathBuf },
    #[error("{host:?} is not a valid TLS server name")]
    Name { host: String },
}

/// Whether plain text to this host stays on the machine.
pub fn is_loopback(host: &str) -> bool {
    host.eq_ignore_ascii_case("localhost")
        || host
            .trim_start_matches('[')
            .trim_end_matches(']')
            .parse::<IpAddr>()
            .is_ok_and(|ip| ip.is_loopback())
}

/// A connector trusting `trust`. Built per connection: connections are few and long, and a CA file
/// replaced on disk is picked up without a restart.
pub fn connector(trust: &Trust) -> Result<TlsConnector, TlsError> {
    let mut roots = RootCertStore::empty();
    match &trust.ca_file {
        Some(path) => {
            for cert in read_pem(path)? {
                // A certificate the parser cannot use is skipped; an empty result is reported below.
                let _ = roots.add(cert);
            }
            if roots.is_empty() {
                return Err(TlsError::CaFileEmpty { path: path.clone() });
            }
        }
        None => roots.extend(webpki_roots::TLS_SERVER_ROOTS.iter().cloned()),
    }
    let provider = Arc::new(tokio_rustls::rustls::crypto::ring::default_provider());
    let config = ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .expect("ring supports the default TLS versions")
        .with_root_certificates(roots)
        .with_no_client_auth();
    Ok(TlsConnector::from(Arc::new(config)))
}

fn read_pem(path: &Path) -> Result<Vec<CertificateDer<'static>>, TlsError> {
    let bytes = std::fs::read(path).map_err(|source| TlsError::CaFile {
        path: path.to_owned(),
        source,
    })?;
    Ok(CertificateDer::pem_slice_iter(&bytes)
        .filter_map(Result::ok)
        .collect())
}

pub fn server_name(host: &str) -> Result<ServerName<'static>, TlsError> {
    let bare = host.trim_start_matches('[').trim_end_matches(']');
    ServerName::try_from(bare.to_owned()).map_err(|_| TlsError::Name {
        host: host.to_owned(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn loopback_hosts() {
        for host in [
            "127.0.0.1",
            "127.8.9.1",
            "::1",
            "[::1]",
            "localhost",
            "LOCALHOST",
        ] {
            assert!(is_loopback(host), "{host}");
        }
        for host in [
            "10.0.0.1",
            "mail.example.org",
            "localhost.example.org",
            "::2",
        ] {
            assert!(!is_loopback(host), "{host}");
        }
    }

    #[test]
    fn ca_file_problems_are_named() {
        let missing = Trust {
            ca_file: Some("/nonexistent/ca.pem".into()),
        };
        let err = connector(&missing).err().unwrap().to_string();
        assert!(err.contains("/nonexistent/ca.pem"), "{err}");

        let empty = tempfile::NamedTempFile::new().unwrap();
        let err = connector(&Trust {
            ca_file: Some(empty.path().to_owned()),
        })
        .err()
        .unwrap();
        assert!(matches!(err, TlsError::CaFileEmpty { .. }), "{err}");
        assert!(connector(&Trust::default()).is_ok());
    }

    #[test]
    fn server_names() {
        assert!(server_name("mail.example.org").is_ok());
        assert!(server_name("127.0.0.1").is_ok());
        assert!(server_name("[::1]").is_ok());
        assert!(server_name("bad name").is_err());
    }
}
