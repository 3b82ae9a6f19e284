//! The AWS connection every command that talks to AWS shares: the `--profile`, `--region` and
//! `--endpoint-url` flags, and the SDK configuration built from them.
//!
//! Credentials come from the SDK's standard chain, as the AWS CLI finds them: the environment
//! (`AWS_ACCESS_KEY_ID` …), then the profile (`--profile`, else `AWS_PROFILE`, else `default`) in
//! `~/.aws/config` and `~/.aws/credentials` (`AWS_CONFIG_FILE`, `AWS_SHARED_CREDENTIALS_FILE`):
//! static keys, `role_arn` + `source_profile`, IAM Identity Center (`sso_session` or the legacy
//! `sso_start_url`, after `aws sso login`), `credential_process`; then web identity, container and
//! instance credentials. The SSO and `credential_process` providers are compiled into the CLI only
//! (cli/Cargo.toml): the Lambdas run on their role and do not carry them.
//!
//! HTTPS trusts the platform's store: a laptop may sit behind a TLS-inspecting proxy.

use aws_config::{BehaviorVersion, Region, SdkConfig};
use aws_smithy_http_client::tls::{rustls_provider::CryptoMode, Provider};
use clap::Args;

/// Where and as whom to reach AWS.
#[derive(Debug, Clone, Default, Args)]
#[command(next_help_heading = "AWS")]
pub struct AwsArgs {
    /// The named profile to use from the AWS config and credentials files: static keys, an
    /// assumed role, IAM Identity Center (SSO; run `aws sso login --profile NAME` first) or
    /// credential_process. Default: AWS_PROFILE, else the default profile.
    #[arg(long, value_name = "NAME")]
    pub profile: Option<String>,

    /// The region (e.g. eu-west-1). Default: AWS_REGION, else the profile's region.
    #[arg(long, value_name = "REGION")]
    pub region: Option<String>,

    /// Send every AWS request to this URL instead of the service's endpoint (a local S3
    /// stand-in, a VPC or FIPS endpoint). Default: AWS_ENDPOINT_URL.
    #[arg(long, value_name = "URL", value_parser = parse_endpoint)]
    pub endpoint_url: Option<String>,
}

impl AwsArgs {
    /// The SDK configuration: the standard chain, with the flags taking precedence over the
    /// environment and the profile.
    pub async fn sdk_config(&self) -> SdkConfig {
        let http = aws_smithy_http_client::Builder::new()
            .tls_provider(Provider::Rustls(CryptoMode::Ring))
            .build_https();
        let mut loader = aws_config::defaults(BehaviorVersion::latest()).http_client(http);
        if let Some(profile) = &self.profile {
            loader = loader.profile_name(profile);
        }
        if let Some(region) = &self.region {
            loader = loader.region(Region::new(region.clone()));
        }
        if let Some(url) = &self.endpoint_url {
            loader = loader.endpoint_url(url);
        }
        loader.load().await
    }
}

fn parse_endpoint(text: &str) -> Result<String, String> {
    let scheme_ok = ["http://", "https://"].iter().any(|s| {
        text.len() > s.len()
            && text
                .get(..s.len())
                .is_some_and(|p| p.eq_ignore_ascii_case(s))
    });
    if scheme_ok {
        Ok(text.to_owned())
    } else {
        Err(format!(
            "{text:?} is not an endpoint URL: write http(s)://HOST[:PORT], e.g. http://127.0.0.1:5000"
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn endpoint_urls() {
        for (text, ok) in [
            ("http://127.0.0.1:5000", true),
            ("https://s3.eu-west-1.amazonaws.com", true),
            ("HTTPS://example.com", true),
            ("https://", false),
            ("127.0.0.1:5000", false),
            ("s3://bucket", false),
        ] {
            assert_eq!(parse_endpoint(text).is_ok(), ok, "{text}");
        }
    }
}
