//! Authentication: Cognito-style JWTs verified with RS256 keys from a JWKS, mapped to
//! [`Principal`]s; and a development issuer that mints local tokens.
//!
//! Only RS256 is accepted. The algorithm is checked against the header before any key is
//! chosen, so `alg: none`, HS256 signed with the public key, and every other algorithm are
//! refused. Keys come from a [`JwksSource`] and are cached; an unknown `kid` re-fetches the set,
//! at most once per [`AuthConfig::refetch_interval`].
//!
//! Verifying an RS256 signature is the dearest step of a request, and a client sends the same
//! token with every request, so tokens that passed verification are remembered (by their
//! SHA-256, never the token itself) with the principal they map to. A remembered token is still
//! checked against its `exp` and `nbf` on every use, is trusted for at most
//! [`VERIFIED_TOKEN_MAX_AGE`] before its signature is checked again, and refusals are never
//! remembered, so a newly published key takes effect at once. The one thing a remembered token
//! does not notice is its key being withdrawn from the JWKS: that window is bounded by
//! [`VERIFIED_TOKEN_MAX_AGE`] (and by the token's own expiry, one hour for Cognito).

use std::collections::{HashMap, HashSet};
use std::path::PathBuf;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use jsonwebtoken::{Algorithm, DecodingKey, EncodingKey, Header, Validation};
use order_app::{Principal, Service};
use order_domain::TenantId;
use rsa::pkcs1::EncodeRsaPrivateKey;
use rsa::pkcs8::{EncodePublicKey, LineEnding};
use rsa::traits::PublicKeyParts;
use rsa::{RsaPrivateKey, RsaPublicKey};
use serde::{Deserialize, Serialize};
use tracing::{info, warn};

/// Why a token was refused. Logged; the client sees only "invalid token".
#[derive(Debug, thiserror::Error)]
pub enum AuthError {
    /// No `Authorization: Bearer` header.
    #[error("no bearer token")]
    Missing,
    /// Not a JWT, or a JWT this server does not accept.
    #[error("invalid token: {0}")]
    Invalid(String),
    /// The keys could not be loaded.
    #[error("keys unavailable: {0}")]
    KeysUnavailable(String),
}

/// A JSON Web Key Set, RSA keys only.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Jwks {
    /// The keys.
    pub keys: Vec<Jwk>,
}

/// One RSA public key of a JWKS.
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
        let unavailable = |e: &dyn std::fmt::Display| AuthError::KeysUnavailable(e.to_string());
        match self {
            Self::File(path) => {
                let bytes = tokio::fs::read(path).await.map_err(|e| unavailable(&e))?;
                serde_json::from_slice(&bytes).map_err(|e| unavailable(&e))
            }
            Self::Url(url) => {
                let response = http.get(url).send().await.map_err(|e| unavailable(&e))?;
                let response = response.error_for_status().map_err(|e| unavailable(&e))?;
                response.json().await.map_err(|e| unavailable(&e))
            }
            Self::Static(jwks) => Ok(jwks.clone()),
        }
    }
}

/// What a token must say to be accepted, and how its claims map to principals.
#[derive(Debug, Clone)]
pub struct AuthConfig {
    /// The only accepted `iss` (Cognito: `https://cognito-idp.{region}.amazonaws.com/{poolId}`).
    pub issuer: String,
    /// Accepted app client ids: an id token's `aud` or an access token's `client_id`.
    pub client_ids: HashSet<String>,
    /// The claim carrying a customer's tenant, e.g. `custom:tenant_id`.
    pub tenant_claim: String,
    /// The Cognito group whose members are staff.
    pub staff_group: String,
    /// Cognito groups that make a token a named service.
    pub service_groups: HashMap<String, Service>,
    /// App client ids that are named services (machine-to-machine access tokens).
    pub service_clients: HashMap<String, Service>,
    /// Clock skew allowed on `exp` and `nbf`, in seconds.
    pub leeway_secs: u64,
    /// The shortest time between two fetches of the key set.
    pub refetch_interval: Duration,
}

