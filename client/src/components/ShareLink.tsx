/** A video's link with a copy button, for its owner and for anyone watching a public or unlisted video. */
import { useEffect, useId, useRef, useState } from "react";

export function ShareLink({ link }: { link: string }) {
  const inputId = useId();
  const inputRef = useRef<HTMLInputElement>(null);
  const [copied, setCopied] = useState<"copied" | "select" | null>(null);

  useEffect(() => {
    if (!copied) return;
    const timer = setTimeout(() => setCopied(null), 4000);
    return () => clearTimeout(timer);
  }, [copied]);

  const onCopy = async () => {
    try {
      await navigator.clipboard.writeText(link);
      setCopied("copied");
    } catch {
      // The clipboard API needs a secure context and permission; selecting the text lets people copy by hand.
      inputRef.current?.select();
      setCopied("select");
    }
  };

  return (
    <div className="share" data-testid="share">
      <label htmlFor={inputId}>Share link</label>
      <div className="share-row">
        <input
          id={inputId}
          ref={inputRef}
          type="text"
          readOnly
          value={link}
          data-testid="share-link"
          onFocus={(e) => e.target.select()}
        />
        <button type="button" className="btn" onClick={() => void onCopy()} data-testid="copy-share-link">
          {copied === "copied" ? "Copied" : "Copy link"}
        </button>
      </div>
      <span className="visually-hidden" aria-live="polite" data-testid="share-status">
        {copied === "copied" ? "Link copied" : copied === "select" ? "The link is selected, ready to copy" : ""}
      </span>
    </div>
  );
}
