"""Ansible module: a CloudFront origin access control, so the edge signs (SigV4) every request it makes to S3."""

from __future__ import annotations

DOCUMENTATION = r"""
module: cloudfront_origin_access_control
short_description: Ensure an origin access control for an S3 origin, by name (SigV4, always sign)
description:
  - Origin access control replaces the legacy origin access identity; with it the bucket stays private and its
    policy admits the distribution by ARN (AWS:SourceArn).
  - community.aws has no module for it (only cloudfront_origin_access_identity).
options:
  name: {description: Name of the origin access control (unique in the account)., required: true, type: str}
  description: {description: Description., type: str, default: ""}
  endpoint_url: {description: Endpoint override (tests)., type: str}
author: VideoForge
"""

RETURN = r"""
id: {description: Origin access control id; empty in check mode before creation., returned: always, type: str}
"""

from ansible.module_utils.basic import AnsibleModule


def find_control(cloudfront, name):
    marker = None
    while True:
        page = cloudfront.list_origin_access_controls(**({"Marker": marker} if marker else {}))
        page = page["OriginAccessControlList"]
        for item in page.get("Items") or []:
            if item["Name"] == name:
                return item
        marker = page.get("NextMarker")
        if not marker:
            return None


def main():
    module = AnsibleModule(
        argument_spec=dict(name=dict(required=True), description=dict(default=""), endpoint_url=dict()),
        supports_check_mode=True,
    )
    import boto3

    p = module.params
    cloudfront = boto3.client("cloudfront", region_name="us-east-1", endpoint_url=p["endpoint_url"] or None)
    # Always sign: S3 then never sees an unsigned request from the edge, whatever the viewer sent.
    config = {"Name": p["name"], "Description": p["description"], "SigningProtocol": "sigv4",
              "SigningBehavior": "always", "OriginAccessControlOriginType": "s3"}
    control = find_control(cloudfront, p["name"])
    if control is None:
        if module.check_mode:
            module.exit_json(changed=True, id="")
        created = cloudfront.create_origin_access_control(OriginAccessControlConfig=config)
        module.exit_json(changed=True, id=created["OriginAccessControl"]["Id"])
    if all(control.get(key, "") == value for key, value in config.items()):
        module.exit_json(changed=False, id=control["Id"])
    if not module.check_mode:
        etag = cloudfront.get_origin_access_control(Id=control["Id"])["ETag"]
        cloudfront.update_origin_access_control(Id=control["Id"], IfMatch=etag, OriginAccessControlConfig=config)
    module.exit_json(changed=True, id=control["Id"])


if __name__ == "__main__":
    main()
