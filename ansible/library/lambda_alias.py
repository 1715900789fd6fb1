"""Ansible module: a Lambda alias pointing at one published version (what a SnapStart function's URL invokes)."""

from __future__ import annotations

DOCUMENTATION = r"""
module: lambda_alias
short_description: Ensure a Lambda alias exists and points at the given published version
description:
  - Creates the alias when missing, moves it when it points at another version, and otherwise changes nothing.
    Moving the alias is the deploy: requests reach the new version (restored from its SnapStart snapshot) at once.
options:
  function_name: {description: Function name., required: true, type: str}
  name: {description: Alias name., required: true, type: str}
  function_version: {description: Published version number the alias serves., required: true, type: str}
  region: {description: AWS region., required: true, type: str}
  endpoint_url: {description: Endpoint override (tests)., type: str}
author: VideoForge
"""

RETURN = r"""
alias_arn: {description: ARN of the alias (empty in check mode before creation)., returned: always, type: str}
"""

from ansible.module_utils.basic import AnsibleModule


def main():
    module = AnsibleModule(
        argument_spec=dict(function_name=dict(required=True), name=dict(required=True),
                           function_version=dict(required=True), region=dict(required=True), endpoint_url=dict()),
        supports_check_mode=True,
    )
    import boto3

    p = module.params
    aws_lambda = boto3.client("lambda", region_name=p["region"], endpoint_url=p["endpoint_url"] or None)
    target = {"FunctionName": p["function_name"], "Name": p["name"], "FunctionVersion": p["function_version"]}
    try:
        alias = aws_lambda.get_alias(FunctionName=p["function_name"], Name=p["name"])
    except aws_lambda.exceptions.ResourceNotFoundException:
        if module.check_mode:
            module.exit_json(changed=True, alias_arn="")
        module.exit_json(changed=True, alias_arn=aws_lambda.create_alias(**target)["AliasArn"])
    if alias["FunctionVersion"] == p["function_version"]:
        module.exit_json(changed=False, alias_arn=alias["AliasArn"])
    if not module.check_mode:
        alias = aws_lambda.update_alias(**target)
    module.exit_json(changed=True, alias_arn=alias["AliasArn"])


if __name__ == "__main__":
    main()
