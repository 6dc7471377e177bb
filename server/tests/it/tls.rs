//! Transport security against a real Dovecot with TLS: implicit TLS and STARTTLS verified against the
//! server's CA, an untrusted certificate refused (and not retried), and no plain-text login to a
//! server off this machine.

use std::time::Duration;

use crate::support::proxy::FaultyProxy;
use crate::support::servers::Dovecot;
use server::engine::imap::transcript::Transcript;
use server::engine::imap::{Credentials, Endpoint, ImapError, Security, Source, Trust};

fn alice() -> Credentials {
    Credentials::Login {
        user: "alice".into(),
        password: "alice-old".into(),
    }
}

fn endpoint(host: &str, port: u16, security: Security, ca_file: Option<&Dovecot>) -> Endpoint {
    Endpoint {
        timeout: Duration::from_secs(20),
        security,
        trust: Trust {
            ca_file: ca_file.map(Dovecot::ca_file),
            ..Trust::default()
        },
        ..Endpoint::new(host, port)
    }
}

#[tokio::test]
async fn implicit_tls_with_the_servers_ca() {
    let (dovecot, imaps) = Dovecot::start_tls("old");
    for host in ["127.0.0.1", "localhost"] {
        let transcript = Transcript::default();
        let mut source = Source::connect(
            &endpoint(host, imaps, Security::Tls, Some(&dovecot)),
            &alice(),
            transcript.clone(),
        )
        .await
        .unwrap_or_else(|e| panic!("{host}: {e}"));
        assert!(source
            .list()
            .await
            .unwrap()
            .iter()
            .any(|f| f.wire_name == "INBOX"));
        source.logout().await;
        let text = transcript.text();
        assert!(text.contains("LOGIN \"alice\" ***"), "{text}");
        assert!(!text.contains("STARTTLS"), "{text}");
    }
}

#[tokio::test]
async fn starttls_upgrades_before_the_login() {
    let (dovecot, _) = Dovecot::start_tls("old");
    let transcript = Transcript::default();
    let mut source = Source::connect(
        &endpoint(
            "127.0.0.1",
            dovecot.port,
            Security::StartTls,
            Some(&dovecot),
        ),
        &alice(),
        transcript.clone(),
    )
    .await
    .unwrap();
    source.list().await.unwrap();
    source.logout().await;
    let text = transcript.text();
    let (starttls, login) = (text.find("STARTTLS"), text.find("LOGIN"));
    assert!(
        matches!((starttls, login), (Some(s), Some(l)) if s < l),
        "STARTTLS must come before LOGIN:\n{text}"
    );
}

#[tokio::test]
async fn an_untrusted_certificate_is_refused_and_not_retried() {
    let (dovecot, imaps) = Dovecot::start_tls("old");
    // The rig's CA is not among the Mozilla roots: both ways in must refuse before any password is sent.
    for (port, security) in [(imaps, Security::Tls), (dovecot.port, Security::StartTls)] {
        let transcript = Transcript::default();
        let err = Source::connect(
            &endpoint("127.0.0.1", port, security, None),
            &alice(),
            transcript.clone(),
        )
        .await
        .err()
        .expect("an untrusted certificate must be refused");
        assert!(matches!(err, ImapError::Tls { .. }), "{security:?}: {err}");
        assert!(!err.is_transient(), "{err}");
        assert!(
            err.to_string().contains("invalid peer certificate"),
            "{err}"
        );
        assert!(
            !transcript.text().contains("LOGIN"),
            "{}",
            transcript.text()
        );
    }
}

#[tokio::test]
async fn implicit_tls_on_a_plain_port_says_so() {
    let (dovecot, _) = Dovecot::start_tls("old");
    let err = Source::connect(
        &endpoint("127.0.0.1", dovecot.port, Security::Tls, Some(&dovecot)),
        &alice(),
        Transcript::default(),
    )
    .await
    .err()
    .expect("a plain port cannot speak implicit TLS");
    assert!(matches!(err, ImapError::Tls { .. }), "{err}");
    assert!(err.to_string().contains("imaps"), "{err}");
}

