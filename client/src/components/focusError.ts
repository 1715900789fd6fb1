/** After a failed submit, focus goes to what needs fixing: the first invalid field, else the error message. */
import { useEffect, type RefObject } from "react";

export function focusFirstError(root: HTMLElement | null): boolean {
  if (!root) return false;
  const field = root.querySelector<HTMLElement>('[aria-invalid="true"]:not([disabled])');
  const target = field ?? root.querySelector<HTMLElement>('[role="alert"]');
  if (!target) return false;
  // An alert is not focusable by itself; -1 takes it out of the tab order while letting script focus it.
  if (!field && !target.hasAttribute("tabindex")) target.tabIndex = -1;
  target.focus();
  return document.activeElement === target;
}

/**
 * Focuses the first error inside `ref` each time `error` becomes a new, truthy value (after the render that shows
 * it). Pages pass the error they keep in state: `useFocusOnError(formRef, error)`.
 */
export function useFocusOnError(ref: RefObject<HTMLElement | null>, error: unknown): void {
  useEffect(() => {
    if (error) focusFirstError(ref.current);
  }, [ref, error]);
}
