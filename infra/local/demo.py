#!/usr/bin/env python3
"""keytrail end to end on this machine, no AWS account: `make demo` and `make e2e`.

1. starts moto_server (S3 + SNS + SQS) on a free loopback port;
2. creates the trail bucket, the alerts topic and a queue subscribed to it;
3. uploads the sample trail objects (events/trail/*.json.gz) under CloudTrail's key layout;
4. runs the trail-processor Lambda under `cargo lambda watch` and invokes it with sample events
   from events/ through `cargo lambda invoke`;
5. prints every alert that arrives on the queue through SNS, then the same alerts as findings in
   moto's Security Hub and as events on an EventBridge bus (read back through a rule to an SQS
   queue: `setup_sinks`, `show_sinks`);
6. trail integrity: uploads a day of a signed CloudTrail trail (the testkit's generator), edits
   one log object, delivers every object to a second trail-processor with the state table on,
   and prints the integrity alert that arrives (log file modified) next to the others;
   then stops everything.

With --check it also asserts what must arrive and exits non-zero otherwise (the e2e test).
Run it through the Makefile, which first creates the project venv (infra/local/venv.sh).
"""
import argparse
import gzip
import json
import os
import pathlib
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request

import boto3
from botocore.config import Config

ROOT = pathlib.Path(__file__).resolve().parents[2]
VENV = ROOT / ".venv" / "bin"
BUCKET = "keytrail-demo-trail"
ACCOUNT = "123456789012"
DAY = "2026/06/10"
# The integrity step's state table (the Lambda's STATE_TABLE).
STATE_TABLE = "keytrail-demo-state"

# Events invoked, and the alerts (event names) each must produce on the topic.
INVOCATIONS = [
    ("events/s3-put.json", ["ExportCertificate", "NewAccount", "Decrypt"]),
    ("events/eventbridge-api-call-export-certificate.json", ["ExportCertificate"]),
    ("events/sqs-s3.json", None),  # checked on the response: no batchItemFailures
]


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_http(url, seconds, proc=None, what="service"):
    deadline = time.time() + seconds
    while time.time() < deadline:
        if proc is not None and proc.poll() is not None:
            raise SystemExit(f"{what} exited with status {proc.returncode} before it was ready")
        try:
            urllib.request.urlopen(url, timeout=1)
            return
        except urllib.error.HTTPError:
            return  # it answers: ready
        except OSError:
            time.sleep(0.2)
    raise SystemExit(f"{what} did not answer on {url} within {seconds} s")


def object_key(name):
    region = name.split("_")[2] if name.count("_") >= 3 else "us-east-1"
    return f"AWSLogs/{ACCOUNT}/CloudTrail/{region}/{DAY}/{name}"


def setup_stack(endpoint):
    kw = dict(endpoint_url=endpoint, region_name="us-east-1", aws_access_key_id="test",
              aws_secret_access_key="test")
    s3 = boto3.client("s3", config=Config(s3={"addressing_style": "path"}), **kw)
    sns = boto3.client("sns", **kw)
    sqs = boto3.client("sqs", **kw)
    s3.create_bucket(Bucket=BUCKET)
    samples = sorted((ROOT / "events" / "trail").glob("*.json.gz"))
    for path in samples:
        s3.upload_file(str(path), BUCKET, object_key(path.name))
    # The sample event with an encoded key (a space and a %) points at a copy of the first sample.
    first = next(p for p in samples if "keytraildemo0001" in p.name)
    s3.upload_file(str(first), BUCKET,
                   f"AWSLogs/{ACCOUNT}/CloudTrail/us-east-1/{DAY}/demo copy 100%.json.gz")
    topic = sns.create_topic(Name="keytrail-alerts")["TopicArn"]
    queue_url = sqs.create_queue(QueueName="keytrail-demo-alerts")["QueueUrl"]
    queue_arn = sqs.get_queue_attributes(QueueUrl=queue_url, AttributeNames=["QueueArn"])[
        "Attributes"]["QueueArn"]
    sns.subscribe(TopicArn=topic, Protocol="sqs", Endpoint=queue_arn)
    return sqs, queue_url, topic, len(samples)


SINK_BUS = "keytrail-demo-bus"


