//! Secrets: one [`Secret`] type for the configuration's secrets and opened passwords (never printed,
//! wiped from memory when dropped), and [`SecretBox`], which seals old-server passwords at rest with
//! ChaCha20-Poly1305 (AEAD) under a key from the configuration, bound to the row they belong to.
use base64::Engine;
use ring::aead::{Aad, LessSafeKey, Nonce, UnboundKey, CHACHA20_POLY1305, NONCE_LEN};
use ring::rand::{SecureRandom, SystemRandom};
use secrecy::zeroize::Zeroizing;
use secrecy::{ExposeSecret, SecretString};

/// The format of what [`SecretBox::seal`] returns: this byte, the nonce, then ciphertext and tag.
const VERSION: u8 = 1;

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum SecretError {
    #[error("the secrets key must be 32 bytes, base64-encoded (e.g. `openssl rand -base64 32`)")]
    BadKey,
    #[error("a stored secret could not be opened: it was sealed under another key or for another row, or it was altered")]
    Unreadable,
}

/// Seals and opens secrets under one key.
pub struct SecretBox {
    key: LessSafeKey,
    random: SystemRandom,
}

impl std::fmt::Debug for SecretBox {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("SecretBox(***)")
    }
}

impl SecretBox {
    pub fn from_base64(key: &str) -> Result<SecretBox, SecretError> {
        let bytes = base64::engine::general_purpose::STANDARD
            .decode(key.trim())
            .map_err(|_| SecretError::BadKey)?;
        let key = UnboundKey::new(&CHACHA20_POLY1305, &bytes).map_err(|_| SecretError::BadKey)?;
        Ok(SecretBox {
            key: LessSafeKey::new(key),
            random: SystemRandom::new(),
        })
    }

    /// A box whose key is derived from another secret for one purpose (e.g. the sign-in cookie's key
    /// from the OpenID client secret, which every portal of a deployment shares).
    pub fn derived(purpose: &str, secret: &str) -> SecretBox {
        let digest = ring::digest::digest(
            &ring::digest::SHA256,
            format!("fountain/{purpose}/v1\0{secret}").as_bytes(),
        );
        let key = UnboundKey::new(&CHACHA20_POLY1305, digest.as_ref())
            .expect("a SHA-256 digest is a 32-byte key");
        SecretBox {
            key: LessSafeKey::new(key),
            random: SystemRandom::new(),
        }
    }

    /// Seals `plaintext` for `context` (e.g. `request:42`): it opens only with the same context, so a
    /// sealed value copied to another row is useless.
    pub fn seal(&self, plaintext: &str, context: &str) -> Vec<u8> {
        let mut nonce = [0u8; NONCE_LEN];
        self.random
            .fill(&mut nonce)
            .expect("the system random source works");
        let mut sealed = Vec::with_capacity(1 + NONCE_LEN + plaintext.len() + 16);
        sealed.push(VERSION);
        sealed.extend_from_slice(&nonce);
        let mut body = plaintext.as_bytes().to_vec();
        self.key
            .seal_in_place_append_tag(
                Nonce::assume_unique_for_key(nonce),
                Aad::from(context.as_bytes()),
                &mut body,
            )
            .expect("sealing a short secret cannot fail");
        sealed.extend_from_slice(&body);
        body.fill(0);
        sealed
    }

    pub fn open(&self, sealed: &[u8], context: &str) -> Result<Secret, SecretError> {
        let (&version, rest) = sealed.split_first().ok_or(SecretError::Unreadable)?;
        if version != VERSION || rest.len() < NONCE_LEN {
            return Err(SecretError::Unreadable);
        }
        let (nonce, body) = rest.split_at(NONCE_LEN);
        let nonce = Nonce::try_assume_unique_for_key(nonce).map_err(|_| SecretError::Unreadable)?;
        // Wiped when dropped, whether the secret opens or not.
        let mut body = Zeroizing::new(body.to_vec());
        let opened = self
            .key
            .open_in_place(nonce, Aad::from(context.as_bytes()), &mut body)
            .map_err(|_| SecretError::Unreadable)?;
        let opened = std::str::from_utf8(opened).map_err(|_| SecretError::Unreadable)?;
        Ok(Secret::new(opened.to_owned()))
    }
}

/// A secret value (a password, a key, the OpenID client secret): read only through
/// [`Secret::expose`], shown as `***`, and wiped from memory when dropped (secrecy and zeroize).
#[derive(Clone, serde::Deserialize)]
#[serde(transparent)]
pub struct Secret(SecretString);

impl Secret {
    pub fn new(value: String) -> Secret {
        Secret(value.into())
    }

    pub fn expose(&self) -> &str {
        self.0.expose_secret()
    }
}

impl std::fmt::Debug for Secret {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("***")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const KEY: &str = "MDEyMzQ1Njc4OWFiY2RlZjAxMjM0NTY3ODlhYmNkZWY="; // 32 bytes

    #[test]
    fn sealed_secrets_open_only_for_their_row_and_key() {
        let secrets = SecretBox::from_base64(KEY).unwrap();
        let sealed = secrets.seal("hunter2", "request:1");
        assert!(!sealed.windows(7).any(|w| w == b"hunter2"), "not in clear");
        assert_eq!(
            secrets.open(&sealed, "request:1").unwrap().expose(),
            "hunter2"
        );
        assert_eq!(
            secrets.open(&sealed, "request:2").err(),
            Some(SecretError::Unreadable)
        );
        let other =
            SecretBox::from_base64(&base64::engine::general_purpose::STANDARD.encode([7u8; 32]))
                .unwrap();
        assert_eq!(
            other.open(&sealed, "request:1").err(),
            Some(SecretError::Unreadable)
        );
        let mut altered = sealed.clone();
        *altered.last_mut().unwrap() ^= 1;
        assert_eq!(
            secrets.open(&altered, "request:1").err(),
            Some(SecretError::Unreadable)
        );
        assert_eq!(
            secrets.open(&[], "request:1").err(),
            Some(SecretError::Unreadable)
        );
    }

    #[test]
    fn every_seal_is_different() {
        let secrets = SecretBox::from_base64(KEY).unwrap();
        assert_ne!(secrets.seal("same", "c"), secrets.seal("same", "c"));
    }

    #[test]
    fn bad_keys_and_printing() {
        assert_eq!(
            SecretBox::from_base64("short").err(),
            Some(SecretError::BadKey)
        );
        assert_eq!(
            SecretBox::from_base64("bm90IGJhc2U2NCBhdCBhbGw=").err(),
            Some(SecretError::BadKey),
            "17 bytes"
        );
        let secrets = SecretBox::from_base64(KEY).unwrap();
        let opened = secrets.open(&secrets.seal("pw", "c"), "c").unwrap();
        assert_eq!(format!("{opened:?} {secrets:?}"), "*** SecretBox(***)");
    }
}
