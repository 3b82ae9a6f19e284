//! The kit itself: moto starts, the stack works end to end, reset empties it, and no server
//! outlives its test, whether the `Moto` is dropped or the test process is killed outright.

use std::net::{Ipv4Addr, SocketAddr, TcpStream};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use aws_sdk_sns::types::MessageAttributeValue;
use keytrail_testkit::{Moto, Stack};

#[tokio::test]
async fn stack_round_trip_then_reset() {
    let started = Instant::now();
    let moto = Moto::start().await;
    eprintln!(
        "moto started in {:?} on {}",
        started.elapsed(),
        moto.endpoint()
    );
    let stack = Stack::create(&moto).await;

    let key = "AWSLogs/123456789012/CloudTrail/us-east-1/2024/05/01/trail file+1.json.gz";
    stack.upload(key, b"{\"Records\":[]}".to_vec()).await;
    let object = stack
        .s3
        .get_object()
        .bucket(&stack.bucket)
        .key(key)
        .send()
        .await
        .unwrap();
    let body = object.body.collect().await.unwrap().into_bytes();
    assert_eq!(&body[..], b"{\"Records\":[]}");
    // Production code builds its S3 client without force_path_style: against an IP endpoint the
    // SDK falls back to path style by itself, so that client works against moto too.
    let plain_s3 = aws_sdk_s3::Client::new(&moto.sdk_config());
    let listed = plain_s3
        .list_objects_v2()
        .bucket(&stack.bucket)
        .send()
        .await
        .unwrap();
    assert_eq!(listed.contents().len(), 1);

    let severity = MessageAttributeValue::builder()
        .data_type("String")
        .string_value("high")
        .build()
        .unwrap();
    stack
        .sns
        .publish()
        .topic_arn(&stack.topic_arn)
        .subject("keytrail: test alert")
        .message("{\"rule_id\":\"smoke\"}")
        .message_attributes("severity", severity)
        .send()
        .await
        .unwrap();
    let alerts = stack.receive_alerts(1, Duration::from_secs(10)).await;
    assert_eq!(alerts.len(), 1, "{alerts:#?}");
    assert_eq!(alerts[0].subject.as_deref(), Some("keytrail: test alert"));
    assert_eq!(alerts[0].json()["rule_id"], "smoke");
    assert_eq!(alerts[0].message_attributes["severity"], "high");
    assert_eq!(alerts[0].envelope["TopicArn"], stack.topic_arn.as_str());
    assert!(
        stack.receive_all_now().await.is_empty(),
        "received messages are deleted"
    );

    moto.reset().await;
    let gone = stack.s3.head_bucket().bucket(&stack.bucket).send().await;
    assert!(gone.is_err(), "the bucket survived a reset");
    let again = Stack::create(&moto).await;
    assert_eq!(again.bucket, stack.bucket);
}

#[tokio::test]
async fn dropping_moto_stops_the_server() {
    let moto = Moto::start().await;
    let port = moto.port();
    assert!(listening(port));
    drop(moto);
    assert!(
        !listening(port),
        "moto still listens on {port} after the drop"
    );
}

/// Run by `moto_dies_with_a_killed_test_process` in a child process: starts a server, writes its
/// port where the parent can find it, then hangs until killed. A no-op in a normal run.
#[tokio::test]
async fn hold_moto_until_killed() {
    let Some(port_file) = std::env::var_os("KEYTRAIL_TESTKIT_PORT_FILE") else {
        return;
    };
    let moto = Moto::start().await;
    std::fs::write(port_file, moto.port().to_string()).unwrap();
    tokio::time::sleep(Duration::from_secs(600)).await;
    drop(moto);
}

#[test]
fn moto_dies_with_a_killed_test_process() {
    let dir = tempfile::tempdir().unwrap();
    let port_file = dir.path().join("port");
    let mut child = Command::new(std::env::current_exe().unwrap())
        .args(["hold_moto_until_killed", "--exact", "--nocapture"])
        .env("KEYTRAIL_TESTKIT_PORT_FILE", &port_file)
        .stdout(Stdio::null())
        .spawn()
        .unwrap();
    let started = Instant::now();
    let port: u16 = loop {
        if let Ok(port) = std::fs::read_to_string(&port_file) {
            break port.parse().unwrap();
        }
        assert!(
            started.elapsed() < Duration::from_secs(60),
            "the child never started moto"
        );
        std::thread::sleep(Duration::from_millis(50));
    };
    assert!(listening(port));
    child.kill().unwrap(); // SIGKILL: no unwinding, no Drop
    child.wait().unwrap();
    let killed = Instant::now();
    while listening(port) {
        assert!(
            killed.elapsed() < Duration::from_secs(10),
            "moto on port {port} outlived the killed test process"
        );
        std::thread::sleep(Duration::from_millis(50));
    }
}

fn listening(port: u16) -> bool {
    let addr = SocketAddr::from((Ipv4Addr::LOCALHOST, port));
    TcpStream::connect_timeout(&addr, Duration::from_secs(1)).is_ok()
}
