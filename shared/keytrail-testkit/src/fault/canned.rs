//! The canned error answers a [`Fault::Respond`] can carry: what S3, SNS and the JSON-protocol
//! services (Security Hub, EventBridge) send when they throttle or fail.

use super::Fault;

impl Fault {
    /// S3's `503 SlowDown`.
    pub fn s3_slow_down() -> Fault {
        Fault::Respond {
            status: 503,
            content_type: "application/xml".to_owned(),
            body: "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<Error><Code>SlowDown</Code>\
                   <Message>Please reduce your request rate.</Message>\
                   <RequestId>FAULTPROXY</RequestId></Error>"
                .to_owned(),
        }
    }

    /// SNS throttling: `400` with a query-protocol error of code `Throttling`.
    pub fn sns_throttling() -> Fault {
        Fault::sns_error(400, "Sender", "Throttling", "Rate exceeded")
    }

    /// SNS `500 InternalError`.
    pub fn sns_internal_error() -> Fault {
        Fault::sns_error(500, "Receiver", "InternalError", "Internal failure")
    }

    fn sns_error(status: u16, kind: &str, code: &str, message: &str) -> Fault {
        Fault::Respond {
            status,
            content_type: "text/xml".to_owned(),
            body: format!(
                "<ErrorResponse xmlns=\"http://sns.amazonaws.com/doc/2010-03-31/\"><Error>\
                 <Type>{kind}</Type><Code>{code}</Code><Message>{message}</Message></Error>\
                 <RequestId>faultproxy</RequestId></ErrorResponse>"
            ),
        }
    }

    /// A JSON-protocol service's `500` (Security Hub's REST JSON, EventBridge's AWS JSON):
    /// `{"__type": "<code>", "message": ...}`.
    pub fn json_internal_error(code: &str) -> Fault {
        Fault::Respond {
            status: 500,
            content_type: "application/x-amz-json-1.1".to_owned(),
            body: format!("{{\"__type\":\"{code}\",\"message\":\"Internal failure\"}}"),
        }
    }
}
