"""Request and response schemas of the local identity provider."""

from marshmallow import Schema, fields, validate

from videoforge.modules.auth.passwords import MAX_LENGTH


class SignUpSchema(Schema):
    email = fields.Email(required=True, validate=validate.Length(max=320))
    password = fields.String(required=True, load_only=True, validate=validate.Length(min=1, max=MAX_LENGTH))


class SignInSchema(Schema):
    email = fields.String(required=True, validate=validate.Length(min=1, max=320))
    password = fields.String(required=True, load_only=True, validate=validate.Length(min=1, max=1024))
    code = fields.String(load_default=None, validate=validate.Length(max=16),
                         metadata={"description": "TOTP code, when the account has TOTP on"})


class RefreshSchema(Schema):
    refresh_token = fields.String(required=True, load_only=True, validate=validate.Length(min=1, max=512))


class TokenSchema(Schema):
    access_token = fields.String(required=True)
    id_token = fields.String(required=True)
    refresh_token = fields.String(required=True)
    token_type = fields.String(required=True, metadata={"example": "Bearer"})
    expires_in = fields.Integer(required=True, metadata={"description": "Seconds the access token lives"})


class MeSchema(Schema):
    id = fields.String(required=True)
    sub = fields.String(required=True)
    email = fields.String(allow_none=True)
    groups = fields.List(fields.String(), required=True)
    mfa_enabled = fields.Boolean(required=True)
    email_verified = fields.Boolean(metadata={"description": "local: a link mailed to `email` was followed"})


class JwksSchema(Schema):
    keys = fields.List(fields.Dict(), required=True)


class AuthConfigSchema(Schema):
    flow = fields.String(required=True, metadata={"description": "`local` (this API) or `cognito` (hosted UI)"})
    mfa = fields.Boolean(metadata={"description": "local: accounts may turn on TOTP"})
    signup = fields.Boolean(metadata={"description": "local: POST /signup is open"})
    password_min_length = fields.Integer(metadata={"description": "local: shortest password sign-up accepts"})
    password_reset = fields.Boolean(metadata={"description": "local: reset links can be mailed from this address"})
    email_verification = fields.String(metadata={"description": "local: `required` (to upload), `optional` or `off`"})
    account_deletion = fields.String(metadata={"description": "local: deleting an account `erase`s its videos or "
                                                              "hands them `handover` to an administrator"})
    authorize_url = fields.String()
    token_url = fields.String()
    logout_url = fields.String()
    client_id = fields.String()
    redirect_uri = fields.String()
    scopes = fields.List(fields.String())


class TotpEnrolmentSchema(Schema):
    secret = fields.String(required=True, metadata={"description": "Base32 secret, for typing in by hand"})
    otpauth_uri = fields.String(required=True, metadata={"description": "otpauth:// URI, for a QR code"})


class TotpCodeSchema(Schema):
    code = fields.String(required=True, validate=validate.Length(min=1, max=16))


class ForgotPasswordSchema(Schema):
    email = fields.Email(required=True, validate=validate.Length(max=320))


class LinkSchema(Schema):
    token = fields.String(required=True, load_only=True, validate=validate.Length(min=1, max=512),
                          metadata={"description": "From the mailed link"})


class ResetPasswordSchema(LinkSchema):
    password = fields.String(required=True, load_only=True, validate=validate.Length(min=1, max=MAX_LENGTH))


class ChangePasswordSchema(Schema):
    current_password = fields.String(required=True, load_only=True, validate=validate.Length(min=1, max=1024))
    new_password = fields.String(required=True, load_only=True, validate=validate.Length(min=1, max=MAX_LENGTH))


class ChangeEmailSchema(Schema):
    password = fields.String(required=True, load_only=True, validate=validate.Length(min=1, max=1024))
    email = fields.Email(required=True, validate=validate.Length(max=320), metadata={"description": "The new address"})


class PasswordSchema(Schema):
    password = fields.String(required=True, load_only=True, validate=validate.Length(min=1, max=1024))


class AcceptedSchema(Schema):
    message = fields.String(required=True)