def setup_sinks(endpoint):
    """Issue 23's optional sinks: Security Hub needs nothing in moto; the bus gets a rule sending
    keytrail's alerts to a queue the demo reads. Answers that queue and the function's env."""
    kw = dict(endpoint_url=endpoint, region_name="us-east-1", aws_access_key_id="test",
              aws_secret_access_key="test")
    events, sqs = boto3.client("events", **kw), boto3.client("sqs", **kw)
    events.create_event_bus(Name=SINK_BUS)
    queue_url = sqs.create_queue(QueueName="keytrail-demo-bus-alerts")["QueueUrl"]
    queue_arn = sqs.get_queue_attributes(QueueUrl=queue_url, AttributeNames=["QueueArn"])[
        "Attributes"]["QueueArn"]
    pattern = {"source": ["keytrail"], "detail-type": ["keytrail Alert"]}
    events.put_rule(Name="keytrail-alerts", EventBusName=SINK_BUS, EventPattern=json.dumps(pattern))
    events.put_targets(Rule="keytrail-alerts", EventBusName=SINK_BUS,
                       Targets=[{"Id": "queue", "Arn": queue_arn}])
    return queue_url, {"SECURITY_HUB": "true", "EVENT_BUS": SINK_BUS}


def show_sinks(endpoint, bus_queue, sns_ids, failures):
    """Prints what reached Security Hub and the bus, and checks it is what reached SNS: every alert
    a finding (once: the finding id is the alert id), every SNS message an event."""
    kw = dict(endpoint_url=endpoint, region_name="us-east-1", aws_access_key_id="test",
              aws_secret_access_key="test")
    hub, sqs = boto3.client("securityhub", **kw), boto3.client("sqs", **kw)
    findings, token = [], None
    while True:
        page = hub.get_findings(MaxResults=100, **({"NextToken": token} if token else {}))
        findings += page["Findings"]
        token = page.get("NextToken")
        if not token:
            break
    print(f"\n== Security Hub: {len(findings)} finding(s)")
    for f in findings:
        print(f"  {f['Severity']['Label']:<8} {f['Title']}  [{f['GeneratorId']}]  {', '.join(f['Types'])}")
    events = []
    while True:
        out = sqs.receive_message(QueueUrl=bus_queue, MaxNumberOfMessages=10, WaitTimeSeconds=1)
        if not out.get("Messages"):
            break
        for m in out["Messages"]:
            sqs.delete_message(QueueUrl=bus_queue, ReceiptHandle=m["ReceiptHandle"])
            events.append(json.loads(m["Body"]))
    print(f"== EventBridge bus {SINK_BUS} -> rule -> SQS: {len(events)} event(s)")
    for e in events:
        d = e["detail"]
        print(f"  {e['source']} / {e['detail-type']}: {d['severity']} {d['rule_id']} {d['event_name']}")
    if {f["Id"] for f in findings} != set(sns_ids) or len(findings) != len(set(sns_ids)):
        failures.append(f"Security Hub holds {sorted(f['Id'] for f in findings)}, SNS carried {sorted(set(sns_ids))}")
    if sorted(e["detail"]["alert_id"] for e in events) != sorted(sns_ids):
        failures.append(f"the bus carried {len(events)} event(s), SNS {len(sns_ids)} alert(s)")


def receive(sqs, queue_url, want, seconds):
    got, deadline = [], time.time() + seconds
    while time.time() < deadline and (want is None or len(got) < want):
        out = sqs.receive_message(QueueUrl=queue_url, MaxNumberOfMessages=10, WaitTimeSeconds=1)
        for m in out.get("Messages", []):
            sqs.delete_message(QueueUrl=queue_url, ReceiptHandle=m["ReceiptHandle"])
            envelope = json.loads(m["Body"])
            got.append((envelope.get("Subject", ""), json.loads(envelope["Message"]),
                        {k: v.get("Value") for k, v in envelope.get("MessageAttributes", {}).items()}))
        if want is None and not out.get("Messages"):
            break
    return got


def show(alerts):
    for subject, alert, attrs in alerts:
        print(f"  {subject}")
        print(f"      rule {alert['rule_id']}  event {alert['event_source']} {alert['event_name']}"
              f"  by {alert['principal']}  at {alert['event_time']}")
        print(f"      from {alert['source']['object']}  attributes {attrs}")


# --- Trail integrity (issue 20) ---------------------------------------------------------------
# The signed trail comes from keytrail-testkit's generator (`examples/demo_trail.rs`: the day the
# integration tests use, signed with the committed TEST-ONLY key), which also serves that key as
# CloudTrail's ListPublicKeys on a loopback port (moto has no such API). A second trail-processor
# runs with the state table on: alert idempotency comes with it, and in the first one it would
# drop the EventBridge step's alert as the duplicate of the S3 step's.


