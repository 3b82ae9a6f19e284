#!/usr/bin/env python3
"""Builds the sample CloudTrail log objects in events/trail/ from ../shared/corpus, and the
CloudWatch Logs subscription payload events/cloudwatch-logs-cloudtrail.json.

The outputs are committed; rerun this after changing it (`make samples`). gzip output is
deterministic (mtime 0), so a rerun that changes nothing leaves git clean.

Provenance of every record: ../shared/corpus/README.md (AWS documentation examples, CC-BY-SA-4.0 /
MIT-0). The EventBridge envelope around ExportCertificate reproduces the one printed in seed
001_eb5c09d430e3e1e5.txt (which is invalid JSON as printed).
"""
import base64
import copy
import gzip
import io
import json
import pathlib
import sys

HERE = pathlib.Path(__file__).resolve().parent
CORPUS = HERE.parent.parent / "shared" / "corpus"
OUT = HERE / "trail"


def records(rel):
    doc = json.loads((CORPUS / rel).read_text())
    if isinstance(doc, dict) and "Records" in doc:
        return doc["Records"]
    return doc if isinstance(doc, list) else [doc]


def one(rel):
    (rec,) = records(rel)
    return rec


def gz(path, payload, members=1):
    """Writes `payload` as JSON, split into `members` gzip members at arbitrary byte offsets
    (CloudTrail objects can be multi-member; a member boundary need not fall between records)."""
    data = json.dumps(payload, separators=(",", ":")).encode()
    cuts = [len(data) * i // members for i in range(members + 1)]
    buf = io.BytesIO()
    for start, end in zip(cuts, cuts[1:]):
        member = io.BytesIO()
        with gzip.GzipFile(fileobj=member, mode="wb", mtime=0, filename="") as f:
            f.write(data[start:end])
        buf.write(member.getvalue())
    path.write_bytes(buf.getvalue())
    print(f"wrote {path.relative_to(HERE.parent)} ({len(buf.getvalue())} bytes)")


def main():
    acm = "awsdocs/acm/acm-supported-actions-in-cloudtrail__"
    acme = "acm-userguide-2026/"
    export = copy.deepcopy(one(acm + "03__acm__ExportCertificate.json"))
    export["eventID"] = "5b66558e-27c5-43b0-9b3a-10f28c527453"
    export["requestID"] = "11802113-5f67-11e8-bc6b-d93a70b3bedf"
    export["recipientAccountId"] = "123456789012"
    envelope = {
        "version": "0",
        "id": "12345678-1234-1234-1234-123456789012",
        "detail-type": "AWS API Call via CloudTrail",
        "source": "aws.acm",
        "account": "123456789012",
        "time": export["eventTime"],
        "region": "us-east-1",
        "resources": [],
        "detail": export,
    }
    cert_ops = [
        envelope,                                              # alert: certificate exported
        one(acme + "acme-protocol__acm-acme__NewAccount.json"),  # alert: anonymous NewAccount
        one("awsdocs/acm/ct-related__03__kms__Decrypt.json"),    # alert: ACM key decrypted by a role
        one(acme + "acme-data__acm-acme__NewNonce.json"),        # routine
        one(acme + "acme-data__acm-acme__GetDirectory.json"),    # routine
        one(acme + "acme-data__acm-acme__GetOrder.json"),        # routine
        one(acm + "02__acm__DescribeCertificate.json"),          # routine
        one(acm + "05__acm__ListCertificates.json"),             # routine
        one("awsdocs/acm/ct-related__02__kms__Encrypt.json"),    # routine
    ]
    name = "123456789012_CloudTrail_us-east-1_20260610T2030Z_keytraildemo0001.json.gz"
    gz(OUT / name, {"Records": cert_ops})

    routine = [one("awsdocs/cloudtrail/cloudtrail-log-file-examples__02__ec2__StartInstances.json"),
               one("awsdocs/cloudtrail/cloudtrail-log-file-examples__03__ec2__StopInstances.json"),
               one("awsdocs/cloudtrail/cloudtrail-log-file-examples__05__iam__CreateUser.json"),
               one("awsdocs/kms/alias-ct__01__kms__GenerateDataKey.json")]
    name = "123456789012_CloudTrail_us-east-1_20260610T2035Z_keytraildemo0002.json.gz"
    # Two gzip members, the cut in the middle of a record.
    gz(OUT / name, {"Records": routine}, members=2)

    infra = [one("awsdocs/cloudhsm/get-api-logs-using-cloudtrail__00__cloudhsm__CreateHsm.json"),
             one("awsdocs/acm/ct-related__00__elasticloadbalancing__CreateLoadBalancer.json"),
             one("awsdocs/cloudtrail/cloudtrail-log-file-examples__08__cloudtrail__UpdateTrail.json")]
    name = "123456789012_CloudTrail_eu-west-1_20260610T2040Z_keytraildemo0003.json.gz"
    gz(OUT / name, {"Records": infra})

    # CloudTrail delivered to CloudWatch Logs, forwarded by a subscription filter: one log event
    # per CloudTrail event (its message the event as compact JSON), the batch gzipped and
    # base64-encoded under awslogs.data (CloudWatch Logs User Guide, "Subscription filters with
    # AWS Lambda"; the log stream is CloudTrail's <account>_CloudTrail_<region>).
    delivered = [export,                                     # alert: certificate exported
                 one("awsdocs/acm/ct-related__03__kms__Decrypt.json"),  # alert: ACM key decrypted
                 one(acm + "05__acm__ListCertificates.json")]           # routine
    batch = {
        "messageType": "DATA_MESSAGE",
        "owner": "123456789012",
        "logGroup": "aws-cloudtrail-logs-123456789012-keytrail",
        "logStream": "123456789012_CloudTrail_us-east-1",
        "subscriptionFilters": ["keytrail-trail-processor"],
        "logEvents": [
            {"id": str(37000000000000000000000000000000000000000000000000000000 + i),
             "timestamp": 1527175691000 + i,
             "message": json.dumps(rec, separators=(",", ":"))}
            for i, rec in enumerate(delivered)
        ],
    }
    member = io.BytesIO()
    with gzip.GzipFile(fileobj=member, mode="wb", mtime=0, filename="") as f:
        f.write(json.dumps(batch, separators=(",", ":")).encode())
    payload = {"awslogs": {"data": base64.b64encode(member.getvalue()).decode()}}
    path = HERE / "cloudwatch-logs-cloudtrail.json"
    path.write_text(json.dumps(payload, indent=2) + "\n")
    print(f"wrote {path.relative_to(HERE.parent)} ({path.stat().st_size} bytes)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
