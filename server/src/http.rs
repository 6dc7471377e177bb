//! HTTP clients for the servers Fountain calls (the identity provider, health URLs): the public CAs,
//! plus an organisation's internal CA when one is configured.
use std::path::{Path, PathBuf};

#[derive(Debug, thiserror::Error)]
pub enum CaFileError {
    #[error("cannot read the CA file {path}: {source}")]
    Read {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("the CA file {path} holds no PEM certificate ({why}): it should hold lines like -----BEGIN CERTIFICATE-----")]
    NotPem { path: PathBuf, why: String },
}

/// A client builder that trusts the certificates of `ca_file` (PEM, one or more) besides the
/// public CAs.
pub fn trusting(ca_file: Option<&Path>) -> Result<reqwest::ClientBuilder, CaFileError> {
    let builder = reqwest::Client::builder();
    let Some(path) = ca_file else {
        return Ok(builder);
    };
    let pem = std::fs::read(path).map_err(|source| CaFileError::Read {
        path: path.to_owned(),
        source,
    })?;
    let not_pem = |why: String| CaFileError::NotPem {
        path: path.to_owned(),
        why,
    };
    let certificates =
        reqwest::Certificate::from_pem_bundle(&pem).map_err(|e| not_pem(e.to_string()))?;
    if certificates.is_empty() {
        return Err(not_pem("none found".into()));
    }
    Ok(certificates
        .into_iter()
        .fold(builder, |b, c| b.add_root_certificate(c)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ca_file_problems_are_named() {
        let missing = trusting(Some(Path::new("/nonexistent/ca.pem"))).unwrap_err();
        assert!(
            missing.to_string().contains("/nonexistent/ca.pem"),
            "{missing}"
        );
        let empty = tempfile::NamedTempFile::new().unwrap();
        let none = trusting(Some(empty.path())).unwrap_err();
        assert!(none.to_string().contains("BEGIN CERTIFICATE"), "{none}");
        assert!(trusting(None).is_ok());
    }
}