def start_signed_trail(endpoint, logs, procs):
    """Uploads the generated signed day into moto; answers what the generator printed."""
    subprocess.run(["cargo", "build", "-q", "-p", "keytrail-testkit", "--example", "demo_trail"],
                   cwd=ROOT, check=True)
    proc = subprocess.Popen(["cargo", "run", "-q", "-p", "keytrail-testkit", "--example",
                             "demo_trail", "--", endpoint], cwd=ROOT, stdout=subprocess.PIPE,
                            stderr=open(logs / "demo-trail.log", "w"), text=True,
                            start_new_session=True)
    procs.append(proc)
    line = proc.stdout.readline()
    if not line:
        raise SystemExit(f"demo_trail exited ({proc.poll()}) without output: see "
                         f"{logs / 'demo-trail.log'}")
    return json.loads(line)


def edit_one_log(s3, bucket, key):
    """Changes one byte of a log object's content, as an attacker hiding an event would."""
    body = s3.get_object(Bucket=bucket, Key=key)["Body"].read()
    content = gzip.decompress(body)
    edited = content.replace(b"aws-cli/2.15.0", b"aws-cli/2.16.0", 1)
    if edited == content:
        raise SystemExit(f"s3://{bucket}/{key}: no `aws-cli/2.15.0` to edit in the generated log")
    s3.put_object(Bucket=bucket, Key=key, Body=gzip.compress(edited),
                  ContentType="application/json", ContentEncoding="gzip")


def create_state_table(endpoint):
    """The state table as the template creates it: pk/sk strings, TTL on `expires_at`."""
    ddb = boto3.client("dynamodb", endpoint_url=endpoint, region_name="us-east-1",
                       aws_access_key_id="test", aws_secret_access_key="test")
    ddb.create_table(TableName=STATE_TABLE, BillingMode="PAY_PER_REQUEST",
                     AttributeDefinitions=[{"AttributeName": n, "AttributeType": "S"}
                                           for n in ("pk", "sk")],
                     KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"},
                                {"AttributeName": "sk", "KeyType": "RANGE"}])
    ddb.update_time_to_live(TableName=STATE_TABLE, TimeToLiveSpecification={
        "Enabled": True, "AttributeName": "expires_at"})


def start_watch(env, port, log, procs):
    """trail-processor under `cargo lambda watch` on 127.0.0.1:port with `env`."""
    cmd = [str(VENV / "cargo-lambda"), "lambda", "watch", "--ignore-changes", "--invoke-address",
           "127.0.0.1", "--invoke-port", str(port), "--bin", "trail-processor"]
    for k, v in env.items():
        cmd += ["--env-var", f"{k}={v}"]
    proc = subprocess.Popen(cmd, cwd=ROOT / "functions" / "trail-processor",
                            stdout=open(log, "w"), stderr=subprocess.STDOUT, start_new_session=True,
                            env={**os.environ, "PATH": f"{VENV}:{os.environ['PATH']}"})
    procs.append(proc)
    # Generous: under load `cargo lambda watch` waits for the build directory first.
    wait_http(f"http://127.0.0.1:{port}/", 600, proc, "cargo lambda watch")


def invoke_http(port, payload):
    """One invocation through the watch's invoke endpoint (what `cargo lambda invoke` calls)."""
    request = urllib.request.Request(
        f"http://127.0.0.1:{port}/2015-03-31/functions/trail-processor/invocations",
        data=json.dumps(payload).encode(), method="POST",
        headers={"Content-Type": "application/json"})
    try:
        with urllib.request.urlopen(request, timeout=300) as response:
            return json.loads(response.read() or b"{}")
    except urllib.error.HTTPError as e:
        # A function error: cargo lambda answers 500 with the error's JSON as the body.
        body = e.read().decode(errors="replace")
        try:
            return json.loads(body)
        except ValueError:
            return {"errorType": f"HTTP {e.code}", "errorMessage": body[:2000]}


def s3_notification(bucket, keys):
    """The S3 event notification of `keys`, each record shaped as `events/s3-put.json`'s
    (CloudTrail's keys need no URL encoding)."""
    sample = json.loads((ROOT / "events" / "s3-put.json").read_text())["Records"][0]
    records = []
    for key in keys:
        record = json.loads(json.dumps(sample))
        record["eventTime"] = "2026-06-11T00:20:00.000Z"
        record["s3"]["bucket"].update(name=bucket, arn=f"arn:aws:s3:::{bucket}")
        record["s3"]["object"].update(key=key, size=1)
        records.append(record)
    return {"Records": records}


