//! The resources an end-to-end test needs in moto: trail bucket, alert topic, and a queue that
//! records what the topic delivers.

use std::collections::BTreeMap;
use std::time::{Duration, Instant};

use aws_sdk_s3::primitives::ByteStream;
use aws_sdk_sqs::types::{DeleteMessageBatchRequestEntry, QueueAttributeName};
use serde_json::{json, Value};

use crate::Moto;

/// The trail bucket [`Stack::create`] makes.
const BUCKET: &str = "keytrail-test-trail";
/// The alert topic [`Stack::create`] makes.
const TOPIC: &str = "keytrail-alerts";
/// The queue subscribed to the topic.
const QUEUE: &str = "keytrail-alerts-subscriber";

/// A trail bucket, an alert topic, and an SQS queue subscribed to the topic with SNS envelopes
/// (`RawMessageDelivery` false), so each message arrives with its subject and attributes.
#[derive(Debug, Clone)]
pub struct Stack {
    /// The trail bucket, `keytrail-test-trail`.
    pub bucket: String,
    /// The ARN of the alert topic `keytrail-alerts` (what the Lambda's `ALERT_TOPIC_ARN` names).
    pub topic_arn: String,
    /// The URL of the subscribed queue.
    pub queue_url: String,
    /// The ARN of the subscribed queue.
    pub queue_arn: String,
    /// The ARN of the queue's subscription to the topic.
    pub subscription_arn: String,
    /// An S3 client for the server (path-style addressing).
    pub s3: aws_sdk_s3::Client,
    /// An SNS client for the server.
    pub sns: aws_sdk_sns::Client,
    /// An SQS client for the server.
    pub sqs: aws_sdk_sqs::Client,
}

/// One SNS notification as the subscribed queue received it.
#[derive(Debug, Clone, PartialEq)]
pub struct ReceivedMessage {
    /// The notification's `Subject`, when the publisher set one.
    pub subject: Option<String>,
    /// The notification's `Message`: for `MessageStructure: json`, the text SNS picked for SQS.
    pub message: String,
    /// Message attributes by name, with their string values (`Binary` ones are base64).
    pub message_attributes: BTreeMap<String, String>,
    /// The whole SNS envelope (`Type`, `MessageId`, `TopicArn`, `Timestamp`, ...).
    pub envelope: Value,
}

impl ReceivedMessage {
    /// `message` parsed as JSON; panics, showing it, when it is not JSON.
    pub fn json(&self) -> Value {
        serde_json::from_str(&self.message)
            .unwrap_or_else(|e| panic!("SNS message is not JSON ({e}): {}", self.message))
    }

    fn from_sqs_body(body: &str) -> ReceivedMessage {
        let envelope: Value = serde_json::from_str(body)
            .unwrap_or_else(|e| panic!("SQS body is not an SNS envelope ({e}): {body}"));
        let Some(message) = envelope["Message"].as_str() else {
            panic!("SNS envelope without a string Message: {body}");
        };
        let message_attributes = envelope["MessageAttributes"]
            .as_object()
            .into_iter()
            .flatten()
            .map(|(name, attr)| {
                let value = attr["Value"].as_str().unwrap_or_else(|| {
                    panic!("message attribute {name} without a string Value: {body}")
                });
                (name.clone(), value.to_owned())
            })
            .collect();
        ReceivedMessage {
            subject: envelope["Subject"].as_str().map(str::to_owned),
            message: message.to_owned(),
            message_attributes,
            envelope,
        }
    }
}

