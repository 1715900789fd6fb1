/** A read-only text (a link, an embed code) with a copy button; selects the text where the clipboard is refused. */
import { useEffect, useId, useRef, useState } from "react";

export function CopyField({
  label,
  value,
  copyLabel,
  copiedMessage,
  multiline = false,
  testId,
}: {
  label: string;
  value: string;
  copyLabel: string;
  /** What screen readers hear once it is copied, e.g. "Link copied". */
  copiedMessage: string;
  multiline?: boolean;
  testId: string;
}) {
  const inputId = useId();
  const fieldRef = useRef<HTMLInputElement & HTMLTextAreaElement>(null);
  const [copied, setCopied] = useState<"copied" | "select" | null>(null);

  useEffect(() => {
    if (!copied) return;
    const timer = setTimeout(() => setCopied(null), 4000);
    return () => clearTimeout(timer);
  }, [copied]);
  useEffect(() => setCopied(null), [value]);

  const onCopy = async () => {
    try {
      await navigator.clipboard.writeText(value);
      setCopied("copied");
    } catch {
      // The clipboard API needs a secure context and permission; selecting the text lets people copy by hand.
      fieldRef.current?.select();
      setCopied("select");
    }
  };

  const common = {
    id: inputId,
    ref: fieldRef,
    readOnly: true,
    value,
    "data-testid": testId,
    onFocus: (e: { target: HTMLInputElement | HTMLTextAreaElement }) => e.target.select(),
  };
  return (
    <div className="share">
      <label htmlFor={inputId}>{label}</label>
      <div className="share-row">
        {multiline ? <textarea rows={3} spellCheck={false} {...common} /> : <input type="text" {...common} />}
        <button type="button" className="btn" onClick={() => void onCopy()} data-testid={`copy-${testId}`}>
          {copied === "copied" ? "Copied" : copyLabel}
        </button>
      </div>
      <span className="visually-hidden" aria-live="polite" data-testid={`${testId}-status`}>
        {copied === "copied" ? copiedMessage : copied === "select" ? "The text is selected, ready to copy" : ""}
      </span>
    </div>
  );
}
