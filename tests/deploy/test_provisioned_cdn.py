"""CloudFront delivery as provision.yml's aws_cdn role made it on the loopback moto_server: the signing key, the
distribution and its policies, the bucket policy, what the app is told, and a key rotation.

moto 5.2 has no cache or response headers policies and no UpdateKeyGroup; tests/deploy/moto_like_aws.py adds them.
Nothing here is served: no edge checks a signature (tests/edge.py stands in for that on the app's side).
"""

from __future__ import annotations

import base64
import fnmatch
import json
from urllib.parse import unquote

import pytest
from cryptography.hazmat.primitives import serialization

from tests.deploy.conftest import PYTHON, changed_tasks, recap, run_ansible

# The first test to run here may apply provision.yml twice (the session fixture): minutes on a busy machine.
pytestmark = pytest.mark.timeout(1200)

SECRET = "vf-deploy-test/cdn-signing-key"


def distribution(provisioned, reference: str = "vf-deploy-test-media") -> tuple[dict, dict]:
    """The distribution with this caller reference (the role's identity for it): its summary and config."""
    cloudfront = provisioned.client("cloudfront")
    for item in cloudfront.list_distributions()["DistributionList"].get("Items") or []:
        config = cloudfront.get_distribution_config(Id=item["Id"])["DistributionConfig"]
        if config["CallerReference"] == reference:
            return item, config
    raise AssertionError(f"no distribution with caller reference {reference!r}")


def behaviours(config: dict) -> list[dict]:
    return [config["DefaultCacheBehavior"], *(config["CacheBehaviors"].get("Items") or [])]


def key_group_public_keys(provisioned, group_id: str) -> list[dict]:
    cloudfront = provisioned.client("cloudfront")
    ids = cloudfront.get_key_group(Id=group_id)["KeyGroup"]["KeyGroupConfig"]["Items"]
    return [cloudfront.get_public_key(Id=key_id)["PublicKey"] for key_id in ids]


def private_key(provisioned, secret: str = SECRET):
    pem = provisioned.client("secretsmanager").get_secret_value(SecretId=secret)["SecretString"]
    return serialization.load_pem_private_key(pem.encode(), password=None)


def test_the_cdn_role_ran_and_its_second_run_changed_nothing(provisioned):
    assert "TASK [aws_cdn : Create the media distribution]" in provisioned.first_run.stdout
    second = recap(provisioned.second_run.stdout)
    assert second["changed"] == 0, changed_tasks(provisioned.second_run.stdout)
    # The private key never reaches the play's output (the module returns the public half only).
    for run in (provisioned.first_run, provisioned.second_run):
        assert "PRIVATE KEY" not in run.stdout + run.stderr


def test_the_distribution_reads_the_bucket_through_its_origin_access_control(provisioned):
    _, config = distribution(provisioned)
    [origin] = config["Origins"]["Items"]
    assert origin["DomainName"] == f"{provisioned.bucket}.s3.us-east-1.amazonaws.com"
    assert origin["S3OriginConfig"]["OriginAccessIdentity"] == ""  # no legacy identity beside the OAC
    control = provisioned.client("cloudfront").get_origin_access_control(
        Id=origin["OriginAccessControlId"])["OriginAccessControl"]["OriginAccessControlConfig"]
    assert (control["SigningProtocol"], control["SigningBehavior"], control["OriginAccessControlOriginType"]) == (
        "sigv4", "always", "s3")


def test_every_behaviour_wants_https_a_signature_from_our_key_group_and_only_reads(provisioned):
    _, config = distribution(provisioned)
    assert [b["PathPattern"] for b in config["CacheBehaviors"]["Items"]] == ["processed/*"]
    assert (config["HttpVersion"], config["PriceClass"], config["Enabled"]) == ("http2and3", "PriceClass_100", True)
    group_ids = set()
    for behaviour in behaviours(config):
        assert behaviour["ViewerProtocolPolicy"] == "redirect-to-https"
        assert behaviour["TrustedKeyGroups"]["Enabled"] is True
        group_ids.update(behaviour["TrustedKeyGroups"]["Items"])
        assert not behaviour["TrustedSigners"]["Enabled"]  # no root-account key pairs
        assert sorted(behaviour["AllowedMethods"]["Items"]) == ["GET", "HEAD", "OPTIONS"]
        assert sorted(behaviour["AllowedMethods"]["CachedMethods"]["Items"]) == ["GET", "HEAD"]
        assert behaviour["Compress"] is False
    [group_id] = group_ids
    assert provisioned.client("cloudfront").get_key_group(Id=group_id)["KeyGroup"]["KeyGroupConfig"]["Name"] == (
        "vf-deploy-test-media")


