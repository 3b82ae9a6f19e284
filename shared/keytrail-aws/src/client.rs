//! The AWS SDK configuration shared by every client.

use aws_config::{BehaviorVersion, SdkConfig};
use aws_smithy_http_client::tls::{rustls_provider::CryptoMode, Provider};

/// Loads the SDK configuration the standard way (environment, profile, container or instance
/// credentials; `AWS_REGION`; `AWS_ENDPOINT_URL` and `AWS_ENDPOINT_URL_<SERVICE>`), with an HTTPS
/// client on rustls and ring (no C toolchain needed to cross-compile).
pub async fn sdk_config() -> SdkConfig {
    let http = aws_smithy_http_client::Builder::new()
        .tls_provider(Provider::Rustls(CryptoMode::Ring))
        .build_https();
    aws_config::defaults(BehaviorVersion::latest())
        .http_client(http)
        .load()
        .await
}

/// An S3 client. Path-style addressing when an endpoint override is set (local S3 stand-ins
/// such as moto serve buckets by path, not by host name).
pub fn s3_client(config: &SdkConfig) -> aws_sdk_s3::Client {
    let path_style = config.endpoint_url().is_some();
    let s3 = aws_sdk_s3::config::Builder::from(config)
        .force_path_style(path_style)
        .build();
    aws_sdk_s3::Client::from_conf(s3)
}

/// An SNS client.
pub fn sns_client(config: &SdkConfig) -> aws_sdk_sns::Client {
    aws_sdk_sns::Client::new(config)
}

/// A DynamoDB client (the idempotency table).
pub fn dynamodb_client(config: &SdkConfig) -> aws_sdk_dynamodb::Client {
    aws_sdk_dynamodb::Client::new(config)
}