/// This machine's address on its network (not loopback), from the routing table: no packet is sent.
fn network_address() -> std::net::IpAddr {
    let socket = std::net::UdpSocket::bind("0.0.0.0:0").unwrap();
    socket
        .connect("192.0.2.1:9")
        .expect("this test needs a non-loopback network address on the machine");
    socket.local_addr().unwrap().ip()
}

#[tokio::test]
async fn no_plain_text_login_off_this_machine() {
    // A server without TLS, reached over the network: the password must not be sent.
    let plain = Dovecot::start("old", None);
    let proxy = FaultyProxy::passthrough_on(network_address(), plain.port).await;
    let transcript = Transcript::default();
    let err = Source::connect(
        &endpoint(
            &network_address().to_string(),
            proxy.port,
            Security::StartTls,
            None,
        ),
        &alice(),
        transcript.clone(),
    )
    .await
    .err()
    .expect("plain text off loopback must be refused");
    assert!(matches!(err, ImapError::Insecure { .. }), "{err}");
    assert!(
        !transcript.text().contains("LOGIN"),
        "{}",
        transcript.text()
    );

    // The same server on loopback is spoken to in plain text.
    let source = Source::connect(
        &endpoint("127.0.0.1", plain.port, Security::StartTls, None),
        &alice(),
        Transcript::default(),
    )
    .await
    .unwrap();
    source.logout().await;
}

/// The certificate in a PEM file, as DER.
fn der(pem: &std::path::Path) -> Vec<u8> {
    use base64::Engine;
    let text = std::fs::read_to_string(pem).unwrap();
    let body: String = text.lines().filter(|l| !l.starts_with("-----")).collect();
    base64::engine::general_purpose::STANDARD
        .decode(body)
        .unwrap()
}

#[tokio::test]
async fn a_self_signed_ca_true_certificate_can_be_pinned() {
    let (dovecot, imaps) = Dovecot::start_self_signed("old");
    let cert = dovecot.ca_file();
    let fingerprint = server::engine::imap::Fingerprint::of(&der(&cert));
    let pinned_by = |trust: Trust| Endpoint {
        timeout: Duration::from_secs(20),
        security: Security::Tls,
        trust,
        ..Endpoint::new("127.0.0.1", imaps)
    };
    // Given as the CA file (refused before as "CaUsedAsEndEntity"), or by its fingerprint.
    for trust in [
        Trust {
            ca_file: Some(cert.clone()),
            ..Trust::default()
        },
        Trust {
            pinned: vec![fingerprint],
            ..Trust::default()
        },
    ] {
        let source = Source::connect(&pinned_by(trust.clone()), &alice(), Transcript::default())
            .await
            .unwrap_or_else(|e| panic!("{trust:?}: {e}"));
        source.logout().await;
    }
    // Another fingerprint, or none, is refused before any password is sent.
    let mut other = fingerprint;
    other.0[0] ^= 1;
    for trust in [
        Trust {
            pinned: vec![other],
            ..Trust::default()
        },
        Trust::default(),
    ] {
        let transcript = Transcript::default();
        let err = Source::connect(&pinned_by(trust), &alice(), transcript.clone())
            .await
            .err()
            .expect("an unpinned self-signed certificate must be refused");
        assert!(matches!(err, ImapError::Tls { .. }), "{err}");
        assert!(
            !transcript.text().contains("LOGIN"),
            "{}",
            transcript.text()
        );
    }
    // The command line takes the fingerprint as openssl prints it.
    let new = Dovecot::start("new", Some(("admin", "admin-pass")));
    dovecot.seed_sample("alice", 5, 3);
    let dir = tempfile::tempdir().unwrap();
    let mut args = crate::support::copying::copy_args(
        imaps,
        "alice",
        new.port,
        "master:admin",
        &dir.path().join("journal.db"),
    );
    args[1] = format!("imaps://alice@127.0.0.1:{imaps}");
    args.extend(["--source-cert-sha256".to_owned(), fingerprint.to_string()]);
    let (code, _, stderr) =
        crate::support::copying::fountain_copy(&args, "alice-old", "admin-pass");
    assert_eq!(code, 0, "{stderr}");
}