def test_the_trusted_public_key_is_the_public_half_of_the_private_key_in_secrets_manager(provisioned):
    _, config = distribution(provisioned)
    [key] = key_group_public_keys(provisioned, config["DefaultCacheBehavior"]["TrustedKeyGroups"]["Items"][0])
    public = serialization.load_pem_public_key(key["PublicKeyConfig"]["EncodedKey"].encode())
    private = private_key(provisioned)
    assert private.key_size == 2048
    assert public.public_numbers() == private.public_key().public_numbers()
    # Made once: the second run read it back rather than making another.
    versions = provisioned.client("secretsmanager").list_secret_version_ids(SecretId=SECRET)["Versions"]
    assert len(versions) == 1


def test_the_secret_reference_the_app_is_given_resolves_to_that_private_key(provisioned):
    from videoforge.secrets import resolve

    pem = resolve("CDN_PRIVATE_KEY", SECRET, lambda: provisioned.client("secretsmanager"))
    assert serialization.load_pem_private_key(pem.encode(), password=None).private_numbers() == (
        private_key(provisioned).private_numbers())


def test_the_cache_key_is_the_path_alone_and_kept_long(provisioned):
    _, config = distribution(provisioned)
    policy_ids = {b["CachePolicyId"] for b in behaviours(config)}
    [policy_id] = policy_ids
    policy = provisioned.client("cloudfront").get_cache_policy(Id=policy_id)["CachePolicy"]["CachePolicyConfig"]
    key = policy["ParametersInCacheKeyAndForwardedToOrigin"]
    assert key["QueryStringsConfig"]["QueryStringBehavior"] == "none"
    assert key["CookiesConfig"]["CookieBehavior"] == "none"
    assert key["HeadersConfig"]["HeaderBehavior"] == "none"
    assert not key["EnableAcceptEncodingGzip"] and not key["EnableAcceptEncodingBrotli"]
    assert policy["DefaultTTL"] >= 86400 and policy["MaxTTL"] >= policy["DefaultTTL"]


def test_the_edge_answers_cors_for_the_player_origin_only(provisioned):
    _, config = distribution(provisioned)
    [policy_id] = {b["ResponseHeadersPolicyId"] for b in behaviours(config)}
    cors = provisioned.client("cloudfront").get_response_headers_policy(
        Id=policy_id)["ResponseHeadersPolicy"]["ResponseHeadersPolicyConfig"]["CorsConfig"]
    assert cors["AccessControlAllowOrigins"]["Items"] == ["https://video.example.com"]
    assert sorted(cors["AccessControlAllowMethods"]["Items"]) == ["GET", "HEAD", "OPTIONS"]
    assert cors["AccessControlAllowCredentials"] is False  # signed URLs: the player sends no cookies
    assert cors["OriginOverride"] is True


def test_the_bucket_policy_lets_only_this_distribution_read_only_the_renditions(provisioned):
    summary, _ = distribution(provisioned)
    policy = json.loads(provisioned.client("s3").get_bucket_policy(Bucket=provisioned.bucket)["Policy"])
    edge = [s for s in policy["Statement"] if "cloudfront.amazonaws.com" in json.dumps(s.get("Principal"))]
    assert edge == [{
        "Sid": "CloudFrontReadsRenditions", "Effect": "Allow",
        "Principal": {"Service": "cloudfront.amazonaws.com"},
        "Action": "s3:GetObject",
        "Resource": f"arn:aws:s3:::{provisioned.bucket}/processed/*",
        "Condition": {"StringEquals": {"AWS:SourceArn": summary["ARN"]}},
    }]
    assert not any("uploads/" in json.dumps(s.get("Resource")) for s in policy["Statement"])


def cdn_environment(provisioned, secret: str = SECRET) -> dict[str, str]:
    summary, config = distribution(provisioned)
    [key] = key_group_public_keys(provisioned, config["DefaultCacheBehavior"]["TrustedKeyGroups"]["Items"][0])
    return {"VIDEOFORGE_MEDIA_DELIVERY": "cdn", "VIDEOFORGE_CDN_URL": f"https://{summary['DomainName']}",
            "VIDEOFORGE_CDN_KEY_PAIR_ID": key["Id"], "VIDEOFORGE_CDN_PRIVATE_KEY": f"secretsmanager:{secret}"}


