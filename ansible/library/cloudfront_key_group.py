"""Ansible module: a CloudFront key group holding exactly the given public keys (the keys the edge accepts)."""

from __future__ import annotations

DOCUMENTATION = r"""
module: cloudfront_key_group
short_description: Ensure a CloudFront key group, by name, lists exactly the given public key ids
description:
  - The group is what a distribution's behaviours trust; a URL signed by any key in it is accepted. During a key
    rotation it holds the old and the new key (docs/deploy.md).
options:
  name: {description: Key group name., required: true, type: str}
  public_key_ids:
    description: Ids of the CloudFront public keys in the group.
    required: true
    type: list
    elements: str
  endpoint_url: {description: Endpoint override (tests)., type: str}
author: VideoForge
"""

RETURN = r"""
id: {description: Key group id; empty in check mode before creation., returned: always, type: str}
"""

from ansible.module_utils.basic import AnsibleModule


def find_group(cloudfront, name):
    marker = None
    while True:
        page = cloudfront.list_key_groups(**({"Marker": marker} if marker else {}))["KeyGroupList"]
        for item in page.get("Items") or []:
            if item["KeyGroup"]["KeyGroupConfig"]["Name"] == name:
                return item["KeyGroup"]
        marker = page.get("NextMarker")
        if not marker:
            return None


def main():
    module = AnsibleModule(
        argument_spec=dict(name=dict(required=True), public_key_ids=dict(type="list", elements="str", required=True),
                           endpoint_url=dict()),
        supports_check_mode=True,
    )
    import boto3

    p = module.params
    if not p["public_key_ids"]:
        module.fail_json(msg="a key group needs at least one public key")
    cloudfront = boto3.client("cloudfront", region_name="us-east-1", endpoint_url=p["endpoint_url"] or None)
    config = {"Name": p["name"], "Items": p["public_key_ids"]}
    group = find_group(cloudfront, p["name"])
    if group is None:
        if module.check_mode:
            module.exit_json(changed=True, id="")
        group = cloudfront.create_key_group(KeyGroupConfig=config)["KeyGroup"]
        module.exit_json(changed=True, id=group["Id"])
    if sorted(group["KeyGroupConfig"].get("Items") or []) == sorted(p["public_key_ids"]):
        module.exit_json(changed=False, id=group["Id"])
    if not module.check_mode:
        etag = cloudfront.get_key_group(Id=group["Id"])["ETag"]
        cloudfront.update_key_group(Id=group["Id"], IfMatch=etag, KeyGroupConfig=config)
    module.exit_json(changed=True, id=group["Id"])


if __name__ == "__main__":
    main()
