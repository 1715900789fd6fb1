/**
 * A secret shown this once (a new API key, a webhook's signing secret): a warning box around the words and the copy
 * field its caller gives, the focus on that field, and a button to put it away for good.
 */
import { useEffect, useRef, type ReactNode } from "react";

export function ShownOnce({
  testId,
  doneTestId,
  onDone,
  children,
}: {
  testId: string;
  doneTestId: string;
  onDone: () => void;
  children: ReactNode;
}) {
  const boxRef = useRef<HTMLDivElement>(null);
  useEffect(() => boxRef.current?.querySelector<HTMLInputElement>("input")?.focus(), []);
  return (
    <div className="notice notice-warn new-key" ref={boxRef} role="status" data-testid={testId}>
      {children}
      <button type="button" className="btn" onClick={onDone} data-testid={doneTestId}>
        I have copied it
      </button>
    </div>
  );
}
