/** Accessible progress bar (role=progressbar); `value` null shows an indeterminate bar. */

export function ProgressBar({
  value,
  label,
  testId,
}: {
  value: number | null;
  label: string;
  testId?: string;
}) {
  const pct = value == null ? null : Math.max(0, Math.min(100, value));
  return (
    <div
      className={`progress${pct == null ? " progress-indeterminate" : ""}`}
      role="progressbar"
      aria-label={label}
      aria-valuemin={0}
      aria-valuemax={100}
      aria-valuenow={pct == null ? undefined : Math.round(pct)}
      data-testid={testId}
    >
      <div className="progress-fill" style={pct == null ? undefined : { width: `${pct}%` }} />
    </div>
  );
}
