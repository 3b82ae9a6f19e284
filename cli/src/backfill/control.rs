//! The S3 Control client (`CreateJob`, `DescribeJob`).
//!
//! S3 Control puts the account id in front of the endpoint's host
//! (`https://ACCOUNT.s3-control.REGION.amazonaws.com`, and `https://ACCOUNT.HOST` for an
//! endpoint given with `--endpoint-url` or `AWS_ENDPOINT_URL_S3_CONTROL`). For an endpoint whose
//! host is an IP address that makes no host at all (`123456789012.127.0.0.1`), so there the
//! resolver keeps the endpoint as given: the account still travels in the `x-amz-account-id`
//! header, as on every S3 Control request. Any other endpoint resolves exactly as the SDK's
//! rules say.

use std::net::IpAddr;

use aws_config::SdkConfig;
use aws_sdk_s3control::config::endpoint::{
    DefaultResolver, Endpoint, EndpointFuture, Params, ResolveEndpoint,
};

/// The SDK's resolver, with IP-address endpoints kept as given.
#[derive(Debug)]
struct Resolver(DefaultResolver);

/// True when `url`'s host is an IP address (`http://127.0.0.1:9000`, `http://[::1]:9000`).
fn host_is_ip(url: &str) -> bool {
    let rest = url.split_once("://").map_or(url, |(_, rest)| rest);
    let authority = rest.split('/').next().unwrap_or(rest);
    let host = match authority.strip_prefix('[') {
        Some(v6) => v6.split(']').next().unwrap_or(v6),
        None => authority.rsplit_once(':').map_or(authority, |(h, _)| h),
    };
    host.parse::<IpAddr>().is_ok()
}

impl ResolveEndpoint for Resolver {
    fn resolve_endpoint<'a>(&'a self, params: &'a Params) -> EndpointFuture<'a> {
        EndpointFuture::new(async move {
            let endpoint: Endpoint = self.0.resolve_endpoint(params).await?;
            Ok(match params.endpoint().filter(|url| host_is_ip(url)) {
                Some(url) => endpoint.into_builder().url(url.to_owned()).build(),
                None => endpoint,
            })
        })
    }
}

/// An S3 Control client for `config`.
pub fn client(config: &SdkConfig) -> aws_sdk_s3control::Client {
    let conf = aws_sdk_s3control::config::Builder::from(config)
        .endpoint_resolver(Resolver(DefaultResolver::new()))
        .build();
    aws_sdk_s3control::Client::from_conf(conf)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ip_hosts() {
        for (url, ip) in [
            ("http://127.0.0.1:9000", true),
            ("http://127.0.0.1", true),
            ("http://[::1]:9000/path", true),
            ("https://s3-control.us-east-1.amazonaws.com", false),
            ("https://localhost:9000", false),
            (
                "https://control.vpce-1a2b.s3.us-west-2.vpce.amazonaws.com",
                false,
            ),
        ] {
            assert_eq!(host_is_ip(url), ip, "{url}");
        }
    }

    #[tokio::test]
    async fn only_ip_endpoints_lose_the_account_prefix() {
        let resolver = Resolver(DefaultResolver::new());
        for (endpoint, want) in [
            ("http://127.0.0.1:9000", "http://127.0.0.1:9000"),
            ("https://example.com", "https://111122223333.example.com"),
        ] {
            let params = Params::builder()
                .region("us-east-1")
                .account_id("111122223333")
                .requires_account_id(true)
                .endpoint(endpoint)
                .build()
                .unwrap();
            let resolved = resolver.resolve_endpoint(&params).await.unwrap();
            assert_eq!(resolved.url(), want, "{endpoint}");
        }
    }
}