impl AuthConfig {
    /// A configuration for `issuer` and one client id, with the default claim and group names:
    /// tenant in `custom:tenant_id`, staff in group `staff`, services in groups `payment-service`,
    /// `provisioning-service` and `cart-service`.
    pub fn new(issuer: impl Into<String>, client_id: impl Into<String>) -> Self {
        Self {
            issuer: issuer.into(),
            client_ids: HashSet::from([client_id.into()]),
            tenant_claim: "custom:tenant_id".into(),
            staff_group: "staff".into(),
            service_groups: HashMap::from([
                ("payment-service".into(), Service::Payment),
                ("provisioning-service".into(), Service::Provisioning),
                ("cart-service".into(), Service::Cart),
            ]),
            service_clients: HashMap::new(),
            leeway_secs: 30,
            refetch_interval: Duration::from_secs(30),
        }
    }
}

/// How many verified tokens an [`Authenticator`] remembers at most.
pub const VERIFIED_TOKEN_CAPACITY: usize = 10_000;

/// The longest an [`Authenticator`] trusts a verified token before checking its signature
/// again: the bound on how long a token signed by a key withdrawn from the JWKS is still
/// accepted.
pub const VERIFIED_TOKEN_MAX_AGE: Duration = Duration::from_mins(5);

/// A token that passed verification: what it maps to and the times it is valid between.
#[derive(Debug, Clone)]
struct Verified {
    principal: Principal,
    /// `exp`, seconds since the epoch.
    exp: u64,
    /// `nbf`, seconds since the epoch, when the token has one.
    nbf: Option<u64>,
    checked_at: Instant,
}

/// Tokens that passed verification, keyed by the SHA-256 of the whole token. Bounded: when
/// full, entries past their time are dropped, and if that frees nothing the whole set is
/// forgotten (every client's next request verifies once more, which is cheap next to the
/// bookkeeping an LRU would need).
#[derive(Debug)]
struct VerifiedTokens {
    capacity: usize,
    max_age: Duration,
    entries: HashMap<[u8; 32], Verified>,
}

/// What the remembered tokens say about one token.
#[derive(Debug, PartialEq, Eq)]
enum Remembered {
    /// Verified before and valid now.
    Valid(Principal),
    /// Verified before, but expired (or not yet valid) now: refused.
    OutOfTime,
    /// Not remembered (or remembered too long ago): verify it.
    Unknown,
}

impl VerifiedTokens {
    fn new(capacity: usize, max_age: Duration) -> Self {
        Self { capacity, max_age, entries: HashMap::new() }
    }

    /// Looks `digest` up at `now` (seconds since the epoch), with `leeway` seconds of clock
    /// skew, exactly as the signature check would judge the token's times.
    fn get(&mut self, digest: &[u8; 32], now: u64, leeway: u64) -> Remembered {
        let Some(verified) = self.entries.get(digest) else {
            return Remembered::Unknown;
        };
        if verified.checked_at.elapsed() >= self.max_age {
            self.entries.remove(digest);
            return Remembered::Unknown;
        }
        if verified.exp.saturating_add(leeway) < now {
            // Expired for good: it is refused now and never accepted again.
            self.entries.remove(digest);
            return Remembered::OutOfTime;
        }
        if verified.nbf.is_some_and(|nbf| nbf > now.saturating_add(leeway)) {
            return Remembered::OutOfTime;
        }
        Remembered::Valid(verified.principal.clone())
    }

    fn insert(&mut self, digest: [u8; 32], verified: Verified, now: u64, leeway: u64) {
        if self.entries.len() >= self.capacity && !self.entries.contains_key(&digest) {
            let max_age = self.max_age;
            self.entries
                .retain(|_, kept| kept.exp.saturating_add(leeway) >= now && kept.checked_at.elapsed() < max_age);
            if self.entries.len() >= self.capacity {
                self.entries.clear();
            }
        }
        if self.capacity > 0 {
            self.entries.insert(digest, verified);
        }
    }

    #[cfg(test)]
    fn len(&self) -> usize {
        self.entries.len()
    }
}

struct KeyCache {
    keys: HashMap<String, DecodingKey>,
    fetched_at: Option<Instant>,
}

/// Verifies bearer tokens and maps them to principals.
pub struct Authenticator {
    config: AuthConfig,
    source: JwksSource,
    http: reqwest::Client,
    cache: Mutex<KeyCache>,
    // Serializes fetches so that a burst of unknown kids causes one fetch, not many.
    fetching: tokio::sync::Mutex<()>,
    verified: Mutex<VerifiedTokens>,
    /// Signatures checked so far (tests count the ones the remembered tokens spare).
    signature_checks: AtomicU64,
}

