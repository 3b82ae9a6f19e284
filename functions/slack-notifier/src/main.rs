//! The slack-notifier Lambda's entry point: builds the app once, then serves invocations.

use std::sync::Arc;

use keytrail_aws::client;
use lambda_runtime::{service_fn, LambdaEvent};
use serde_json::Value;
use slack_notifier::{config::Config, handler, post::RetryPolicy, App};

#[tokio::main]
async fn main() -> Result<(), lambda_runtime::Error> {
    lambda_runtime::tracing::init_default_subscriber();
    let config = Config::from_env(&|name| std::env::var(name).ok())?;
    // The platform's store: the Slack client below trusts it too, and it is read once.
    let sdk = client::sdk_config(client::Roots::System).await?;
    let secrets = aws_sdk_secretsmanager::Client::new(&sdk);
    let app = App::build(&config, &secrets, RetryPolicy::default())
        .await
        .map_err(|e| e.to_string())?;
    let app = Arc::new(app);
    tracing::info!(
        min_severity = %app.min_severity,
        critical_webhook = app.webhooks.critical.is_some(),
        "ready"
    );
    lambda_runtime::run(service_fn(move |event: LambdaEvent<Value>| {
        let app = Arc::clone(&app);
        async move { handler::handle(&app, event.payload).await }
    }))
    .await
}