impl Stack {
    /// Creates the bucket, the topic, the queue (with a policy letting the topic send to it) and
    /// the subscription.
    pub async fn create(moto: &Moto) -> Stack {
        let (s3, sns, sqs) = (moto.s3(), moto.sns(), moto.sqs());
        s3.create_bucket()
            .bucket(BUCKET)
            .send()
            .await
            .unwrap_or_else(|e| panic!("creating bucket {BUCKET}: {e:?}"));
        let topic_arn = sns
            .create_topic()
            .name(TOPIC)
            .send()
            .await
            .unwrap_or_else(|e| panic!("creating topic {TOPIC}: {e:?}"))
            .topic_arn
            .expect("CreateTopic answered without a TopicArn");
        let queue_url = sqs
            .create_queue()
            .queue_name(QUEUE)
            .send()
            .await
            .unwrap_or_else(|e| panic!("creating queue {QUEUE}: {e:?}"))
            .queue_url
            .expect("CreateQueue answered without a QueueUrl");
        let queue_arn = sqs
            .get_queue_attributes()
            .queue_url(&queue_url)
            .attribute_names(QueueAttributeName::QueueArn)
            .send()
            .await
            .unwrap_or_else(|e| panic!("reading the ARN of queue {queue_url}: {e:?}"))
            .attributes
            .and_then(|mut a| a.remove(&QueueAttributeName::QueueArn))
            .expect("GetQueueAttributes answered without a QueueArn");
        let policy = json!({
            "Version": "2012-10-17",
            "Statement": [{
                "Effect": "Allow",
                "Principal": {"Service": "sns.amazonaws.com"},
                "Action": "sqs:SendMessage",
                "Resource": queue_arn,
                "Condition": {"ArnEquals": {"aws:SourceArn": topic_arn}},
            }],
        });
        sqs.set_queue_attributes()
            .queue_url(&queue_url)
            .attributes(QueueAttributeName::Policy, policy.to_string())
            .send()
            .await
            .unwrap_or_else(|e| panic!("setting the policy of queue {queue_url}: {e:?}"));
        let subscription_arn = sns
            .subscribe()
            .topic_arn(&topic_arn)
            .protocol("sqs")
            .endpoint(&queue_arn)
            .attributes("RawMessageDelivery", "false")
            .send()
            .await
            .unwrap_or_else(|e| panic!("subscribing {queue_arn} to {topic_arn}: {e:?}"))
            .subscription_arn
            .expect("Subscribe answered without a SubscriptionArn");
        Stack {
            bucket: BUCKET.to_owned(),
            topic_arn,
            queue_url,
            queue_arn,
            subscription_arn,
            s3,
            sns,
            sqs,
        }
    }

    /// Puts `body` into the trail bucket under `key`.
    pub async fn upload(&self, key: &str, body: impl Into<Vec<u8>>) {
        self.s3
            .put_object()
            .bucket(&self.bucket)
            .key(key)
            .body(ByteStream::from(body.into()))
            .send()
            .await
            .unwrap_or_else(|e| panic!("uploading s3://{}/{key}: {e:?}", self.bucket));
    }

    /// Long-polls the queue until at least `expected` messages have arrived or `timeout` has
    /// passed, and returns (and deletes) everything received, in arrival order. It may return
    /// fewer than `expected` (on timeout) or more: assert on the result.
    pub async fn receive_alerts(&self, expected: usize, timeout: Duration) -> Vec<ReceivedMessage> {
        let deadline = Instant::now() + timeout;
        let mut received = Vec::new();
        while received.len() < expected {
            let left = deadline.saturating_duration_since(Instant::now());
            if left.is_zero() {
                break;
            }
            // Whole seconds, at least 1, at most SQS's 20.
            let wait = left.as_secs_f64().ceil().clamp(1.0, 20.0) as i32;
            received.extend(self.receive_batch(wait).await);
        }
        received
    }

    /// Everything waiting in the queue right now (deleted as it is read), without waiting for more.
    pub async fn receive_all_now(&self) -> Vec<ReceivedMessage> {
        let mut received = Vec::new();
        loop {
            let batch = self.receive_batch(0).await;
            if batch.is_empty() {
                return received;
            }
            received.extend(batch);
        }
    }

    /// One ReceiveMessage call (up to 10 messages), deleting what it got.
    async fn receive_batch(&self, wait_seconds: i32) -> Vec<ReceivedMessage> {
        let output = self
            .sqs
            .receive_message()
            .queue_url(&self.queue_url)
            .max_number_of_messages(10)
            .wait_time_seconds(wait_seconds)
            .send()
            .await
            .unwrap_or_else(|e| panic!("receiving from {}: {e:?}", self.queue_url));
        let messages = output.messages.unwrap_or_default();
        let mut deletes = Vec::new();
        let mut received = Vec::new();
        for (i, message) in messages.into_iter().enumerate() {
            received.push(ReceivedMessage::from_sqs_body(
                message.body().unwrap_or_default(),
            ));
            let entry = DeleteMessageBatchRequestEntry::builder()
                .id(i.to_string())
                .set_receipt_handle(message.receipt_handle)
                .build()
                .expect("a delete entry has an id and a receipt handle");
            deletes.push(entry);
        }
        if !deletes.is_empty() {
            self.sqs
                .delete_message_batch()
                .queue_url(&self.queue_url)
                .set_entries(Some(deletes))
                .send()
                .await
                .unwrap_or_else(|e| {
                    panic!("deleting received messages from {}: {e:?}", self.queue_url)
                });
        }
        received
    }
}
