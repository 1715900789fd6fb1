"""Ansible module: a container-image Lambda function, changed only where it differs (amazon.aws.lambda republishes
an image function's code on every run, so a second run would never report `changed=0`), and published as a version
whenever its code or configuration changed (SnapStart snapshots published versions only)."""

from __future__ import annotations

DOCUMENTATION = r"""
module: lambda_image_function
short_description: Ensure a container-image Lambda function with this image, role, size, VPC and environment
description:
  - Creates the function when missing. Otherwise updates its configuration only when a setting differs, and its
    code only when the image URI differs, waiting for each update to finish before the next.
  - Publishes a version after any such change (or when none was ever published) and returns the newest version,
    for an alias to point at. With snap_start, Lambda snapshots each published version after its init.
options:
  name: {description: Function name., required: true, type: str}
  image_uri: {description: ECR image URI with its tag., required: true, type: str}
  role: {description: ARN of the execution role., required: true, type: str}
  memory_size: {description: MiB., type: int, default: 1024}
  timeout: {description: Seconds., type: int, default: 30}
  architecture: {description: x86_64 or arm64., type: str, default: x86_64, choices: [x86_64, arm64]}
  subnet_ids: {description: VPC subnets; empty for none., type: list, elements: str, default: []}
  security_group_ids: {description: VPC security groups., type: list, elements: str, default: []}
  environment: {description: Environment variables (values become strings)., type: dict, default: {}}
  snap_start: {description: SnapStart for published versions (Python 3.12+ base images)., type: bool, default: false}
  tags: {description: Tags of the function., type: dict, default: {}}
  region: {description: AWS region., required: true, type: str}
  endpoint_url: {description: Endpoint override (tests)., type: str}
author: VideoForge
"""

RETURN = r"""
function_arn: {description: ARN of the function (empty in check mode before creation)., returned: always, type: str}
version: {description: The newest published version (empty in check mode before it exists)., returned: always, type: str}
"""

from ansible.module_utils.basic import AnsibleModule


def wanted_configuration(p: dict) -> dict:
    return {
        "Role": p["role"], "MemorySize": p["memory_size"], "Timeout": p["timeout"],
        "Environment": {"Variables": {k: str(v) for k, v in p["environment"].items()}},
        "VpcConfig": {"SubnetIds": sorted(p["subnet_ids"]), "SecurityGroupIds": sorted(p["security_group_ids"])},
        "SnapStart": {"ApplyOn": "PublishedVersions" if p["snap_start"] else "None"},
    }


def current_configuration(config: dict) -> dict:
    vpc = config.get("VpcConfig") or {}
    return {
        "Role": config["Role"], "MemorySize": config["MemorySize"], "Timeout": config["Timeout"],
        "Environment": {"Variables": (config.get("Environment") or {}).get("Variables") or {}},
        "VpcConfig": {"SubnetIds": sorted(vpc.get("SubnetIds") or []),
                      "SecurityGroupIds": sorted(vpc.get("SecurityGroupIds") or [])},
        "SnapStart": {"ApplyOn": (config.get("SnapStart") or {}).get("ApplyOn") or "None"},
    }


def newest_version(aws_lambda, name: str) -> str:
    """The highest published version number, or "" when only $LATEST exists."""
    numbers = [int(v["Version"]) for page in aws_lambda.get_paginator("list_versions_by_function").paginate(
        FunctionName=name) for v in page["Versions"] if v["Version"] != "$LATEST"]
    return str(max(numbers)) if numbers else ""


def publish(aws_lambda, name: str) -> str:
    """Publish $LATEST as a version once its last update has finished; with SnapStart, wait for the snapshot."""
    aws_lambda.get_waiter("function_updated_v2").wait(FunctionName=name)
    version = aws_lambda.publish_version(FunctionName=name)["Version"]
    aws_lambda.get_waiter("function_active_v2").wait(FunctionName=name, Qualifier=version)
    return version


def main():
    module = AnsibleModule(
        argument_spec=dict(
            name=dict(required=True), image_uri=dict(required=True), role=dict(required=True),
            memory_size=dict(type="int", default=1024), timeout=dict(type="int", default=30),
            architecture=dict(default="x86_64", choices=["x86_64", "arm64"]),
            subnet_ids=dict(type="list", elements="str", default=[]),
            security_group_ids=dict(type="list", elements="str", default=[]),
            environment=dict(type="dict", default={}), tags=dict(type="dict", default={}),
            snap_start=dict(type="bool", default=False),
            region=dict(required=True), endpoint_url=dict(),
        ),
        supports_check_mode=True,
    )
    import boto3

    p = module.params
    aws_lambda = boto3.client("lambda", region_name=p["region"], endpoint_url=p["endpoint_url"] or None)
    wanted = wanted_configuration(p)
    try:
        current = aws_lambda.get_function(FunctionName=p["name"])
    except aws_lambda.exceptions.ResourceNotFoundException:
        if module.check_mode:
            module.exit_json(changed=True, function_arn="", version="")
        created = aws_lambda.create_function(
            FunctionName=p["name"], PackageType="Image", Code={"ImageUri": p["image_uri"]},
            Architectures=[p["architecture"]], Tags=p["tags"], **wanted)
        aws_lambda.get_waiter("function_active_v2").wait(FunctionName=p["name"])
        module.exit_json(changed=True, function_arn=created["FunctionArn"], version=publish(aws_lambda, p["name"]))

    config, arn = current["Configuration"], current["Configuration"]["FunctionArn"]
    changed = False
    if current_configuration(config) != wanted:
        changed = True
        if not module.check_mode:
            aws_lambda.update_function_configuration(FunctionName=p["name"], **wanted)
            aws_lambda.get_waiter("function_updated_v2").wait(FunctionName=p["name"])
    if current["Code"].get("ImageUri") != p["image_uri"] or config.get("Architectures") != [p["architecture"]]:
        changed = True
        if not module.check_mode:
            aws_lambda.update_function_code(FunctionName=p["name"], ImageUri=p["image_uri"],
                                            Architectures=[p["architecture"]])
            aws_lambda.get_waiter("function_updated_v2").wait(FunctionName=p["name"])
    version = newest_version(aws_lambda, p["name"])
    if changed or not version:  # a version is what an alias serves (and what SnapStart snapshots)
        changed = True
        if not module.check_mode:
            version = publish(aws_lambda, p["name"])
    tags = current.get("Tags") or {}
    stale = [key for key in tags if key not in p["tags"]]
    fresh = {key: value for key, value in p["tags"].items() if tags.get(key) != value}
    if stale or fresh:
        changed = True
        if not module.check_mode:
            if stale:
                aws_lambda.untag_resource(Resource=arn, TagKeys=stale)
            if fresh:
                aws_lambda.tag_resource(Resource=arn, Tags=fresh)
    module.exit_json(changed=changed, function_arn=arn, version=version)


if __name__ == "__main__":
    main()
