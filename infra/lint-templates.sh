#!/usr/bin/env bash
# Lints every CloudFormation/SAM template: cfn-lint (project venv), checkov (.venv-checks, over the
# templates and over variants whose defaults switch on the optional resources) and
# `sam validate --lint` (.venv-sam) on each. Offline: no AWS account or network is needed.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
cd "$root"
templates=(template.yaml infra/*.yaml)

echo "== cfn-lint ${templates[*]}"
.venv/bin/cfn-lint -- "${templates[@]}"

tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT
variant() { .venv/bin/python infra/template-variant.py "$@"; }
# template.yaml's defaults: an existing bucket through SQS. The variants cover the rest.
variant template.yaml "$tmp/create-bucket.yaml" TrailBucketMode=create EnableApiCallRule=true \
  RulesBucket=example-rules TrailKmsKeyArn=arn:aws:kms:us-east-1:123456789012:key/example \
  AlertEmail=alerts@example.com ReservedConcurrency=10 StateTable=true TrailLogGroupName=example-trail-logs \
  SlackWebhookSecretArn=arn:aws:secretsmanager:us-east-1:123456789012:secret:slack-AbCdEf \
  SlackCriticalWebhookSecretArn=arn:aws:secretsmanager:us-east-1:123456789012:secret:slack-critical-AbCdEf
variant template.yaml "$tmp/eventbridge.yaml" Ingestion=eventbridge TrailBucketName=example-trail
variant template.yaml "$tmp/cloudtrail-sns.yaml" Ingestion=cloudtrail-sns TrailBucketName=example-trail \
  CloudTrailSnsTopicArn=arn:aws:sns:us-east-1:123456789012:example \
  OpsTopicArn=arn:aws:sns:us-east-1:123456789012:ops
variant infra/trail.yaml "$tmp/trail-org-sse-s3.yaml" Encryption=sse-s3 OrganizationTrail=true \
  OrganizationId=o-example0000
files=()
for f in "${templates[@]}" "$tmp"/*.yaml; do files+=(-f "$f"); done
echo "== checkov ${templates[*]} + $(ls "$tmp" | wc -l) variants"
.venv-checks/bin/checkov --framework cloudformation --quiet --compact --skip-download "${files[@]}"

# sam validate accepts plain CloudFormation templates (infra/trail.yaml) too: --lint runs the
# cfn-lint that aws-sam-cli depends on (its own copy, in .venv-sam), which catches errors there too.
for t in "${templates[@]}"; do
  echo "== sam validate --lint $t"
  # sam wants a region and credentials to exist; nothing is sent with these.
  env -u AWS_PROFILE -u AWS_SESSION_TOKEN AWS_ACCESS_KEY_ID=offline AWS_SECRET_ACCESS_KEY=offline \
    AWS_EC2_METADATA_DISABLED=true SAM_CLI_TELEMETRY=0 \
    .venv-sam/bin/sam validate --lint --region us-east-1 --template-file "$t"
done
