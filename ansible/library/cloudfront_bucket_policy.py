"""Ansible module: the bucket policy statement that lets one CloudFront distribution read one prefix, kept beside the
bucket policy's other statements."""

from __future__ import annotations

DOCUMENTATION = r"""
module: cloudfront_bucket_policy
short_description: Ensure a bucket policy has one statement (by Sid) admitting a CloudFront distribution to a prefix
description:
  - Principal cloudfront.amazonaws.com, action s3:GetObject on BUCKET/PREFIX*, condition AWS:SourceArn equal to
    the distribution's ARN, so no other distribution (in any account) can read through its own OAC.
  - Other statements of the policy are kept as they are; the statement with the same Sid is replaced.
    amazon.aws.s3_bucket's C(policy) sets the whole document, hence this module.
options:
  bucket: {description: Bucket name., required: true, type: str}
  sid: {description: Sid of the statement this module owns., required: true, type: str}
  distribution_arn: {description: ARN of the distribution to admit., required: true, type: str}
  prefix: {description: Key prefix the distribution may read., required: true, type: str}
  region: {description: The bucket's region., required: true, type: str}
  endpoint_url: {description: Endpoint override (tests)., type: str}
author: VideoForge
"""

RETURN = r"""
policy: {description: The bucket policy after this module (JSON document)., returned: always, type: dict}
"""

import json

from ansible.module_utils.basic import AnsibleModule


def read_policy(s3, bucket):
    try:
        return json.loads(s3.get_bucket_policy(Bucket=bucket)["Policy"])
    except s3.exceptions.ClientError as error:
        if error.response["Error"]["Code"] == "NoSuchBucketPolicy":
            return {"Version": "2012-10-17", "Statement": []}
        raise


def as_list(value):
    return value if isinstance(value, list) else [value]


def normalised(statement):
    """One spelling of a statement: AWS may give back single-item lists as strings and reorder them."""
    return {key: sorted(as_list(value)) if key in ("Action", "Resource") else value
            for key, value in statement.items()}


def main():
    module = AnsibleModule(
        argument_spec=dict(bucket=dict(required=True), sid=dict(required=True), distribution_arn=dict(required=True),
                           prefix=dict(required=True), region=dict(required=True), endpoint_url=dict()),
        supports_check_mode=True,
    )
    import boto3

    p = module.params
    s3 = boto3.client("s3", region_name=p["region"], endpoint_url=p["endpoint_url"] or None)
    statement = {
        "Sid": p["sid"], "Effect": "Allow",
        "Principal": {"Service": "cloudfront.amazonaws.com"},
        "Action": "s3:GetObject",
        "Resource": f"arn:aws:s3:::{p['bucket']}/{p['prefix']}*",
        "Condition": {"StringEquals": {"AWS:SourceArn": p["distribution_arn"]}},
    }
    policy = read_policy(s3, p["bucket"])
    statements = as_list(policy.get("Statement", []))
    ours = [s for s in statements if s.get("Sid") == p["sid"]]
    if len(ours) == 1 and normalised(ours[0]) == normalised(statement):
        module.exit_json(changed=False, policy=policy)
    policy["Statement"] = [s for s in statements if s.get("Sid") != p["sid"]] + [statement]
    if not module.check_mode:
        s3.put_bucket_policy(Bucket=p["bucket"], Policy=json.dumps(policy))
    module.exit_json(changed=True, policy=policy)


if __name__ == "__main__":
    main()
