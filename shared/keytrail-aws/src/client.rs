//! The AWS SDK configuration shared by every client.

use aws_config::{BehaviorVersion, SdkConfig};
use aws_smithy_http_client::tls::{rustls_provider::CryptoMode, Provider, TlsContext, TrustStore};

/// The certificate authorities the SDK's HTTPS client trusts.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Roots {
    /// Amazon Trust Services' roots, compiled in: AWS service endpoints chain to them. Nothing
    /// is read from disk and five certificates are parsed, where the platform's store means
    /// reading and parsing ~150 (over half of the Lambda's start-up instructions: 18M of 35M).
    #[default]
    Aws,
    /// The platform's store (`SSL_CERT_FILE`, `SSL_CERT_DIR`, or the system bundle), for an
    /// endpoint whose certificate AWS did not issue: a TLS-inspecting proxy, a local stand-in.
    System,
}

/// Amazon Root CA 1 to 4 and the Starfield Services Root G2 that cross-signs them, the roots
/// AWS names for its endpoints, in PEM (from Debian's ca-certificates 20230311, Mozilla's store).
pub const AWS_ROOTS: [&str; 5] = [
    include_str!("roots/amazon-root-ca-1.pem"),
    include_str!("roots/amazon-root-ca-2.pem"),
    include_str!("roots/amazon-root-ca-3.pem"),
    include_str!("roots/amazon-root-ca-4.pem"),
    include_str!("roots/starfield-services-root-g2.pem"),
];

impl Roots {
    /// Parses a `TLS_ROOTS` value: `aws` or `system`, any case.
    pub fn parse(value: &str) -> Option<Roots> {
        match value.to_ascii_lowercase().as_str() {
            "aws" => Some(Roots::Aws),
            "system" => Some(Roots::System),
            _ => None,
        }
    }

    fn tls_context(self) -> Result<TlsContext, TrustError> {
        let store = match self {
            Roots::Aws => AWS_ROOTS.iter().fold(TrustStore::empty(), |store, pem| {
                store.with_pem_certificate(*pem)
            }),
            Roots::System => TrustStore::default(),
        };
        TlsContext::builder()
            .with_trust_store(store)
            .build()
            .map_err(|e| TrustError(e.to_string()))
    }
}

/// The HTTPS client's trust store could not be set up.
#[derive(Debug, thiserror::Error)]
#[error("cannot set up the HTTPS client's trust store: {0}")]
pub struct TrustError(String);

/// Loads the SDK configuration the standard way (environment, profile, container or instance
/// credentials; `AWS_REGION`; `AWS_ENDPOINT_URL` and `AWS_ENDPOINT_URL_<SERVICE>`), with an HTTPS
/// client on rustls and ring (no C toolchain needed to cross-compile) trusting `roots`.
pub async fn sdk_config(roots: Roots) -> Result<SdkConfig, TrustError> {
    let http = aws_smithy_http_client::Builder::new()
        .tls_provider(Provider::Rustls(CryptoMode::Ring))
        .tls_context(roots.tls_context()?)
        .build_https();
    Ok(aws_config::defaults(BehaviorVersion::latest())
        .http_client(http)
        .load()
        .await)
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
#[cfg(feature = "sns")]
pub fn sns_client(config: &SdkConfig) -> aws_sdk_sns::Client {
    aws_sdk_sns::Client::new(config)
}

/// A DynamoDB client (the idempotency table).
#[cfg(feature = "dynamodb")]
pub fn dynamodb_client(config: &SdkConfig) -> aws_sdk_dynamodb::Client {
    aws_sdk_dynamodb::Client::new(config)
}

#[cfg(test)]
mod tests {
    use super::*;
    use rustls::pki_types::{pem::PemObject, CertificateDer};

    #[test]
    fn the_compiled_in_roots_are_five_distinct_trust_anchors() {
        let mut store = rustls::RootCertStore::empty();
        for pem in AWS_ROOTS {
            let ders = CertificateDer::pem_slice_iter(pem.as_bytes())
                .collect::<Result<Vec<_>, _>>()
                .unwrap();
            assert_eq!(ders.len(), 1, "one certificate per file");
            store.add(ders[0].clone()).unwrap();
        }
        assert_eq!(store.len(), 5);
        for name in [
            "Amazon Root CA 1",
            "Amazon Root CA 4",
            "Starfield Services Root",
        ] {
            let named = store.roots.iter().any(|anchor| {
                let subject: &[u8] = anchor.subject.as_ref();
                subject.windows(name.len()).any(|w| w == name.as_bytes())
            });
            assert!(named, "no root named {name}");
        }
    }

    #[test]
    fn tls_roots_parse() {
        assert_eq!(Roots::parse("aws"), Some(Roots::Aws));
        assert_eq!(Roots::parse("SYSTEM"), Some(Roots::System));
        assert_eq!(Roots::parse("mozilla"), None);
        assert_eq!(Roots::default(), Roots::Aws);
    }

    #[tokio::test]
    async fn clients_build_with_either_store() {
        for roots in [Roots::Aws, Roots::System] {
            let sdk = sdk_config(roots).await.unwrap();
            // Building a client builds the HTTPS connector, which parses the trust store.
            let _ = s3_client(&sdk);
        }
    }
}