/// The claims this server reads. Unknown claims are ignored (Cognito adds many).
#[derive(Debug, Deserialize)]
struct Claims {
    /// Checked by `jsonwebtoken`; kept so a remembered token is checked again on every use.
    exp: u64,
    nbf: Option<u64>,
    token_use: Option<String>,
    aud: Option<Audience>,
    client_id: Option<String>,
    #[serde(rename = "cognito:groups", default)]
    groups: Vec<String>,
    #[serde(flatten)]
    other: HashMap<String, serde_json::Value>,
}

#[derive(Debug, Deserialize)]
#[serde(untagged)]
enum Audience {
    One(String),
    Many(Vec<String>),
}

impl Audience {
    fn contains_any(&self, accepted: &HashSet<String>) -> bool {
        match self {
            Self::One(one) => accepted.contains(one),
            Self::Many(many) => many.iter().any(|aud| accepted.contains(aud)),
        }
    }
}

impl Authenticator {
    /// An authenticator with keys from `source`.
    pub fn new(config: AuthConfig, source: JwksSource) -> Self {
        Self {
            config,
            source,
            http: reqwest::Client::builder().timeout(Duration::from_secs(5)).build().unwrap_or_default(),
            cache: Mutex::new(KeyCache { keys: HashMap::new(), fetched_at: None }),
            fetching: tokio::sync::Mutex::new(()),
            verified: Mutex::new(VerifiedTokens::new(VERIFIED_TOKEN_CAPACITY, VERIFIED_TOKEN_MAX_AGE)),
            signature_checks: AtomicU64::new(0),
        }
    }

    /// The configuration.
    pub fn config(&self) -> &AuthConfig {
        &self.config
    }

    /// Verifies `token` and maps it to a principal.
    ///
    /// # Errors
    /// [`AuthError::Invalid`] for any token that is not an RS256 JWT signed by a known key with
    /// the right issuer, client, `token_use` and times, or that maps to no principal;
    /// [`AuthError::KeysUnavailable`] when the key set cannot be read.
    pub async fn authenticate(&self, token: &str) -> Result<Principal, AuthError> {
        self.authenticate_at(token, jsonwebtoken::get_current_timestamp()).await
    }

    /// [`Authenticator::authenticate`] with a remembered token judged at `now` (seconds since
    /// the epoch); a token verified afresh is judged by `jsonwebtoken` at the system time.
    async fn authenticate_at(&self, token: &str, now: u64) -> Result<Principal, AuthError> {
        let digest: [u8; 32] = {
            use sha2::Digest;
            sha2::Sha256::digest(token.as_bytes()).into()
        };
        let leeway = self.config.leeway_secs;
        match self.lock_verified().get(&digest, now, leeway) {
            Remembered::Valid(principal) => return Ok(principal),
            Remembered::OutOfTime => return Err(AuthError::Invalid("token expired or not yet valid".into())),
            Remembered::Unknown => {}
        }
        let verified = self.verify(token).await?;
        let principal = verified.principal.clone();
        self.lock_verified().insert(digest, verified, now, leeway);
        Ok(principal)
    }

    /// Checks the signature and claims of `token`, without the remembered tokens.
    async fn verify(&self, token: &str) -> Result<Verified, AuthError> {
        let invalid = |why: &str| AuthError::Invalid(why.to_owned());
        let header = jsonwebtoken::decode_header(token).map_err(|e| AuthError::Invalid(e.to_string()))?;
        if header.alg != Algorithm::RS256 {
            return Err(AuthError::Invalid(format!("algorithm {:?} is not accepted", header.alg)));
        }
        let kid = header.kid.ok_or_else(|| invalid("no kid"))?;
        let key = self.key(&kid).await?;
        let mut validation = Validation::new(Algorithm::RS256);
        validation.set_issuer(&[&self.config.issuer]);
        validation.set_required_spec_claims(&["exp", "iss"]);
        validation.validate_nbf = true;
        validation.leeway = self.config.leeway_secs;
        // Cognito access tokens carry `client_id`, not `aud`: both are checked below.
        validation.validate_aud = false;
        self.signature_checks.fetch_add(1, Ordering::Relaxed);
        let data =
            jsonwebtoken::decode::<Claims>(token, &key, &validation).map_err(|e| AuthError::Invalid(e.to_string()))?;
        let (exp, nbf) = (data.claims.exp, data.claims.nbf);
        let principal = self.principal(data.claims)?;
        Ok(Verified { principal, exp, nbf, checked_at: Instant::now() })
    }

