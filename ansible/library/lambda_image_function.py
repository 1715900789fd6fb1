"""Ansible module: a container-image Lambda function, changed only where it differs (amazon.aws.lambda republishes
an image function's code on every run, so a second run would never report `changed=0`)."""

from __future__ import annotations

DOCUMENTATION = r"""
module: lambda_image_function
short_description: Ensure a container-image Lambda function with this image, role, size, VPC and environment
description:
  - Creates the function when missing. Otherwise updates its configuration only when a setting differs, and its
    code only when the image URI differs, waiting for each update to finish before the next.
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
  tags: {description: Tags of the function., type: dict, default: {}}
  region: {description: AWS region., required: true, type: str}
  endpoint_url: {description: Endpoint override (tests)., type: str}
author: VideoForge
"""

RETURN = r"""
function_arn: {description: ARN of the function (empty in check mode before creation)., returned: always, type: str}
"""

from ansible.module_utils.basic import AnsibleModule


def wanted_configuration(p: dict) -> dict:
    return {
        "Role": p["role"], "MemorySize": p["memory_size"], "Timeout": p["timeout"],
        "Environment": {"Variables": {k: str(v) for k, v in p["environment"].items()}},
        "VpcConfig": {"SubnetIds": sorted(p["subnet_ids"]), "SecurityGroupIds": sorted(p["security_group_ids"])},
    }


def current_configuration(config: dict) -> dict:
    vpc = config.get("VpcConfig") or {}
    return {
        "Role": config["Role"], "MemorySize": config["MemorySize"], "Timeout": config["Timeout"],
        "Environment": {"Variables": (config.get("Environment") or {}).get("Variables") or {}},
        "VpcConfig": {"SubnetIds": sorted(vpc.get("SubnetIds") or []),
                      "SecurityGroupIds": sorted(vpc.get("SecurityGroupIds") or [])},
    }


def main():
    module = AnsibleModule(
        argument_spec=dict(
            name=dict(required=True), image_uri=dict(required=True), role=dict(required=True),
            memory_size=dict(type="int", default=1024), timeout=dict(type="int", default=30),
            architecture=dict(default="x86_64", choices=["x86_64", "arm64"]),
            subnet_ids=dict(type="list", elements="str", default=[]),
            security_group_ids=dict(type="list", elements="str", default=[]),
            environment=dict(type="dict", default={}), tags=dict(type="dict", default={}),
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
            module.exit_json(changed=True, function_arn="")
        created = aws_lambda.create_function(
            FunctionName=p["name"], PackageType="Image", Code={"ImageUri": p["image_uri"]},
            Architectures=[p["architecture"]], Tags=p["tags"], **wanted)
        aws_lambda.get_waiter("function_active_v2").wait(FunctionName=p["name"])
        module.exit_json(changed=True, function_arn=created["FunctionArn"])

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
                                            Architectures=[p["architecture"]], Publish=True)
            aws_lambda.get_waiter("function_updated_v2").wait(FunctionName=p["name"])
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
    module.exit_json(changed=changed, function_arn=arn)


if __name__ == "__main__":
    main()
