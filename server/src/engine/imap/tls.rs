//! Transport security: implicit TLS (`imaps://`) or STARTTLS, checked against the Mozilla roots or an
//! operator's CA file. Plaintext is allowed only to a loopback address, where nothing crosses a network.
use std::io;
use std::net::IpAddr;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use tokio_rustls::rustls;
use tokio_rustls::rustls::client::danger::{
    HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier,
};
use tokio_rustls::rustls::client::WebPkiServerVerifier;
use tokio_rustls::rustls::crypto::WebPkiSupportedAlgorithms;
use tokio_rustls::rustls::pki_types::pem::PemObject;
use tokio_rustls::rustls::pki_types::{CertificateDer, ServerName, UnixTime};
use tokio_rustls::rustls::{ClientConfig, DigitallySignedStruct, RootCertStore, SignatureScheme};
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
    /// PEM file of the CA(s) that signed the server's certificate (an internal CA), or of the
    /// server's own certificate (a self-signed one, pinned: see [`connector`]). Without it, the
    /// Mozilla root programme's CAs are trusted.
    pub ca_file: Option<PathBuf>,
    /// SHA-256 fingerprints of certificates trusted exactly as they are, as the server's own.
    pub pinned: Vec<Fingerprint>,
}

/// A certificate's SHA-256 fingerprint, as `openssl x509 -noout -fingerprint -sha256` prints it
/// (`AB:CD:…`; colons and case are optional when it is typed).
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct Fingerprint(pub [u8; 32]);

impl Fingerprint {
    pub fn of(der: &[u8]) -> Fingerprint {
        use sha2::Digest;
        Fingerprint(sha2::Sha256::digest(der).into())
    }

    pub fn parse(text: &str) -> Result<Fingerprint, TlsError> {
        let bad = || TlsError::Fingerprint {
            text: text.chars().take(120).collect(),
        };
        let hex: Vec<u8> = text
            .trim()
            .bytes()
            .filter(|b| !matches!(b, b':' | b' '))
            .collect();
        if hex.len() != 64 {
            return Err(bad());
        }
        let mut out = [0u8; 32];
        for (i, pair) in hex.chunks(2).enumerate() {
            let pair = std::str::from_utf8(pair).map_err(|_| bad())?;
            out[i] = u8::from_str_radix(pair, 16).map_err(|_| bad())?;
        }
        Ok(Fingerprint(out))
    }
}

impl std::fmt::Display for Fingerprint {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let parts: Vec<String> = self.0.iter().map(|b| format!("{b:02X}")).collect();
        f.write_str(&parts.join(":"))
    }
}

impl std::fmt::Debug for Fingerprint {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Fingerprint({self})")
    }
}

