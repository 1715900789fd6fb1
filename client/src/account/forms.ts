/** What the account forms check before asking the server, in people's words, and the link in a mailed message. */
import type { FieldErrors } from "../api/client";
import type { AuthConfig, Me } from "../api/types";

/** The local issuer's default (AUTH_PASSWORD_MIN_LENGTH) until /config says otherwise. */
export const DEFAULT_MIN_LENGTH = 10;

export function minPasswordLength(config: AuthConfig | null): number {
  return (config?.flow === "local" && config.password_min_length) || DEFAULT_MIN_LENGTH;
}

/**
 * The `token` of a mailed link's fragment ("/reset#token=..."; browsers never send a fragment to a server, so the
 * token stays out of logs); null when there is none.
 */
export function linkToken(hash: string): string | null {
  const token = new URLSearchParams(hash.replace(/^#/, "")).get("token");
  return token && token.trim() ? token.trim() : null;
}

/**
 * Errors to show before any request: empty fields, and a new password the server would refuse for its length.
 * `values` maps a field name to its value; `required` names the fields that must be filled in, with the words
 * for the empty case; `newPassword` names the field that holds a new password.
 */
export function checkFields(
  values: Record<string, string>,
  required: Record<string, string>,
  opts: { newPassword?: string; minLength?: number } = {},
): FieldErrors {
  const errors: FieldErrors = {};
  for (const [name, words] of Object.entries(required)) {
    if (!values[name]?.trim()) errors[name] = words;
  }
  const { newPassword, minLength = DEFAULT_MIN_LENGTH } = opts;
  if (newPassword && !errors[newPassword] && values[newPassword].length < minLength) {
    errors[newPassword] = `Use at least ${minLength} characters.`;
  }
  return errors;
}

/** Whether the account page should offer verification: the local issuer with it on, and an unverified address. */
export function needsVerification(config: AuthConfig | null, user: Me | null): boolean {
  return (
    config?.flow === "local" &&
    (config.email_verification ?? "optional") !== "off" &&
    !!user &&
    user.email_verified === false
  );
}

/** Uploads wait for a verified address on this server. */
export function uploadsNeedVerification(config: AuthConfig | null, user: Me | null): boolean {
  return config?.flow === "local" && config.email_verification === "required" && needsVerification(config, user);
}
