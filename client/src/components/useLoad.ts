/**
 * What a component shows from the server: the last answer (null until the first), the last load's error (cleared by
 * the next success) and `reload`. It loads on mount and again whenever `fetch` changes, so a fetch that reads props
 * or state is made with useCallback over them. A failed load keeps the last answer on screen beside its error.
 */
import { useCallback, useEffect, useState } from "react";

export interface Loaded<T> {
  data: T | null;
  error: unknown;
  reload: () => Promise<void>;
}

export function useLoad<T>(fetch: () => Promise<T>): Loaded<T> {
  const [data, setData] = useState<T | null>(null);
  const [error, setError] = useState<unknown>(null);

  const reload = useCallback(async () => {
    try {
      setData(await fetch());
      setError(null);
    } catch (err) {
      setError(err);
    }
  }, [fetch]);
  useEffect(() => {
    void reload();
  }, [reload]);

  return { data, error, reload };
}