#[derive(Debug, thiserror::Error)]
pub enum TlsError {
    #[error("cannot read the CA file {path}: {source}")]
    CaFile { path: PathBuf, source: io::Error },
    #[error("the CA file {path} holds no PEM certificate")]
    CaFileEmpty { path: PathBuf },
    #[error("{host:?} is not a valid TLS server name")]
    Name { host: String },
    #[error("{text:?} is not a SHA-256 fingerprint (64 hex digits, as `openssl x509 -noout -fingerprint -sha256 -in cert.pem` prints it)")]
    Fingerprint { text: String },
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
///
/// A certificate that is exactly one in the CA file, or one of the pinned fingerprints, is trusted
/// as the server's own even when it is marked as a CA (what `openssl req -x509` makes, and what
/// aging servers have): pinning that exact certificate is the check, so its name and dates are not
/// looked at. Anything else is checked the usual way (chain, name, dates).
pub fn connector(trust: &Trust) -> Result<TlsConnector, TlsError> {
    let mut roots = RootCertStore::empty();
    let mut pinned = trust.pinned.clone();
    match &trust.ca_file {
        Some(path) => {
            for cert in read_pem(path)? {
                pinned.push(Fingerprint::of(&cert));
                // A certificate the parser cannot use as a CA is skipped; it may still be pinned.
                let _ = roots.add(cert);
            }
            if pinned.len() == trust.pinned.len() {
                return Err(TlsError::CaFileEmpty { path: path.clone() });
            }
        }
        None => roots.extend(webpki_roots::TLS_SERVER_ROOTS.iter().cloned()),
    }
    if roots.is_empty() {
        // Only pinned certificates: the web PKI verifier still needs a root store, but none is used.
        roots.extend(webpki_roots::TLS_SERVER_ROOTS.iter().cloned());
    }
    let provider = Arc::new(tokio_rustls::rustls::crypto::ring::default_provider());
    let chain = WebPkiServerVerifier::builder_with_provider(Arc::new(roots), provider.clone())
        .build()
        .expect("a non-empty root store builds a verifier");
    let config = ClientConfig::builder_with_provider(provider.clone())
        .with_safe_default_protocol_versions()
        .expect("ring supports the default TLS versions")
        .dangerous()
        .with_custom_certificate_verifier(Arc::new(PinningVerifier {
            chain,
            pinned,
            algorithms: provider.signature_verification_algorithms,
        }))
        .with_no_client_auth();
    Ok(TlsConnector::from(Arc::new(config)))
}

/// The usual chain check, except for certificates pinned exactly. The handshake's signatures are
/// always checked against the certificate presented, so only the holder of its key gets through.
#[derive(Debug)]
struct PinningVerifier {
    chain: Arc<WebPkiServerVerifier>,
    pinned: Vec<Fingerprint>,
    algorithms: WebPkiSupportedAlgorithms,
}

impl ServerCertVerifier for PinningVerifier {
    fn verify_server_cert(
        &self,
        end_entity: &CertificateDer<'_>,
        intermediates: &[CertificateDer<'_>],
        server_name: &ServerName<'_>,
        ocsp_response: &[u8],
        now: UnixTime,
    ) -> Result<ServerCertVerified, rustls::Error> {
        if self.pinned.contains(&Fingerprint::of(end_entity)) {
            return Ok(ServerCertVerified::assertion());
        }
        self.chain
            .verify_server_cert(end_entity, intermediates, server_name, ocsp_response, now)
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls12_signature(message, cert, dss, &self.algorithms)
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls13_signature(message, cert, dss, &self.algorithms)
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.algorithms.supported_schemes()
    }
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
            ..Trust::default()
        };
        let err = connector(&missing).err().unwrap().to_string();
        assert!(err.contains("/nonexistent/ca.pem"), "{err}");

        let empty = tempfile::NamedTempFile::new().unwrap();
        let err = connector(&Trust {
            ca_file: Some(empty.path().to_owned()),
            ..Trust::default()
        })
        .err()
        .unwrap();
        assert!(matches!(err, TlsError::CaFileEmpty { .. }), "{err}");
        assert!(connector(&Trust::default()).is_ok());
    }

    #[test]
    fn fingerprints_as_openssl_prints_them() {
        let fp = Fingerprint::of(b"a certificate");
        let shown = fp.to_string();
        assert_eq!(shown.len(), 32 * 3 - 1);
        assert_eq!(Fingerprint::parse(&shown).unwrap(), fp);
        assert_eq!(
            Fingerprint::parse(&shown.replace(':', "").to_lowercase()).unwrap(),
            fp
        );
        assert_eq!(Fingerprint::parse(&format!("  {shown}\n")).unwrap(), fp);
        for bad in [
            "",
            "AB:CD",
            &shown[3..],
            &format!("{shown}:00"),
            &format!("G{}", &shown[1..]),
        ] {
            assert!(Fingerprint::parse(bad).is_err(), "{bad:?}");
        }
    }

    proptest::proptest! {
        #[test]
        fn any_text_parses_or_is_refused_without_panicking(text in "\\PC{0,80}|[0-9a-fA-F: ]{60,100}") {
            if let Ok(fp) = Fingerprint::parse(&text) {
                proptest::prop_assert_eq!(Fingerprint::parse(&fp.to_string()).unwrap(), fp);
            }
        }
    }

    #[test]
    fn server_names() {
        assert!(server_name("mail.example.org").is_ok());
        assert!(server_name("127.0.0.1").is_ok());
        assert!(server_name("[::1]").is_ok());
        assert!(server_name("bad name").is_err());
    }
}
