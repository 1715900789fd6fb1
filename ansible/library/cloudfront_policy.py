"""Ansible module: a CloudFront cache policy or response headers policy, by name, its config in the API's shape."""

from __future__ import annotations

DOCUMENTATION = r"""
module: cloudfront_policy
short_description: Ensure a custom CloudFront cache policy or response headers policy, by name
description:
  - C(config) is the API's CachePolicyConfig or ResponseHeadersPolicyConfig without C(Name); every C(Quantity)
    is filled in from its C(Items), so the role reads like the AWS documentation.
  - The policy is updated only when a value in C(config) differs from what AWS holds (values AWS adds by itself
    are not compared), so a second run reports no change. community.aws.cloudfront_response_headers_policy
    rewrites its policy on every run and has no cache-policy counterpart, hence this module.
options:
  kind: {description: Which policy., required: true, type: str, choices: [cache, response_headers]}
  name: {description: Policy name (unique per kind in the account)., required: true, type: str}
  config: {description: The policy's config in the API's shape, without Name., required: true, type: dict}
  endpoint_url: {description: Endpoint override (tests)., type: str}
author: VideoForge
"""

RETURN = r"""
id: {description: Policy id; empty in check mode before creation., returned: always, type: str}
"""

from ansible.module_utils.basic import AnsibleModule
from ansible.module_utils.cloudfront_shapes import covers, with_quantities

SHAPES = {"cache": "CachePolicy", "response_headers": "ResponseHeadersPolicy"}


def find_policy(cloudfront, kind, name):
    shape = SHAPES[kind]
    lister = getattr(cloudfront, f"list_{kind}_policies")
    marker = None
    while True:
        page = lister(Type="custom", **({"Marker": marker} if marker else {}))[f"{shape}List"]
        for item in page.get("Items") or []:
            if item[shape][f"{shape}Config"]["Name"] == name:
                return item[shape]
        marker = page.get("NextMarker")
        if not marker:
            return None


def main():
    module = AnsibleModule(
        argument_spec=dict(kind=dict(required=True, choices=list(SHAPES)), name=dict(required=True),
                           config=dict(type="dict", required=True), endpoint_url=dict()),
        supports_check_mode=True,
    )
    import boto3

    p = module.params
    kind, shape = p["kind"], SHAPES[p["kind"]]
    cloudfront = boto3.client("cloudfront", region_name="us-east-1", endpoint_url=p["endpoint_url"] or None)
    config = {"Name": p["name"], **with_quantities(p["config"])}
    policy = find_policy(cloudfront, kind, p["name"])
    if policy is None:
        if module.check_mode:
            module.exit_json(changed=True, id="")
        created = getattr(cloudfront, f"create_{kind}_policy")(**{f"{shape}Config": config})
        module.exit_json(changed=True, id=created[shape]["Id"])
    if covers(policy[f"{shape}Config"], config):
        module.exit_json(changed=False, id=policy["Id"])
    if not module.check_mode:
        etag = getattr(cloudfront, f"get_{kind}_policy")(Id=policy["Id"])["ETag"]
        getattr(cloudfront, f"update_{kind}_policy")(Id=policy["Id"], IfMatch=etag, **{f"{shape}Config": config})
    module.exit_json(changed=True, id=policy["Id"])


if __name__ == "__main__":
    main()
