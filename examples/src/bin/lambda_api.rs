//! The HTTP API as a Lambda function behind API Gateway (HTTP API, payload format 2.0): the
//! server's router, configured by the `BBWS_…` variables (see
//! [`lambda_api`](bbws_examples::lambda_api)), logging JSON lines.

use bbws_examples::http::settings::init_logs;
use bbws_examples::lambda_api;

#[tokio::main]
async fn main() -> Result<(), lambda_http::Error> {
    init_logs(true);
    let api = match lambda_api::from_env().await {
        Ok(api) => api,
        Err(error) => {
            tracing::error!(%error, "cannot start");
            return Err(error.into());
        }
    };
    lambda_http::run(api).await
}
