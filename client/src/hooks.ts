/** Small shared hooks: polling and document title. */
import { useEffect, useRef } from "react";

/** Calls `tick` every `intervalMs` while `active`; pauses while the tab is hidden. */
export function usePoll(tick: () => void | Promise<void>, intervalMs: number, active: boolean): void {
  const tickRef = useRef(tick);
  tickRef.current = tick;
  useEffect(() => {
    if (!active) return;
    let timer: ReturnType<typeof setTimeout> | null = null;
    let stopped = false;
    const loop = async () => {
      if (stopped) return;
      if (document.visibilityState !== "hidden") {
        try {
          await tickRef.current();
        } catch {
          // The page shows errors from its own loads; a failed poll just tries again.
        }
      }
      if (!stopped) timer = setTimeout(loop, intervalMs);
    };
    timer = setTimeout(loop, intervalMs);
    return () => {
      stopped = true;
      if (timer !== null) clearTimeout(timer);
    };
  }, [intervalMs, active]);
}

export function useDocumentTitle(title: string): void {
  useEffect(() => {
    document.title = title ? `${title} · VideoForge` : "VideoForge";
  }, [title]);
}
