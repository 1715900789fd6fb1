"""Storage, queue, identity and secrets as provision.yml made them (applied whole to a loopback moto_server), and
idempotence."""

from __future__ import annotations

import pytest
import requests

from tests.deploy.conftest import changed_tasks, recap, redrive_policy

# The first test to run here may apply provision.yml twice (the session fixture): minutes on a busy machine.
pytestmark = pytest.mark.timeout(1200)


def test_first_run_creates_and_second_run_changes_nothing(provisioned):
    assert recap(provisioned.first_run.stdout)["changed"] >= 5, provisioned.first_run.stdout[-3000:]
    second = recap(provisioned.second_run.stdout)
    assert second["changed"] == 0 and second["failed"] == 0, changed_tasks(provisioned.second_run.stdout)


def test_bucket_blocks_public_access_and_is_encrypted(provisioned):
    s3 = provisioned.client("s3")
    block = s3.get_public_access_block(Bucket=provisioned.bucket)["PublicAccessBlockConfiguration"]
    assert block == {"BlockPublicAcls": True, "IgnorePublicAcls": True,
                     "BlockPublicPolicy": True, "RestrictPublicBuckets": True}
    rules = s3.get_bucket_encryption(Bucket=provisioned.bucket)["ServerSideEncryptionConfiguration"]["Rules"]
    assert rules[0]["ApplyServerSideEncryptionByDefault"]["SSEAlgorithm"] == "AES256"


def test_bucket_cors_allows_browser_put_from_the_public_origin_and_exposes_etag(provisioned):
    [rule] = provisioned.client("s3").get_bucket_cors(Bucket=provisioned.bucket)["CORSRules"]
    assert rule["AllowedOrigins"] == ["https://video.example.com"]
    assert "PUT" in rule["AllowedMethods"] and "GET" in rule["AllowedMethods"]
    assert rule["ExposeHeaders"] == ["ETag"]


def test_browser_preflight_for_a_put_is_answered_for_the_public_origin_only(provisioned):
    url = f"{provisioned.endpoint_url}/{provisioned.bucket}/uploads/u/v/source"
    allowed = requests.options(url, timeout=10, headers={
        "Origin": "https://video.example.com", "Access-Control-Request-Method": "PUT"})
    assert allowed.status_code == 200
    assert allowed.headers["Access-Control-Allow-Origin"] == "https://video.example.com"
    assert "PUT" in allowed.headers["Access-Control-Allow-Methods"]
    other = requests.options(url, timeout=10, headers={
        "Origin": "https://elsewhere.example", "Access-Control-Request-Method": "PUT"})
    assert other.status_code == 403


def test_lifecycle_rule_aborts_incomplete_multipart_uploads(provisioned):
    rules = provisioned.client("s3").get_bucket_lifecycle_configuration(Bucket=provisioned.bucket)["Rules"]
    [rule] = [r for r in rules if r["ID"] == "abort-incomplete-multipart-uploads"]
    assert rule["Status"] == "Enabled"
    assert rule["AbortIncompleteMultipartUpload"] == {"DaysAfterInitiation": 1}


def test_queue_redrives_to_the_dlq_after_three_receives_and_outlasts_the_heartbeat(provisioned):
    attributes = redrive_policy(provisioned)
    dlq_arn = provisioned.client("sqs").get_queue_attributes(
        QueueUrl=provisioned.dlq_url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    assert attributes["RedrivePolicy"] == {"maxReceiveCount": 3, "deadLetterTargetArn": dlq_arn}
    assert int(attributes["VisibilityTimeout"]) == 300  # group_vars: outlasts the 60 s heartbeat
    assert attributes["ReceiveMessageWaitTimeSeconds"] == "20"


def test_cognito_pool_has_a_public_browser_client_an_admin_group_and_a_domain(provisioned):
    idp = provisioned.client("cognito-idp")
    [pool] = [p for p in idp.list_user_pools(MaxResults=60)["UserPools"] if p["Name"] == "vf-deploy-test"]
    [app] = idp.list_user_pool_clients(UserPoolId=pool["Id"], MaxResults=60)["UserPoolClients"]
    client = idp.describe_user_pool_client(UserPoolId=pool["Id"], ClientId=app["ClientId"])["UserPoolClient"]
    assert client["ClientName"] == "vf-deploy-test-web" and not client.get("ClientSecret")
    assert "ALLOW_USER_SRP_AUTH" in client["ExplicitAuthFlows"]
    assert client["CallbackURLs"] == ["https://video.example.com/"]
    assert [g["GroupName"] for g in idp.list_groups(UserPoolId=pool["Id"])["Groups"]] == ["admin"]
    domain = idp.describe_user_pool_domain(Domain="vf-deploy-test")["DomainDescription"]
    assert domain["UserPoolId"] == pool["Id"]


def test_app_secret_is_generated_once_and_kept(provisioned):
    import json

    secret = provisioned.client("secretsmanager").get_secret_value(SecretId="vf-deploy-test/app")
    key = json.loads(secret["SecretString"])["secret_key"]
    assert len(key) == 64 and key.isalnum()
    # The second run read it back instead of generating another (it reported no change, and one version exists).
    versions = provisioned.client("secretsmanager").list_secret_version_ids(SecretId="vf-deploy-test/app")["Versions"]
    assert len(versions) == 1
