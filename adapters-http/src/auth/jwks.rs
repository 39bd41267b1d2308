//! JSON Web Key Sets (RFC 7517): where the signing keys come from, which of them are usable,
//! and a cache that fetches the set again when a token names an unknown key (a key rotation),
//! at most once per interval so that tokens with made-up `kid`s cannot make this server hammer
//! the issuer.

use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::{Mutex, MutexGuard, PoisonError};
use std::time::{Duration, Instant};

use jsonwebtoken::DecodingKey;
use serde::{Deserialize, Serialize};
use tracing::{info, warn};

use super::AuthError;

/// A JSON Web Key Set (RFC 7517 §5); only its RSA keys are used.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Jwks {
    /// The keys.
    pub keys: Vec<Jwk>,
}

/// One public key of a JWKS (RFC 7517 §4, RFC 7518 §6.3 for the RSA members).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Jwk {
    /// Key type; only `RSA` keys are used.
    pub kty: String,
    /// Key id, matched against a token's `kid`.
    #[serde(default)]
    pub kid: Option<String>,
    /// Algorithm; when present it must be `RS256`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub alg: Option<String>,
    /// Intended use; when present it must be `sig`.
    #[serde(default, rename = "use", skip_serializing_if = "Option::is_none")]
    pub key_use: Option<String>,
    /// Modulus, base64url.
    #[serde(default)]
    pub n: String,
    /// Exponent, base64url.
    #[serde(default)]
    pub e: String,
}

/// Where the keys come from.
#[derive(Debug, Clone)]
pub enum JwksSource {
    /// A JWKS document on disk, read again on an unknown `kid`.
    File(PathBuf),
    /// A JWKS URL (Cognito: `https://cognito-idp.{region}.amazonaws.com/{poolId}/.well-known/jwks.json`).
    Url(String),
    /// A fixed set (development mode, tests).
    Static(Jwks),
}

impl JwksSource {
    async fn fetch(&self, http: &reqwest::Client) -> Result<Jwks, AuthError> {
        match self {
            Self::File(path) => {
                let bytes = tokio::fs::read(path).await.map_err(AuthError::unavailable)?;
                serde_json::from_slice(&bytes).map_err(AuthError::unavailable)
            }
            Self::Url(url) => {
                let response = http.get(url).send().await.map_err(AuthError::unavailable)?;
                let response = response.error_for_status().map_err(AuthError::unavailable)?;
                response.json().await.map_err(AuthError::unavailable)
            }
            Self::Static(jwks) => Ok(jwks.clone()),
        }
    }
}

/// The usable keys of a [`JwksSource`] by `kid`, fetched on first use and again on an unknown
/// `kid`, at most once per `refetch_interval`.
pub(crate) struct KeySet {
    source: JwksSource,
    refetch_interval: Duration,
    http: reqwest::Client,
    cache: Mutex<Cached>,
    // Serializes fetches so that a burst of unknown kids causes one fetch, not many.
    fetching: tokio::sync::Mutex<()>,
}

struct Cached {
    keys: HashMap<String, DecodingKey>,
    fetched_at: Option<Instant>,
}

impl KeySet {
    pub(crate) fn new(source: JwksSource, refetch_interval: Duration) -> Self {
        Self {
            source,
            refetch_interval,
            http: reqwest::Client::builder().timeout(Duration::from_secs(5)).build().unwrap_or_default(),
            cache: Mutex::new(Cached { keys: HashMap::new(), fetched_at: None }),
            fetching: tokio::sync::Mutex::new(()),
        }
    }

    /// The key for `kid`, fetching the set again when it is unknown and a fetch is due.
    ///
    /// # Errors
    /// [`AuthError::Invalid`] for a `kid` the set does not have; [`AuthError::Unavailable`]
    /// when the set cannot be read.
    pub(crate) async fn key(&self, kid: &str) -> Result<DecodingKey, AuthError> {
        if let Some(key) = self.cached(kid) {
            return Ok(key);
        }
        let _fetching = self.fetching.lock().await;
        // Another request may have fetched while this one waited.
        if let Some(key) = self.cached(kid) {
            return Ok(key);
        }
        let due = self.lock().fetched_at.is_none_or(|at| at.elapsed() >= self.refetch_interval);
        if !due {
            return Err(AuthError::invalid(format!("unknown kid {kid}")));
        }
        let fetched = self.source.fetch(&self.http).await;
        let mut cache = self.lock();
        cache.fetched_at = Some(Instant::now());
        cache.keys = usable_keys(&fetched?);
        info!(keys = cache.keys.len(), "fetched the token signing keys");
        cache.keys.get(kid).cloned().ok_or_else(|| AuthError::invalid(format!("unknown kid {kid}")))
    }

