/** The owner's password for a password video: asked when one is chosen, optional (a new one) when it has one. */
import { Field } from "../components/Field";

export function PasswordField({
  value,
  onChange,
  error,
  hasPassword,
}: {
  value: string;
  onChange: (password: string) => void;
  error?: string;
  /** The video is password-protected already: leaving the field empty keeps its password. */
  hasPassword: boolean;
}) {
  return (
    <Field
      label={hasPassword ? "New password" : "Password"}
      error={error}
      hint={hasPassword ? "Leave empty to keep the current one. A new one asks everyone for it again." : "Viewers need it to watch."}
    >
      <input type="password" autoComplete="new-password" value={value} onChange={(e) => onChange(e.target.value)}
        data-testid="owner-video-password" />
    </Field>
  );
}
