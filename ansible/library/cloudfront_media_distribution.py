"""Ansible module: the CloudFront distribution in front of the renditions: one private S3 origin, signed URLs only."""

from __future__ import annotations

DOCUMENTATION = r"""
module: cloudfront_media_distribution
short_description: Ensure VideoForge's media distribution (S3 origin with OAC, signed requests, read-only)
description:
  - Found by its caller reference, which AWS keeps for the life of a distribution; created when missing.
  - One origin, the bucket, reached through the origin access control. The C(path_pattern) behaviour serves the
    renditions; the default behaviour has the same locks (signed URLs from the key group, read-only methods), and
    the bucket policy lets the distribution read nothing but the renditions' prefix, so other keys answer 403.
  - Only what this module sets is compared, so a second run reports no change; an update sends the distribution's
    current config with these parts replaced. community.aws.cloudfront_distribution knows neither origin access
    control nor trusted key groups, hence this module.
options:
  caller_reference: {description: The distribution's identity (never changes)., required: true, type: str}
  comment: {description: Comment shown in the console., type: str, default: ""}
  origin_domain: {description: "The bucket's regional domain, BUCKET.s3.REGION.amazonaws.com.", required: true, type: str}
  origin_access_control_id: {description: The OAC that signs requests to the bucket., required: true, type: str}
  path_pattern: {description: The renditions' path pattern., type: str, default: "processed/*"}
  key_group_id: {description: The key group whose keys sign viewer URLs and cookies., required: true, type: str}
  cache_policy_id: {description: Cache policy of both behaviours., required: true, type: str}
  response_headers_policy_id: {description: Response headers policy (CORS) of both behaviours., required: true,
                               type: str}
  price_class: {description: PriceClass_100, PriceClass_200 or PriceClass_All., type: str, default: PriceClass_100}
  aliases: {description: Custom domain names (need certificate_arn)., type: list, elements: str, default: []}
  certificate_arn: {description: ACM certificate in us-east-1 covering the aliases., type: str, default: ""}
  tags: {description: Tags set on creation and added when missing., type: dict, default: {}}
  endpoint_url: {description: Endpoint override (tests)., type: str}
author: VideoForge
"""

RETURN = r"""
id: {description: Distribution id; empty in check mode before creation., returned: always, type: str}
arn: {description: Distribution ARN (the bucket policy's AWS:SourceArn)., returned: always, type: str}
domain_name: {description: The distribution's own domain, dXXXX.cloudfront.net., returned: always, type: str}
"""

from ansible.module_utils.basic import AnsibleModule
from ansible.module_utils.cloudfront_shapes import covers, with_quantities

ORIGIN_ID = "media"


def behaviour(p):
    """Both behaviours: HTTPS, signed requests only, read-only, no compression (segments are already compressed)."""
    return {
        "TargetOriginId": ORIGIN_ID,
        "ViewerProtocolPolicy": "redirect-to-https",
        "TrustedKeyGroups": {"Enabled": True, "Items": [p["key_group_id"]]},
        "TrustedSigners": {"Enabled": False, "Items": []},
        # OPTIONS answers CORS preflights; only GET and HEAD are cached.
        "AllowedMethods": {"Items": ["GET", "HEAD", "OPTIONS"], "CachedMethods": {"Items": ["GET", "HEAD"]}},
        "Compress": False,
        "SmoothStreaming": False,
        "CachePolicyId": p["cache_policy_id"],
        "ResponseHeadersPolicyId": p["response_headers_policy_id"],
        "LambdaFunctionAssociations": {"Items": []},
        "FunctionAssociations": {"Items": []},
        "FieldLevelEncryptionId": "",
    }


