//! Transport security against a real Dovecot with TLS: implicit TLS and STARTTLS verified against the
//! server's CA, an untrusted certificate refused (and not retried), and no plain-text login to a
//! server off this machine.
mod support;

use std::time::Duration;

use server::engine::imap::transcript::Transcript;
use server::engine::imap::{Credentials, Endpoint, ImapError, Security, Source, Trust};
use support::proxy::FaultyProxy;
use support::servers::Dovecot;

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