def test_the_lambdas_are_told_to_deliver_through_the_cdn(provisioned):
    expected = cdn_environment(provisioned)
    for module in ("gallery", "streaming"):
        variables = provisioned.client("lambda").get_function_configuration(
            FunctionName=f"vf-deploy-test-{module}")["Environment"]["Variables"]
        assert {k: variables.get(k) for k in expected} == expected
        # Signed cookies only with an own domain under the app's parent domain; none is configured here.
        assert "VIDEOFORGE_CDN_SIGNED_COOKIES" not in variables and "VIDEOFORGE_CDN_COOKIE_DOMAIN" not in variables


def test_the_instances_are_told_to_deliver_through_the_cdn(provisioned):
    expected = cdn_environment(provisioned)
    ec2 = provisioned.client("ec2")
    for tier in ("gateway", "worker"):
        [version] = ec2.describe_launch_template_versions(
            LaunchTemplateName=f"vf-deploy-test-{tier}", Versions=["$Latest"])["LaunchTemplateVersions"]
        user_data = base64.b64decode(version["LaunchTemplateData"]["UserData"]).decode()
        boot_vars = json.loads(user_data.split("<<'JSON'\n", 1)[1].split("\nJSON\n", 1)[0])
        environment = boot_vars["videoforge_extra_environment"]
        assert {k: environment.get(k) for k in expected} == expected


def test_the_gateway_and_the_lambdas_may_read_the_signing_key(provisioned):
    arn = provisioned.client("secretsmanager").describe_secret(SecretId=SECRET)["ARN"]
    iam = provisioned.client("iam")
    for tier in ("gateway", "lambda"):
        document = iam.get_role_policy(RoleName=f"vf-deploy-test-{tier}", PolicyName="videoforge")["PolicyDocument"]
        if isinstance(document, str):
            document = json.loads(unquote(document))
        allowed = [s for s in document["Statement"]
                   if s["Effect"] == "Allow" and "secretsmanager:GetSecretValue" in json.dumps(s["Action"])]
        resources = [r for s in allowed for r in ([s["Resource"]] if isinstance(s["Resource"], str) else s["Resource"])]
        assert any(fnmatch.fnmatchcase(arn, pattern) for pattern in resources), (tier, resources)


def test_a_second_key_joins_the_group_and_the_first_leaves_it_on_rotation(provisioned):
    """The rotation docs/deploy.md describes, on a stack of its own (its own name and bucket, storage and cdn only):
    two keys trusted while the app switches to the second, then the first dropped."""
    stack = ("-e", f"videoforge_aws_endpoint_url={provisioned.endpoint_url}", "-e", "videoforge_name=vf-rotation",
             "-e", "videoforge_bucket=vf-rotation-media", "-e", f"ansible_python_interpreter={PYTHON}",
             "--tags", "storage,cdn")
    endpoint = {"AWS_ENDPOINT_URL": provisioned.endpoint_url}
    both = json.dumps({"aws_cdn_signing_keys": ["cdn-signing-key", "cdn-signing-key-2"],
                       "aws_cdn_active_key": "cdn-signing-key-2"})
    run = run_ansible("ansible-playbook", "playbooks/provision.yml", *stack, "-e", both, timeout=600, **endpoint)
    assert run.returncode == 0, run.stdout[-4000:] + run.stderr[-2000:]
    _, config = distribution(provisioned, "vf-rotation-media")
    group_id = config["DefaultCacheBehavior"]["TrustedKeyGroups"]["Items"][0]
    keys = {k["PublicKeyConfig"]["Name"]: k for k in key_group_public_keys(provisioned, group_id)}
    assert sorted(keys) == ["vf-rotation-cdn-signing-key", "vf-rotation-cdn-signing-key-2"]
    for name, secret in (("vf-rotation-cdn-signing-key", "vf-rotation/cdn-signing-key"),
                         ("vf-rotation-cdn-signing-key-2", "vf-rotation/cdn-signing-key-2")):
        public = serialization.load_pem_public_key(keys[name]["PublicKeyConfig"]["EncodedKey"].encode())
        assert public.public_numbers() == private_key(provisioned, secret).public_key().public_numbers()

    second_only = json.dumps({"aws_cdn_signing_keys": ["cdn-signing-key-2"], "aws_cdn_active_key": "cdn-signing-key-2"})
    run = run_ansible("ansible-playbook", "playbooks/provision.yml", *stack, "-e", second_only, timeout=600, **endpoint)
    assert run.returncode == 0, run.stdout[-4000:] + run.stderr[-2000:]
    assert changed_tasks(run.stdout) == ["aws_cdn : Trust exactly these keys at the edge"]
    [kept] = key_group_public_keys(provisioned, group_id)
    assert kept["Id"] == keys["vf-rotation-cdn-signing-key-2"]["Id"]