    fn principal(&self, claims: Claims) -> Result<Principal, AuthError> {
        let invalid = |why: &str| AuthError::Invalid(why.to_owned());
        let client = match claims.token_use.as_deref() {
            Some("id") => {
                let aud = claims.aud.ok_or_else(|| invalid("id token without aud"))?;
                if !aud.contains_any(&self.config.client_ids) {
                    return Err(invalid("audience not accepted"));
                }
                None
            }
            Some("access") => {
                let client = claims.client_id.ok_or_else(|| invalid("access token without client_id"))?;
                if !self.config.client_ids.contains(&client) && !self.config.service_clients.contains_key(&client) {
                    return Err(invalid("client not accepted"));
                }
                Some(client)
            }
            _ => return Err(invalid("token_use must be id or access")),
        };
        if let Some(service) = client.as_ref().and_then(|client| self.config.service_clients.get(client)) {
            return Ok(Principal::Service(*service));
        }
        if let Some(service) = claims.groups.iter().find_map(|group| self.config.service_groups.get(group)) {
            return Ok(Principal::Service(*service));
        }
        if claims.groups.contains(&self.config.staff_group) {
            return Ok(Principal::Staff);
        }
        let tenant = claims
            .other
            .get(&self.config.tenant_claim)
            .and_then(serde_json::Value::as_str)
            .ok_or_else(|| invalid("no tenant claim"))?;
        let tenant_id = TenantId::parse(tenant).map_err(|_| invalid("tenant claim is not a tenant id"))?;
        Ok(Principal::Customer { tenant_id })
    }

    /// The key for `kid`, re-fetching the set when it is unknown (rate-limited).
    async fn key(&self, kid: &str) -> Result<DecodingKey, AuthError> {
        if let Some(key) = self.cached(kid) {
            return Ok(key);
        }
        let _fetching = self.fetching.lock().await;
        // Another request may have fetched while this one waited.
        if let Some(key) = self.cached(kid) {
            return Ok(key);
        }
        let due = self.lock_cache().fetched_at.is_none_or(|at| at.elapsed() >= self.config.refetch_interval);
        if !due {
            return Err(AuthError::Invalid(format!("unknown kid {kid}")));
        }
        let fetched = self.source.fetch(&self.http).await;
        let mut cache = self.lock_cache();
        cache.fetched_at = Some(Instant::now());
        let jwks = fetched?;
        cache.keys = usable_keys(&jwks);
        info!(keys = cache.keys.len(), "fetched the token signing keys");
        cache.keys.get(kid).cloned().ok_or_else(|| AuthError::Invalid(format!("unknown kid {kid}")))
    }

    fn cached(&self, kid: &str) -> Option<DecodingKey> {
        self.lock_cache().keys.get(kid).cloned()
    }

    fn lock_verified(&self) -> std::sync::MutexGuard<'_, VerifiedTokens> {
        // As for the key cache: a panic mid-update leaves at worst a missing entry.
        self.verified.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    fn lock_cache(&self) -> std::sync::MutexGuard<'_, KeyCache> {
        // A poisoned cache only means a panic elsewhere mid-update; the map is still usable.
        self.cache.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
    }
}

/// RSA signing keys with a kid; any other key in the set is ignored.
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

/// Development mode: an RSA key pair made at start-up, its JWKS, and local tokens. Never use
/// it in production: anyone who can reach `/dev/token` can mint any principal.
pub struct DevIssuer {
    kid: String,
    issuer: String,
    client_id: String,
    encoding: EncodingKey,
    public: RsaPublicKey,
}

/// Who a development token is for.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct DevTokenRequest {
    /// `customer`, `staff`, `payment`, `provisioning` or `cart`.
    pub role: String,
    /// The customer's tenant (customers only).
    #[serde(default)]
    pub tenant_id: Option<String>,
    /// Lifetime in seconds (default 3600).
    #[serde(default)]
    pub ttl_secs: Option<u64>,
}