def show_integrity(alerts):
    for subject, alert, attrs in alerts:
        print(f"  {subject}")
        print(f"      rule {alert['rule_id']}  severity {alert['severity']}"
              f"  account {alert.get('account')}  region {alert.get('region')}")
        print(f"      object {alert['source']['object']}")
        print(f"      {alert['description'][:300]}")


def integrity_demo(endpoint, sqs, queue_url, topic, logs, procs, failures):
    """A signed day uploaded, one log edited, everything delivered: the tamper alert arrives."""
    print("\n== trail integrity: a day of a signed trail (keytrail-testkit's generator)")
    trail = start_signed_trail(endpoint, logs, procs)
    bucket = trail["bucket"]
    print(f"   uploaded {len(trail['digests'])} signed digests and {len(trail['logs'])} log files"
          f" to s3://{bucket}/ (4 digest chains, hourly, signed with the generator's TEST-ONLY key)")
    print(f"   ListPublicKeys: keytrail-testkit's stand-in on {trail['cloudtrail_endpoint']}"
          f" (moto has no ListPublicKeys), serving key {', '.join(trail['fingerprints'])}")
    # A log file listed by the 09:17:28 digest of main-trail's us-east-1 chain.
    edited = next(k for k in trail["logs"]
                  if "/CloudTrail/us-east-1/" in k and "_20260610T0835Z_" in k
                  and not k.startswith("org/"))
    edit_one_log(boto3.client("s3", endpoint_url=endpoint, region_name="us-east-1",
                              aws_access_key_id="test", aws_secret_access_key="test",
                              config=Config(s3={"addressing_style": "path"})), bucket, edited)
    print(f"   edited one byte of s3://{bucket}/{edited}")
    create_state_table(endpoint)
    port = free_port()
    env = {"ALERT_TOPIC_ARN": topic, "AWS_ENDPOINT_URL": endpoint,
           "AWS_ENDPOINT_URL_CLOUDTRAIL": trail["cloudtrail_endpoint"], "AWS_REGION": "us-east-1",
           "AWS_ACCESS_KEY_ID": "test", "AWS_SECRET_ACCESS_KEY": "test", "RUST_LOG": "info",
           "STATE_TABLE": STATE_TABLE}
    print(f"== a second trail-processor with STATE_TABLE={STATE_TABLE} (log file validation on),"
          f" cargo lambda watch on 127.0.0.1:{port} (log {logs / 'watch-integrity.log'})")
    start_watch(env, port, logs / "watch-integrity.log", procs)
    started = time.time()
    # As CloudTrail delivers: the log files, then the digests (10 a notification, as an SQS
    # batch carries them; in key order, so each chain in time order).
    batches = [trail["logs"][i:i + 50] for i in range(0, len(trail["logs"]), 50)]
    batches += [trail["digests"][i:i + 10] for i in range(0, len(trail["digests"]), 10)]
    for keys in batches:
        response = invoke_http(port, s3_notification(bucket, keys))
        if response.get("batchItemFailures") or "errorType" in response:
            failures.append(f"integrity: delivering {keys[0]}...: {json.dumps(response)[:500]}")
    check = invoke_http(port, {
        "version": "0", "id": "00000000-0000-4000-8000-000000000020",
        "detail-type": "Scheduled Event", "source": "aws.events", "account": ACCOUNT,
        "time": trail["as_of"], "region": "us-east-1", "resources": [], "detail": {}})
    print(f"   delivered {len(batches)} S3 notifications in {time.time() - started:.1f} s;"
          f" scheduled check as of {trail['as_of']}: {json.dumps(check)}")
    alerts = receive(sqs, queue_url, 1, 30)
    alerts += receive(sqs, queue_url, None, 3)
    print(f"   {len(alerts)} alert(s) arrived through SNS:")
    show_integrity(alerts)
    got = sorted((a["rule_id"], a["severity"], a["source"]["object"]) for _, a, _ in alerts)
    want = [("keytrail-integrity-log-file-modified", "critical", f"s3://{bucket}/{edited}")]
    if got != want:
        failures.append(f"integrity: expected alerts {want}, got {got}")
    if check.get("problems") != 0:
        failures.append(f"integrity: the scheduled check found problems: {check}")


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--check", action="store_true", help="assert the expected alerts (e2e test)")
    ap.add_argument("--no-integrity", action="store_true",
                    help="skip step 6, the trail-integrity tamper (it builds the testkit's generator)")
    args = ap.parse_args()
    cargo_lambda = VENV / "cargo-lambda"
    moto_port, invoke_port = free_port(), free_port()
    endpoint = f"http://127.0.0.1:{moto_port}"
    logs = pathlib.Path(tempfile.mkdtemp(prefix="keytrail-demo-"))
    procs = []
    failures = []
    try:
        print(f"== local AWS: moto_server on {endpoint} (logs in {logs})")
        moto = subprocess.Popen([str(VENV / "moto_server"), "-H", "127.0.0.1", "-p", str(moto_port)],
                                stdout=open(logs / "moto.log", "w"), stderr=subprocess.STDOUT,
                                start_new_session=True)
        procs.append(moto)
        wait_http(f"{endpoint}/moto-api/", 60, moto, "moto_server")
        sqs, queue_url, topic, n = setup_stack(endpoint)
        bus_queue, sink_env = setup_sinks(endpoint)
        sns_ids = []
        print(f"== uploaded {n + 1} trail objects to s3://{BUCKET}/AWSLogs/{ACCOUNT}/CloudTrail/...")

        print("== building trail-processor")
        subprocess.run(["cargo", "build", "-q", "-p", "trail-processor"], cwd=ROOT, check=True)
        env = {"ALERT_TOPIC_ARN": topic, "AWS_ENDPOINT_URL": endpoint, "AWS_REGION": "us-east-1",
               "AWS_ACCESS_KEY_ID": "test", "AWS_SECRET_ACCESS_KEY": "test", "RUST_LOG": "info"}
        env.update(sink_env)
        watch_cmd = [str(cargo_lambda), "lambda", "watch", "--ignore-changes", "--invoke-address",
                     "127.0.0.1", "--invoke-port", str(invoke_port), "--bin", "trail-processor"]
        for k, v in env.items():
            watch_cmd += ["--env-var", f"{k}={v}"]
        print(f"== cargo lambda watch on 127.0.0.1:{invoke_port} (log {logs / 'watch.log'})")
        watch = subprocess.Popen(watch_cmd, cwd=ROOT / "functions" / "trail-processor",
                                 stdout=open(logs / "watch.log", "w"), stderr=subprocess.STDOUT,
                                 start_new_session=True, env={**os.environ, "PATH": f"{VENV}:{os.environ['PATH']}"})
        procs.append(watch)
        wait_http(f"http://127.0.0.1:{invoke_port}/", 600, watch, "cargo lambda watch")

        for data_file, expected in INVOCATIONS:
            print(f"\n== cargo lambda invoke trail-processor --data-file {data_file}")
            out = subprocess.run([str(cargo_lambda), "lambda", "invoke", "trail-processor",
                                  "--invoke-address", "127.0.0.1", "--invoke-port", str(invoke_port),
                                  "--data-file", str(ROOT / data_file)],
                                 cwd=ROOT, capture_output=True, text=True, timeout=300)
            response = out.stdout.strip()
            print(f"   response: {response[:300]}")
            if out.returncode != 0:
                failures.append(f"{data_file}: invoke failed: {out.stderr.strip()[-500:]}")
                continue
            alerts = receive(sqs, queue_url, len(expected) if expected else None, 20)
            print(f"   {len(alerts)} alert(s) arrived through SNS:")
            sns_ids += [a["alert_id"] for _, a, _ in alerts]
            show(alerts)
            if expected is not None:
                names = sorted(a["event_name"] for _, a, _ in alerts)
                if names != sorted(expected):
                    failures.append(f"{data_file}: expected alerts for {sorted(expected)}, got {names}")
            elif json.loads(response or "{}").get("batchItemFailures"):
                failures.append(f"{data_file}: batchItemFailures in {response}")
        show_sinks(endpoint, bus_queue, sns_ids, failures)

        if not args.no_integrity:
            integrity_demo(endpoint, sqs, queue_url, topic, logs, procs, failures)
    finally:
        for p in reversed(procs):
            try:
                os.killpg(p.pid, signal.SIGTERM)
                p.wait(timeout=10)
            except (ProcessLookupError, subprocess.TimeoutExpired):
                os.killpg(p.pid, signal.SIGKILL)
        if not failures:
            shutil.rmtree(logs, ignore_errors=True)
    if failures:
        print("\nFAILED:\n  " + "\n  ".join(failures) + f"\n(logs kept in {logs})", file=sys.stderr)
        return 1 if args.check else 0
    print("\n== done: local stack stopped")
    return 0


if __name__ == "__main__":
    sys.exit(main())
