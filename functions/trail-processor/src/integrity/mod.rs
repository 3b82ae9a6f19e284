//! Log-file integrity validation in the Lambda.

mod config;

pub use config::IntegrityConfig;