/// A minted development token.
#[derive(Debug, Clone, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct DevToken {
    /// The bearer token.
    pub access_token: String,
    /// `Bearer`.
    pub token_type: String,
    /// Seconds until it expires.
    pub expires_in: u64,
}

impl DevIssuer {
    /// Generates a 2048-bit key pair.
    ///
    /// # Errors
    /// When key generation or encoding fails.
    pub fn generate(issuer: impl Into<String>, client_id: impl Into<String>) -> Result<Self, AuthError> {
        let failed = |e: &dyn std::fmt::Display| AuthError::KeysUnavailable(e.to_string());
        let private = RsaPrivateKey::new(&mut rand::rngs::OsRng, 2048).map_err(|e| failed(&e))?;
        let der = private.to_pkcs1_der().map_err(|e| failed(&e))?;
        let public = private.to_public_key();
        let kid = format!("dev-{}", &URL_SAFE_NO_PAD.encode(sha256(&public.n().to_bytes_be()))[..16]);
        Ok(Self {
            kid,
            issuer: issuer.into(),
            client_id: client_id.into(),
            encoding: EncodingKey::from_rsa_der(der.as_bytes()),
            public,
        })
    }

    /// The issuer its tokens carry.
    pub fn issuer(&self) -> &str {
        &self.issuer
    }

    /// The client id its tokens carry.
    pub fn client_id(&self) -> &str {
        &self.client_id
    }

    /// The public key as a JWKS.
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

    /// An authentication configuration that accepts this issuer's tokens.
    pub fn auth_config(&self) -> AuthConfig {
        AuthConfig::new(self.issuer.clone(), self.client_id.clone())
    }

    /// Signs arbitrary claims with this key (RS256, this key's `kid`).
    ///
    /// # Errors
    /// When signing fails.
    pub fn sign(&self, claims: &serde_json::Value) -> Result<String, AuthError> {
        let mut header = Header::new(Algorithm::RS256);
        header.kid = Some(self.kid.clone());
        jsonwebtoken::encode(&header, claims, &self.encoding).map_err(|e| AuthError::KeysUnavailable(e.to_string()))
    }

    /// The claims of a Cognito-like id token for `request`, issued at `now` (seconds since
    /// the epoch).
    ///
    /// # Errors
    /// [`AuthError::Invalid`] for an unknown role or a customer without a valid tenant.
    pub fn claims_for(&self, request: &DevTokenRequest, now: u64) -> Result<serde_json::Value, AuthError> {
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
                let tenant =
                    request.tenant_id.as_deref().ok_or_else(|| AuthError::Invalid("tenantId is required".into()))?;
                TenantId::parse(tenant).map_err(|e| AuthError::Invalid(e.to_string()))?;
                claims["custom:tenant_id"] = tenant.into();
                &[]
            }
            "staff" => &["staff"],
            "payment" => &["payment-service"],
            "provisioning" => &["provisioning-service"],
            "cart" => &["cart-service"],
            other => return Err(AuthError::Invalid(format!("unknown role {other:?}"))),
        };
        if !groups.is_empty() {
            claims["cognito:groups"] = groups.into();
        }
        Ok(claims)
    }

    /// Mints a token for `request`.
    ///
    /// # Errors
    /// As [`DevIssuer::claims_for`] and [`DevIssuer::sign`].
    pub fn mint(&self, request: &DevTokenRequest) -> Result<DevToken, AuthError> {
        let now = jsonwebtoken::get_current_timestamp();
        let claims = self.claims_for(request, now)?;
        let expires_in = claims["exp"].as_u64().unwrap_or(now).saturating_sub(now);
        Ok(DevToken { access_token: self.sign(&claims)?, token_type: "Bearer".into(), expires_in })
    }
}

fn sha256(bytes: &[u8]) -> Vec<u8> {
    use sha2::Digest;
    sha2::Sha256::digest(bytes).to_vec()
}

/// An authenticator over the development issuer's own keys.
pub fn dev_authenticator(issuer: &DevIssuer) -> Arc<Authenticator> {
    Arc::new(Authenticator::new(issuer.auth_config(), JwksSource::Static(issuer.jwks())))
}

#[cfg(test)]
mod tests {
    use std::sync::LazyLock;

    use super::*;

    static ISSUER: LazyLock<DevIssuer> =
        LazyLock::new(|| DevIssuer::generate("http://issuer.test/dev", "bbws-test-client").unwrap());

