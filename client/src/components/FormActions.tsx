/** A form's submit button (its words change while it works), with any other actions beside it. */
import type { ReactNode } from "react";

export function FormActions({
  label,
  busyLabel,
  busy = false,
  primary = false,
  children,
}: {
  label: string;
  busyLabel: string;
  busy?: boolean;
  primary?: boolean;
  /** Other actions and a status line, after the submit button. */
  children?: ReactNode;
}) {
  return (
    <div className="row-actions">
      <button type="submit" className={primary ? "btn btn-primary" : "btn"} disabled={busy}>
        {busy ? busyLabel : label}
      </button>
      {children}
    </div>
  );
}
