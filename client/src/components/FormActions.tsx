/** A form's submit button (its words change while it works), with any other actions beside it. */
import type { ReactNode } from "react";

export function FormActions({
  label,
  busyLabel,
  busy = false,
  primary = false,
  layout = "row",
  children,
}: {
  label: string;
  busyLabel: string;
  busy?: boolean;
  primary?: boolean;
  /**
   * Where the button sits: "row" in a `.row-actions` row with `children`; "inline" straight in the form (the
   * account sections); "block" straight in the form at full width (the sign-in cards), `children` below it.
   */
  layout?: "row" | "inline" | "block";
  /** Other actions and a status line, after the submit button. */
  children?: ReactNode;
}) {
  const className = ["btn", primary && "btn-primary", layout === "block" && "btn-block"].filter(Boolean).join(" ");
  const button = (
    <button type="submit" className={className} disabled={busy}>
      {busy ? busyLabel : label}
    </button>
  );
  if (layout !== "row") {
    return (
      <>
        {button}
        {children}
      </>
    );
  }
  return (
    <div className="row-actions">
      {button}
      {children}
    </div>
  );
}
