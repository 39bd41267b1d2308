//! The development issuer (feature `dev-issuer`): an RSA key pair made at start-up, its JWKS,
//! and tokens shaped like Cognito's id tokens for any principal. It exists so that a developer
//! can run the whole API on one machine without a Cognito pool. Never enable it in production:
//! anyone who can reach `POST /dev/token` can mint any principal.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use jsonwebtoken::{Algorithm, EncodingKey, Header};
use order_domain::TenantId;
use rsa::pkcs1::EncodeRsaPrivateKey;
use rsa::pkcs8::{EncodePublicKey, LineEnding};
use rsa::traits::PublicKeyParts;
use rsa::{RsaPrivateKey, RsaPublicKey};
use sha2::{Digest, Sha256};

use super::cognito::{CognitoAuthenticator, CognitoConfig};
use super::jwks::{Jwk, Jwks, JwksSource};
use crate::dto::{DevToken, DevTokenRequest};

/// Why the development issuer could not do what was asked.
#[derive(Debug, thiserror::Error)]
pub enum DevIssuerError {
    /// The key pair could not be made or encoded.
    #[error("cannot make the development key: {0}")]
    Key(#[from] rsa::Error),
    /// The request names no principal; the message is written for the client.
    #[error("{0}")]
    Request(String),
    /// The claims could not be signed.
    #[error("cannot sign the token: {0}")]
    Signing(#[from] jsonwebtoken::errors::Error),
}

/// Development mode's token issuer: a 2048-bit RSA key pair made at start-up.
pub struct DevIssuer {
    kid: String,
    issuer: String,
    client_id: String,
    encoding: EncodingKey,
    public: RsaPublicKey,
}

impl std::fmt::Debug for DevIssuer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("DevIssuer").field("kid", &self.kid).field("issuer", &self.issuer).finish_non_exhaustive()
    }
}

impl DevIssuer {
    /// Generates a 2048-bit key pair whose tokens name `issuer` and `client_id`. Takes a moment:
    /// call it off the async workers (`spawn_blocking`).
    ///
    /// # Errors
    /// [`DevIssuerError::Key`] when key generation or encoding fails.
    pub fn generate(issuer: impl Into<String>, client_id: impl Into<String>) -> Result<Self, DevIssuerError> {
        let private = RsaPrivateKey::new(&mut rand::rngs::OsRng, 2048)?;
        let der = private.to_pkcs1_der().map_err(rsa::Error::from)?;
        let public = private.to_public_key();
        let thumb = URL_SAFE_NO_PAD.encode(Sha256::digest(public.n().to_bytes_be()));
        Ok(Self {
            kid: format!("dev-{}", &thumb[..16]),
            issuer: issuer.into(),
            client_id: client_id.into(),
            encoding: EncodingKey::from_rsa_der(der.as_bytes()),
            public,
        })
    }

    /// The issuer (`iss`) its tokens carry.
    pub fn issuer(&self) -> &str {
        &self.issuer
    }

    /// The client id (`aud`) its tokens carry.
    pub fn client_id(&self) -> &str {
        &self.client_id
    }

    /// The public key as a JWKS (RFC 7517), as `/dev/jwks.json` serves it.
    pub fn jwks(&self) -> Jwks {
        Jwks {
            keys: vec![Jwk {
                kty: "RSA".into(),
                kid: Some(self.kid.clone()),
                alg: Some("RS256".into()),
                key_use: Some("sig".into()),
                n: URL_SAFE_NO_PAD.encode(self.public.n().to_bytes_be()),
                e: URL_SAFE_NO_PAD.encode(self.public.e().to_bytes_be()),
            }],
        }
    }

    /// The public key as PEM (SubjectPublicKeyInfo).
    pub fn public_key_pem(&self) -> String {
        self.public.to_public_key_pem(LineEnding::LF).unwrap_or_default()
    }

    /// A Cognito configuration that accepts this issuer's tokens.
    pub fn cognito_config(&self) -> CognitoConfig {
        CognitoConfig::new(self.issuer.clone(), self.client_id.clone())
    }

    /// An authenticator that accepts this issuer's tokens (its keys, its configuration).
    pub fn authenticator(&self) -> CognitoAuthenticator {
        CognitoAuthenticator::new(self.cognito_config(), JwksSource::Static(self.jwks()))
    }

    /// Signs arbitrary claims with this key (RS256, this key's `kid`).
    ///
    /// # Errors
    /// [`DevIssuerError::Signing`] when signing fails.
    pub fn sign(&self, claims: &serde_json::Value) -> Result<String, DevIssuerError> {
        let mut header = Header::new(Algorithm::RS256);
        header.kid = Some(self.kid.clone());
        Ok(jsonwebtoken::encode(&header, claims, &self.encoding)?)
    }

    /// The claims of a Cognito-like id token for `request`, issued at `now` (seconds since
    /// the epoch): the roles map to the groups and the tenant claim of [`CognitoConfig::new`].
    ///
    /// # Errors
    /// [`DevIssuerError::Request`] for an unknown role or a customer without a valid tenant.
    pub fn claims_for(&self, request: &DevTokenRequest, now: u64) -> Result<serde_json::Value, DevIssuerError> {
        let ttl = request.ttl_secs.unwrap_or(3600).clamp(1, 86_400);
        let mut claims = serde_json::json!({
            "iss": self.issuer,
            "aud": self.client_id,
            "sub": format!("dev-{}", request.role),
            "token_use": "id",
            "iat": now,
            "nbf": now,
            "exp": now + ttl,
        });
        let groups: &[&str] = match request.role.as_str() {
            "customer" => {
                let tenant = request
                    .tenant_id
                    .as_deref()
                    .ok_or_else(|| DevIssuerError::Request("tenantId is required for a customer".into()))?;
                TenantId::parse(tenant).map_err(|e| DevIssuerError::Request(e.to_string()))?;
                claims["custom:tenant_id"] = tenant.into();
                &[]
            }
            "staff" => &["staff"],
            "payment" => &["payment-service"],
            "provisioning" => &["provisioning-service"],
            "cart" => &["cart-service"],
            other => {
                return Err(DevIssuerError::Request(format!(
                    "unknown role {other:?}: use customer, staff, payment, provisioning or cart"
                )));
            }
        };
        if !groups.is_empty() {
            claims["cognito:groups"] = groups.into();
        }
        Ok(claims)
    }

    /// Mints a token for `request`, as `POST /dev/token` answers it.
    ///
    /// # Errors
    /// As [`DevIssuer::claims_for`] and [`DevIssuer::sign`].
    pub fn mint(&self, request: &DevTokenRequest) -> Result<DevToken, DevIssuerError> {
        let now = jsonwebtoken::get_current_timestamp();
        let claims = self.claims_for(request, now)?;
        let expires_in = claims["exp"].as_u64().unwrap_or(now).saturating_sub(now);
        Ok(DevToken { access_token: self.sign(&claims)?, token_type: "Bearer".into(), expires_in })
    }
}
