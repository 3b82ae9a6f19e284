//! The trail-processor Lambda's entry point: builds the app once, then serves invocations.

use std::sync::Arc;
use std::time::Instant;

use keytrail_aws::{client, s3::S3Source};
use lambda_runtime::{service_fn, LambdaEvent};
use serde_json::Value;
use trail_processor::{config::Config, handler, load_rules, App};

#[tokio::main]
async fn main() -> Result<(), lambda_runtime::Error> {
    let started = Instant::now();
    lambda_runtime::tracing::init_default_subscriber();
    let mut config = Config::from_env(&|name| std::env::var(name).ok())?;
    let sdk = client::sdk_config(config.tls_roots).await?;
    let source = S3Source::new(client::s3_client(&sdk));
    let rules = load_rules(&config, &source)
        .await
        .map_err(|e| e.to_string())?;
    config.suppress = trail_processor::storm::control(&config, &rules)?;
    let sink = trail_processor::sns_sink(&config, &sdk);
    let extra_sinks = trail_processor::sinks::build(&config.sinks, &sdk, Default::default());
    let ledger = trail_processor::ledger(&config, client::dynamodb_client(&sdk));
    let integrity = trail_processor::integrity(
        &config,
        client::dynamodb_client(&sdk),
        client::s3_client(&sdk),
        aws_sdk_cloudtrail::Client::new(&sdk),
    );
    let function_name =
        std::env::var("AWS_LAMBDA_FUNCTION_NAME").unwrap_or_else(|_| "trail-processor".to_owned());
    let rule_count = rules.rules().len();
    let app = Arc::new(App {
        config,
        rules: Arc::new(rules),
        source,
        sink,
        extra_sinks,
        ledger,
        function_name,
        integrity,
    });
    let ready_ms = u64::try_from(started.elapsed().as_micros()).unwrap_or(u64::MAX) as f64 / 1000.0;
    tracing::info!(rules = rule_count, ready_ms, "ready");
    lambda_runtime::run(service_fn(move |event: LambdaEvent<Value>| {
        let app = Arc::clone(&app);
        async move {
            let stop_at = handler::stop_at(event.context.deadline, app.config.deadline_reserve);
            handler::handle_until(&app, event.payload, stop_at).await
        }
    }))
    .await
}
