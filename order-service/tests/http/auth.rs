//! Tokens: every kind of bad token is 401; keys come from a JWKS and are re-fetched on an
//! unknown kid, at most once per interval.

use std::time::Duration;

use adapters_http::auth::{AuthError, CognitoAuthenticator, CognitoConfig, DevIssuer, JwksSource};
use adapters_http::dto::DevTokenRequest;
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use jsonwebtoken::{Algorithm, EncodingKey, Header};
use order_app::{Principal, Service};
use order_domain::TenantId;
use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::{ISSUER, problem, server};

fn claims() -> Value {
    let request = DevTokenRequest { role: "customer".into(), tenant_id: Some("tenant_acme".into()), ttl_secs: None };
    ISSUER.claims_for(&request, jsonwebtoken::get_current_timestamp()).unwrap()
}

fn with(change: impl FnOnce(&mut Value)) -> String {
    let mut claims = claims();
    change(&mut claims);
    ISSUER.sign(&claims).unwrap()
}

#[tokio::test]
async fn bad_tokens_are_401_problems() {
    let server = server().await;
    let path = "/v1.0/tenants/tenant_acme/orders";
    let now = jsonwebtoken::get_current_timestamp();

    // The baseline is accepted, so each refusal below is due to its one change.
    assert_eq!(server.get(path, &ISSUER.sign(&claims()).unwrap()).await.status(), StatusCode::OK);

    let missing = server.client.get(server.url(path)).send().await.unwrap();
    assert_eq!(missing.headers().get("www-authenticate").unwrap(), "Bearer");
    problem(missing, StatusCode::UNAUTHORIZED, "unauthorized").await;

    let alg_none = format!(
        "{}.{}.",
        URL_SAFE_NO_PAD.encode(br#"{"alg":"none","typ":"JWT"}"#),
        URL_SAFE_NO_PAD.encode(claims().to_string())
    );
    // Algorithm confusion: HS256 with the RSA public key (PEM, as published) as the secret.
    let mut header = Header::new(Algorithm::HS256);
    header.kid = Some(ISSUER.jwks().keys[0].kid.clone().unwrap());
    let confused =
        jsonwebtoken::encode(&header, &claims(), &EncodingKey::from_secret(ISSUER.public_key_pem().as_bytes()))
            .unwrap();
    let other_key = DevIssuer::generate(ISSUER.issuer(), ISSUER.client_id()).unwrap();

    let cases = [
        (
            "expired",
            with(|c| {
                c["exp"] = json!(now - 3600);
                c["iat"] = json!(now - 7200);
                c["nbf"] = json!(now - 7200);
            }),
        ),
        ("not yet valid", with(|c| c["nbf"] = json!(now + 3600))),
        ("wrong issuer", with(|c| c["iss"] = json!("https://evil.example"))),
        ("wrong audience", with(|c| c["aud"] = json!("another-client"))),
        (
            "no audience",
            with(|c| {
                c.as_object_mut().unwrap().remove("aud");
            }),
        ),
        ("wrong token_use", with(|c| c["token_use"] = json!("refresh"))),
        (
            "access token of an unknown client",
            with(|c| {
                c["token_use"] = json!("access");
                c["client_id"] = json!("x");
            }),
        ),
        (
            "no tenant",
            with(|c| {
                c.as_object_mut().unwrap().remove("custom:tenant_id");
            }),
        ),
        ("bad tenant", with(|c| c["custom:tenant_id"] = json!("../etc"))),
        ("alg none", alg_none),
        ("HS256 with the public key", confused),
        ("signed by an unknown key", other_key.sign(&claims()).unwrap()),
        ("garbage", "garbage".to_owned()),
        ("tampered", {
            let token = ISSUER.sign(&claims()).unwrap();
            let parts: Vec<&str> = token.split('.').collect();
            let mut forged = claims();
            forged["custom:tenant_id"] = json!("tenant_other");
            format!("{}.{}.{}", parts[0], URL_SAFE_NO_PAD.encode(forged.to_string()), parts[2])
        }),
    ];
    for (case, token) in cases {
        let response = server.get(path, &token).await;
        assert_eq!(response.status(), StatusCode::UNAUTHORIZED, "{case}");
        let body = problem(response, StatusCode::UNAUTHORIZED, "unauthorized").await;
        assert_eq!(body["detail"], "The token is invalid or expired.", "{case}: no internal detail");
    }
}

#[tokio::test]
async fn roles_map_to_principals() {
    let auth = ISSUER.authenticator();
    let principal = |token: String| {
        let auth = &auth;
        async move { auth.verify_token(&token).await.unwrap() }
    };
    assert_eq!(
        principal(crate::customer("tenant_acme")).await,
        Principal::Customer { tenant_id: TenantId::parse("tenant_acme").unwrap() }
    );
    assert_eq!(principal(crate::mint("staff", None)).await, Principal::Staff);
    assert_eq!(principal(crate::mint("payment", None)).await, Principal::Service(Service::Payment));
    assert_eq!(principal(crate::mint("provisioning", None)).await, Principal::Service(Service::Provisioning));
    assert_eq!(principal(crate::mint("cart", None)).await, Principal::Service(Service::Cart));

    // A machine-to-machine access token: a service by its client id.
    let mut config = ISSUER.cognito_config();
    config.service_clients.insert("payments-client".into(), Service::Payment);
    let auth = CognitoAuthenticator::new(config, JwksSource::Static(ISSUER.jwks()));
    let token = with(|c| {
        c["token_use"] = json!("access");
        c["client_id"] = json!("payments-client");
        c.as_object_mut().unwrap().remove("aud");
    });
    assert_eq!(auth.verify_token(&token).await.unwrap(), Principal::Service(Service::Payment));
}

#[tokio::test]
async fn keys_are_refetched_from_the_jwks_on_an_unknown_kid_at_most_once_per_interval() {
    let dir = std::env::temp_dir().join(format!("bbws-jwks-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let file = dir.join("jwks.json");
    std::fs::write(&file, serde_json::to_vec(&ISSUER.jwks()).unwrap()).unwrap();
    let rotated = DevIssuer::generate(ISSUER.issuer(), ISSUER.client_id()).unwrap();
    let new_token = rotated.sign(&claims()).unwrap();

    let mut config: CognitoConfig = ISSUER.cognito_config();
    config.refetch_interval = Duration::from_hours(1);
    let slow = CognitoAuthenticator::new(config.clone(), JwksSource::File(file.clone()));
    assert!(slow.verify_token(&ISSUER.sign(&claims()).unwrap()).await.is_ok());
    assert!(slow.verify_token(&new_token).await.is_err(), "the new key is not published yet");

    // Publish the new key alongside the old one.
    let mut both = ISSUER.jwks();
    both.keys.extend(rotated.jwks().keys);
    std::fs::write(&file, serde_json::to_vec(&both).unwrap()).unwrap();
    assert!(slow.verify_token(&new_token).await.is_err(), "rate-limited: fetched moments ago");

    config.refetch_interval = Duration::ZERO;
    let eager = CognitoAuthenticator::new(config, JwksSource::File(file.clone()));
    assert!(eager.verify_token(&ISSUER.sign(&claims()).unwrap()).await.is_ok());
    assert!(eager.verify_token(&new_token).await.is_ok(), "re-fetched for the unknown kid");

    let missing = CognitoAuthenticator::new(ISSUER.cognito_config(), JwksSource::File(dir.join("absent.json")));
    assert!(matches!(missing.verify_token(&new_token).await, Err(AuthError::Unavailable(_))));
    std::fs::remove_dir_all(&dir).unwrap();
}
