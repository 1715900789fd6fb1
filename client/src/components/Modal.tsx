/**
 * A modal box over the page: the focus moves into it (to the first element `initialFocus` selects) and back to what
 * opened it when it closes; Tab and Shift+Tab stay inside; Escape or a click on the backdrop closes it.
 */
import { useEffect, useRef, type KeyboardEvent, type ReactNode } from "react";

/** What Tab moves between inside the box. */
const FOCUSABLE = "a[href], button:not([disabled]), input:not([disabled]), select:not([disabled]), textarea:not([disabled])";

export function Modal({
  role = "dialog",
  className = "dialog",
  labelledBy,
  describedBy,
  initialFocus,
  onClose,
  testId,
  children,
}: {
  /** "alertdialog" for a question that needs an answer before anything else. */
  role?: "dialog" | "alertdialog";
  className?: string;
  labelledBy: string;
  describedBy?: string;
  /** A selector for what gets the focus when it opens, e.g. "input". */
  initialFocus: string;
  onClose: () => void;
  testId: string;
  children: ReactNode;
}) {
  const boxRef = useRef<HTMLDivElement>(null);

  // Once, when it opens: what had the focus then gets it back when the box goes.
  useEffect(() => {
    const previous = document.activeElement as HTMLElement | null;
    boxRef.current?.querySelector<HTMLElement>(initialFocus)?.focus();
    return () => previous?.focus?.();
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, []);

  const onKeyDown = (e: KeyboardEvent) => {
    if (e.key === "Escape") {
      e.preventDefault();
      onClose();
    } else if (e.key === "Tab") {
      const items = Array.from(boxRef.current?.querySelectorAll<HTMLElement>(FOCUSABLE) ?? []);
      if (items.length === 0) return;
      const first = items[0];
      const last = items[items.length - 1];
      if (e.shiftKey && document.activeElement === first) {
        e.preventDefault();
        last.focus();
      } else if (!e.shiftKey && document.activeElement === last) {
        e.preventDefault();
        first.focus();
      }
    }
  };

  return (
    <div className="dialog-backdrop" onMouseDown={(e) => e.target === e.currentTarget && onClose()}>
      <div
        className={className}
        role={role}
        aria-modal="true"
        aria-labelledby={labelledBy}
        aria-describedby={describedBy}
        ref={boxRef}
        onKeyDown={onKeyDown}
        data-testid={testId}
      >
        {children}
      </div>
    </div>
  );
}
