//! Tokens that already passed verification.
//!
//! Verifying an RS256 signature is the dearest step of a request, and a client sends the same
//! token with every request, so tokens that passed verification are remembered (by their
//! SHA-256, never the token itself) with the principal they map to. A remembered token is still
//! checked against its `exp` and `nbf` on every use, is trusted for at most
//! [`VERIFIED_TOKEN_MAX_AGE`] before its signature is checked again, and refusals are never
//! remembered, so a newly published key takes effect at once. The one thing a remembered token
//! does not notice is its key being withdrawn from the JWKS: that window is bounded by
//! [`VERIFIED_TOKEN_MAX_AGE`] (and by the token's own expiry, one hour for Cognito).

use std::collections::HashMap;
use std::time::{Duration, Instant};

use order_app::Principal;
use sha2::{Digest, Sha256};

/// How many verified tokens a [`CognitoAuthenticator`](super::CognitoAuthenticator) remembers
/// at most.
pub const VERIFIED_TOKEN_CAPACITY: usize = 10_000;

/// The longest a [`CognitoAuthenticator`](super::CognitoAuthenticator) trusts a verified token
/// before checking its signature again: the bound on how long a token signed by a key withdrawn
/// from the JWKS is still accepted.
pub const VERIFIED_TOKEN_MAX_AGE: Duration = Duration::from_mins(5);

/// The key a token is remembered by.
pub(crate) type Digest32 = [u8; 32];

/// The SHA-256 of `token`.
pub(crate) fn digest(token: &str) -> Digest32 {
    Sha256::digest(token.as_bytes()).into()
}

/// A token that passed verification: what it maps to and the times it is valid between.
#[derive(Debug, Clone)]
pub(crate) struct Verified {
    pub(crate) principal: Principal,
    /// `exp`, seconds since the epoch.
    pub(crate) exp: u64,
    /// `nbf`, seconds since the epoch, when the token has one.
    pub(crate) nbf: Option<u64>,
    pub(crate) checked_at: Instant,
}

/// What the remembered tokens say about one token.
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum Remembered {
    /// Verified before and valid now.
    Valid(Principal),
    /// Verified before, but expired (or not yet valid) now: refused.
    OutOfTime,
    /// Not remembered (or remembered too long ago): verify it.
    Unknown,
}

/// Tokens that passed verification, keyed by the SHA-256 of the whole token. Bounded: when
/// full, entries past their time are dropped, and if that frees nothing the whole set is
/// forgotten (every client's next request verifies once more, which is cheap next to the
/// bookkeeping an LRU would need).
#[derive(Debug)]
pub(crate) struct VerifiedTokens {
    capacity: usize,
    max_age: Duration,
    entries: HashMap<Digest32, Verified>,
}

impl VerifiedTokens {
    pub(crate) fn new(capacity: usize, max_age: Duration) -> Self {
        Self { capacity, max_age, entries: HashMap::new() }
    }

    /// Looks `digest` up at `now` (seconds since the epoch), with `leeway` seconds of clock
    /// skew, exactly as the signature check would judge the token's times.
    pub(crate) fn get(&mut self, digest: &Digest32, now: u64, leeway: u64) -> Remembered {
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

    pub(crate) fn insert(&mut self, digest: Digest32, verified: Verified, now: u64, leeway: u64) {
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
    pub(crate) fn len(&self) -> usize {
        self.entries.len()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn staff_until(exp: u64) -> Verified {
        Verified { principal: Principal::Staff, exp, nbf: None, checked_at: Instant::now() }
    }

    #[test]
    fn the_remembered_tokens_stay_bounded() {
        let now = 1_000_000;
        let mut tokens = VerifiedTokens::new(100, VERIFIED_TOKEN_MAX_AGE);
        for i in 0..1_000_u32 {
            let mut digest = [0; 32];
            digest[..4].copy_from_slice(&i.to_be_bytes());
            tokens.insert(digest, staff_until(now + 60), now, 30);
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
        tokens.insert([1; 32], staff_until(now + 60), now, 30);
        assert_eq!(tokens.get(&[1; 32], now, 30), Remembered::Unknown);
        assert_eq!(tokens.len(), 0);
    }

    #[test]
    fn a_remembered_token_is_judged_by_its_times_with_the_leeway() {
        let now = 1_000_000;
        let mut tokens = VerifiedTokens::new(10, VERIFIED_TOKEN_MAX_AGE);
        tokens.insert([2; 32], Verified { nbf: Some(now + 100), ..staff_until(now + 60) }, now, 30);
        assert_eq!(tokens.get(&[2; 32], now, 30), Remembered::OutOfTime, "not yet valid");
        tokens.insert([3; 32], staff_until(now), now, 30);
        assert_eq!(tokens.get(&[3; 32], now + 30, 30), Remembered::Valid(Principal::Staff), "within the leeway");
        assert_eq!(tokens.get(&[3; 32], now + 31, 30), Remembered::OutOfTime);
        assert_eq!(tokens.get(&[3; 32], now, 30), Remembered::Unknown, "an expired token is forgotten");
    }
}