def desired(p):
    if p["aliases"]:
        certificate = {"CloudFrontDefaultCertificate": False, "ACMCertificateArn": p["certificate_arn"],
                       "SSLSupportMethod": "sni-only", "MinimumProtocolVersion": "TLSv1.2_2021"}
    else:
        certificate = {"CloudFrontDefaultCertificate": True}
    return with_quantities({
        "Comment": p["comment"],
        "Enabled": True,
        "Aliases": {"Items": p["aliases"]},
        "Origins": {"Items": [{
            "Id": ORIGIN_ID, "DomainName": p["origin_domain"], "OriginPath": "",
            "S3OriginConfig": {"OriginAccessIdentity": ""},  # empty: access is the OAC's, not a legacy identity
            "OriginAccessControlId": p["origin_access_control_id"],
        }]},
        "DefaultCacheBehavior": behaviour(p),
        "CacheBehaviors": {"Items": [{"PathPattern": p["path_pattern"], **behaviour(p)}]},
        "PriceClass": p["price_class"],
        "HttpVersion": "http2and3",
        "IsIPV6Enabled": True,
        "ViewerCertificate": certificate,
    })


def find_distribution(cloudfront, caller_reference):
    """The distribution with this caller reference, and its config and ETag (the list does not show references)."""
    for page in cloudfront.get_paginator("list_distributions").paginate():
        for item in page["DistributionList"].get("Items") or []:
            described = cloudfront.get_distribution_config(Id=item["Id"])
            if described["DistributionConfig"]["CallerReference"] == caller_reference:
                return item, described["DistributionConfig"], described["ETag"]
    return None, None, None


def add_missing_tags(module, cloudfront, arn):
    items = cloudfront.list_tags_for_resource(Resource=arn)["Tags"].get("Items") or []
    have = {tag["Key"]: tag.get("Value", "") for tag in items}
    missing = {k: str(v) for k, v in module.params["tags"].items() if have.get(k) != str(v)}
    if missing and not module.check_mode:
        cloudfront.tag_resource(Resource=arn, Tags={"Items": [{"Key": k, "Value": v} for k, v in missing.items()]})
    return bool(missing)


def main():
    module = AnsibleModule(
        argument_spec=dict(
            caller_reference=dict(required=True), comment=dict(default=""), origin_domain=dict(required=True),
            origin_access_control_id=dict(required=True), path_pattern=dict(default="processed/*"),
            key_group_id=dict(required=True), cache_policy_id=dict(required=True),
            response_headers_policy_id=dict(required=True), price_class=dict(default="PriceClass_100"),
            aliases=dict(type="list", elements="str", default=[]), certificate_arn=dict(default=""),
            tags=dict(type="dict", default={}), endpoint_url=dict(),
        ),
        supports_check_mode=True,
    )
    import boto3

    p = module.params
    if p["aliases"] and not p["certificate_arn"]:
        module.fail_json(msg="custom domains need an ACM certificate in us-east-1 (certificate_arn)")
    cloudfront = boto3.client("cloudfront", region_name="us-east-1", endpoint_url=p["endpoint_url"] or None)
    wanted = desired(p)
    summary, current, etag = find_distribution(cloudfront, p["caller_reference"])
    if summary is None:
        if module.check_mode:
            module.exit_json(changed=True, id="", arn="", domain_name="")
        config = {"CallerReference": p["caller_reference"],
                  "Restrictions": {"GeoRestriction": {"RestrictionType": "none", "Quantity": 0}}, **wanted}
        tags = {"Items": [{"Key": k, "Value": str(v)} for k, v in p["tags"].items()]}
        created = cloudfront.create_distribution_with_tags(
            DistributionConfigWithTags={"DistributionConfig": config, "Tags": tags})["Distribution"]
        module.exit_json(changed=True, id=created["Id"], arn=created["ARN"], domain_name=created["DomainName"])
    changed = not covers(current, wanted)
    if changed and not module.check_mode:
        cloudfront.update_distribution(Id=summary["Id"], IfMatch=etag, DistributionConfig={**current, **wanted})
    changed = add_missing_tags(module, cloudfront, summary["ARN"]) or changed
    module.exit_json(changed=changed, id=summary["Id"], arn=summary["ARN"], domain_name=summary["DomainName"])


if __name__ == "__main__":
    main()
