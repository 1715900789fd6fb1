"""Ansible module: a CloudFront signing key whose private half is made here once and lives only in Secrets Manager."""

from __future__ import annotations

DOCUMENTATION = r"""
module: cloudfront_signing_key
short_description: Ensure an RSA signing key in Secrets Manager and its public half as a CloudFront public key
description:
  - The private key is generated in this module's process (RSA 2048, as CloudFront requires) and stored as the
    secret's string (PEM) on the first run; later runs read it back. It is never an argument, a return value or a
    file, so it reaches neither the control machine's disk nor the play's output.
  - The CloudFront public key is found by name. Its key cannot be changed on AWS, so a public key of that name
    holding another key is an error; rotate by adding a key with a new name (docs/deploy.md).
options:
  secret_name: {description: Secrets Manager name of the private key., required: true, type: str}
  public_key_name: {description: Name of the CloudFront public key., required: true, type: str}
  comment: {description: Comment of the public key and description of the secret., type: str, default: ""}
  tags: {description: Tags of the secret., type: dict, default: {}}
  region: {description: Region of the secret (CloudFront itself is global)., required: true, type: str}
  endpoint_url: {description: Endpoint override (tests)., type: str}
author: VideoForge
"""

RETURN = r"""
public_key_id:
  description: Id of the CloudFront public key (the app's CDN_KEY_PAIR_ID); empty in check mode before creation.
  returned: always
  type: str
public_key_pem: {description: The public key (PEM)., returned: always, type: str}
secret_arn: {description: ARN of the secret holding the private key., returned: always, type: str}
"""

from ansible.module_utils.basic import AnsibleModule


def public_pem(private_pem):
    from cryptography.hazmat.primitives import serialization

    key = serialization.load_pem_private_key(private_pem.encode(), password=None)
    return key.public_key().public_bytes(serialization.Encoding.PEM,
                                         serialization.PublicFormat.SubjectPublicKeyInfo).decode()


def new_private_pem():
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import rsa

    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    return key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.TraditionalOpenSSL,
                             serialization.NoEncryption()).decode()


def same_key(pem_a, pem_b):
    """Compare two public keys by their numbers: AWS may give the PEM back with other line endings."""
    from cryptography.hazmat.primitives import serialization

    def numbers(pem):
        return serialization.load_pem_public_key(pem.encode()).public_numbers()

    return numbers(pem_a) == numbers(pem_b)


def find_public_key(cloudfront, name):
    marker = None
    while True:
        page = cloudfront.list_public_keys(**({"Marker": marker} if marker else {}))["PublicKeyList"]
        for item in page.get("Items") or []:
            if item["Name"] == name:
                return item
        marker = page.get("NextMarker")
        if not marker:
            return None


def ensure_secret(module, secrets):
    """The stored private key (PEM) and the secret's ARN; a new key when the secret does not exist yet."""
    p = module.params
    try:
        stored = secrets.get_secret_value(SecretId=p["secret_name"])
        return stored["SecretString"], stored["ARN"], False
    except secrets.exceptions.ResourceNotFoundException:
        pass
    private_pem = new_private_pem()
    if module.check_mode:
        return private_pem, "", True
    described = {"Description": p["comment"]} if p["comment"] else {}
    tags = [{"Key": k, "Value": str(v)} for k, v in p["tags"].items()]
    created = secrets.create_secret(Name=p["secret_name"], SecretString=private_pem, Tags=tags, **described)
    return private_pem, created["ARN"], True


def main():
    module = AnsibleModule(
        argument_spec=dict(secret_name=dict(required=True), public_key_name=dict(required=True),
                           comment=dict(default=""), tags=dict(type="dict", default={}),
                           region=dict(required=True), endpoint_url=dict()),
        supports_check_mode=True,
    )
    try:
        import boto3
    except ImportError:
        module.fail_json(msg="cloudfront_signing_key needs boto3 and cryptography in the interpreter that runs it")
    p = module.params
    endpoint = p["endpoint_url"] or None
    secrets = boto3.client("secretsmanager", region_name=p["region"], endpoint_url=endpoint)
    cloudfront = boto3.client("cloudfront", region_name="us-east-1", endpoint_url=endpoint)

    private_pem, secret_arn, changed = ensure_secret(module, secrets)
    pem = public_pem(private_pem)

    existing = find_public_key(cloudfront, p["public_key_name"])
    if existing is not None:
        if not same_key(existing["EncodedKey"], pem):
            module.fail_json(msg=f"CloudFront public key {p['public_key_name']!r} ({existing['Id']}) does not match "
                                 f"the private key in {p['secret_name']!r}; a public key cannot change: add a key "
                                 "with a new name instead (docs/deploy.md, key rotation)")
        module.exit_json(changed=changed, public_key_id=existing["Id"], public_key_pem=pem, secret_arn=secret_arn)
    if module.check_mode:
        module.exit_json(changed=True, public_key_id="", public_key_pem=pem, secret_arn=secret_arn)
    created = cloudfront.create_public_key(PublicKeyConfig={
        "CallerReference": p["public_key_name"], "Name": p["public_key_name"], "EncodedKey": pem,
        "Comment": p["comment"]})["PublicKey"]
    module.exit_json(changed=True, public_key_id=created["Id"], public_key_pem=pem, secret_arn=secret_arn)


if __name__ == "__main__":
    main()