    fn customer_token() -> String {
        let request =
            DevTokenRequest { role: "customer".into(), tenant_id: Some("tenant_acme".into()), ttl_secs: Some(600) };
        ISSUER.mint(&request).unwrap().access_token
    }

    fn checks(auth: &Authenticator) -> u64 {
        auth.signature_checks.load(Ordering::Relaxed)
    }

    #[tokio::test]
    async fn a_verified_token_is_accepted_again_without_checking_its_signature() {
        let auth = dev_authenticator(&ISSUER);
        let token = customer_token();
        let first = auth.authenticate(&token).await.unwrap();
        assert_eq!(checks(&auth), 1);
        for _ in 0..5 {
            assert_eq!(auth.authenticate(&token).await.unwrap(), first);
        }
        assert_eq!(checks(&auth), 1, "remembered");
        assert_eq!(first, Principal::Customer { tenant_id: TenantId::parse("tenant_acme").unwrap() });
    }

    #[tokio::test]
    async fn a_remembered_token_is_refused_once_it_expires() {
        let auth = dev_authenticator(&ISSUER);
        let token = customer_token();
        let now = jsonwebtoken::get_current_timestamp();
        let payload = URL_SAFE_NO_PAD.decode(token.split('.').nth(1).unwrap()).unwrap();
        let exp = serde_json::from_slice::<serde_json::Value>(&payload).unwrap()["exp"].as_u64().unwrap();
        auth.authenticate_at(&token, now).await.unwrap();
        let after_expiry = exp + auth.config().leeway_secs + 1;
        assert!(matches!(auth.authenticate_at(&token, after_expiry).await, Err(AuthError::Invalid(_))));
        // The expired entry is forgotten: the token's next use is verified afresh (and, at the
        // real time, refused by the signature check's own `exp` test).
        assert_eq!(auth.lock_verified().len(), 0);
        // Within the leeway it was still valid.
        let auth = dev_authenticator(&ISSUER);
        auth.authenticate_at(&token, now).await.unwrap();
        assert!(auth.authenticate_at(&token, exp + auth.config().leeway_secs).await.is_ok());
    }

    #[tokio::test]
    async fn a_token_with_one_byte_changed_is_refused_after_the_original_was_remembered() {
        let auth = dev_authenticator(&ISSUER);
        let token = customer_token();
        auth.authenticate(&token).await.unwrap();
        let (head, signature) = token.rsplit_once('.').unwrap();
        let mut bytes = signature.as_bytes().to_vec();
        bytes[10] = if bytes[10] == b'A' { b'B' } else { b'A' };
        let tampered = format!("{head}.{}", String::from_utf8(bytes).unwrap());
        assert!(auth.authenticate(&tampered).await.is_err());
        assert!(auth.authenticate(&tampered).await.is_err(), "refusals are not remembered");
        assert_eq!(checks(&auth), 3);
        assert!(auth.authenticate(&token).await.is_ok());
    }

    #[test]
    fn the_remembered_tokens_stay_bounded() {
        let now = 1_000_000;
        let mut tokens = VerifiedTokens::new(100, VERIFIED_TOKEN_MAX_AGE);
        for i in 0..1_000_u32 {
            let mut digest = [0; 32];
            digest[..4].copy_from_slice(&i.to_be_bytes());
            let verified =
                Verified { principal: Principal::Staff, exp: now + 60, nbf: None, checked_at: Instant::now() };
            tokens.insert(digest, verified, now, 30);
            assert!(tokens.len() <= 100);
        }
        let mut last = [0; 32];
        last[..4].copy_from_slice(&999_u32.to_be_bytes());
        assert_eq!(tokens.get(&last, now, 30), Remembered::Valid(Principal::Staff));
    }

    #[test]
    fn a_token_remembered_too_long_is_verified_again() {
        let now = 1_000_000;
        let mut tokens = VerifiedTokens::new(10, Duration::ZERO);
        let verified = Verified { principal: Principal::Staff, exp: now + 60, nbf: None, checked_at: Instant::now() };
        tokens.insert([1; 32], verified, now, 30);
        assert_eq!(tokens.get(&[1; 32], now, 30), Remembered::Unknown);
        assert_eq!(tokens.len(), 0);
    }
}