    fn cached(&self, kid: &str) -> Option<DecodingKey> {
        self.lock().keys.get(kid).cloned()
    }

    fn lock(&self) -> MutexGuard<'_, Cached> {
        // A poisoned cache only means a panic elsewhere mid-update; the map is still usable.
        self.cache.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

/// RSA signing keys with a kid, for RS256; any other key in the set is ignored.
fn usable_keys(jwks: &Jwks) -> HashMap<String, DecodingKey> {
    jwks.keys
        .iter()
        .filter(|jwk| jwk.kty == "RSA")
        .filter(|jwk| jwk.alg.as_deref().is_none_or(|alg| alg == "RS256"))
        .filter(|jwk| jwk.key_use.as_deref().is_none_or(|key_use| key_use == "sig"))
        .filter_map(|jwk| {
            let kid = jwk.kid.clone()?;
            match DecodingKey::from_rsa_components(&jwk.n, &jwk.e) {
                Ok(key) => Some((kid, key)),
                Err(error) => {
                    warn!(%kid, %error, "ignoring a malformed key");
                    None
                }
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    fn jwk(kty: &str, kid: Option<&str>, alg: Option<&str>, key_use: Option<&str>) -> Jwk {
        Jwk {
            kty: kty.into(),
            kid: kid.map(Into::into),
            alg: alg.map(Into::into),
            key_use: key_use.map(Into::into),
            // A 512-bit modulus is enough to be parsed; nothing is verified with it here.
            n: "sXchDaQebHnPiGvyDOAT4saGEUetSyo9MKLOoWFsueri23bOdgWp4Dy1WlUzewbgBHod5pcM9H95GQRV3JDXboIRROSBigeC5yjU1hGzHHyXss8UDprecbAYxknTcQkhslANGRUZmdTOQ5qTRsLAt6BTYuyvVRdhS8exSZEy_c4gs_7svlJJQ4H9_NxsiIoLwAEk7-Q3UXERGYw_75IDrGA84-lA_-Ct4eTlXHBIY2EaV7t7LjJaynVJCpkv4LKjTTAumiGUIuQhrNhZLuF_RJLqHpM2kgWFLU7-VTdL1VbC2tejvcI2BlMkEpk1BzBZI0KQB0GaDWFLN-aEAw3vRw".into(),
            e: "AQAB".into(),
        }
    }

    #[test]
    fn only_rsa_signing_keys_for_rs256_with_a_kid_are_used() {
        let set = Jwks {
            keys: vec![
                jwk("RSA", Some("good"), Some("RS256"), Some("sig")),
                jwk("RSA", Some("bare"), None, None),
                jwk("RSA", None, Some("RS256"), Some("sig")),
                jwk("RSA", Some("encryption"), Some("RS256"), Some("enc")),
                jwk("RSA", Some("other-alg"), Some("RS512"), Some("sig")),
                jwk("EC", Some("ec"), None, None),
            ],
        };
        let mut kids: Vec<_> = usable_keys(&set).into_keys().collect();
        kids.sort();
        assert_eq!(kids, ["bare", "good"]);
    }

    #[tokio::test]
    async fn an_unknown_kid_is_fetched_for_at_most_once_per_interval() {
        let keys = KeySet::new(JwksSource::Static(Jwks::default()), Duration::from_hours(1));
        assert!(matches!(keys.key("k1").await, Err(AuthError::Invalid(_))));
        let first = keys.lock().fetched_at;
        assert!(matches!(keys.key("k2").await, Err(AuthError::Invalid(_))));
        assert_eq!(keys.lock().fetched_at, first, "not fetched again within the interval");
    }
}
