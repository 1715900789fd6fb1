/** Keeps upload tasks at app level so transfers go on while people browse other pages. */
import { createContext, useCallback, useContext, useEffect, useMemo, useState, useSyncExternalStore, type ReactNode } from "react";
import type { Visibility } from "../api/types";
import { titleFromFilename } from "../format";
import { UploadTask, type UploadSnapshot } from "./uploadTask";

interface UploadsValue {
  tasks: UploadTask[];
  addFiles(files: File[], visibility?: Visibility): void;
  remove(key: string): void;
}

const UploadsContext = createContext<UploadsValue | null>(null);

const busyPhases = new Set(["creating", "uploading", "confirming"]);

export function UploadsProvider({ children }: { children: ReactNode }) {
  const [tasks, setTasks] = useState<UploadTask[]>([]);

  const addFiles = useCallback((files: File[], visibility: Visibility = "private") => {
    const created = files.map(
      (file) => new UploadTask(file, { title: titleFromFilename(file.name), description: "", visibility }),
    );
    setTasks((list) => [...list, ...created]);
  }, []);

  const remove = useCallback((key: string) => {
    setTasks((list) => {
      const task = list.find((t) => t.key === key);
      if (task) void task.cancel();
      return list.filter((t) => t.key !== key);
    });
  }, []);

  useEffect(() => {
    // Leaving the page kills XHRs; warn while bytes are still moving.
    const onBeforeUnload = (e: BeforeUnloadEvent) => {
      if (tasks.some((t) => busyPhases.has(t.state.phase))) {
        e.preventDefault();
        e.returnValue = "";
      }
    };
    // Coming back online resumes interrupted uploads without a click.
    const onOnline = () => tasks.forEach((t) => t.state.phase === "interrupted" && void t.resume());
    window.addEventListener("beforeunload", onBeforeUnload);
    window.addEventListener("online", onOnline);
    return () => {
      window.removeEventListener("beforeunload", onBeforeUnload);
      window.removeEventListener("online", onOnline);
    };
  }, [tasks]);

  const value = useMemo(() => ({ tasks, addFiles, remove }), [tasks, addFiles, remove]);
  return <UploadsContext.Provider value={value}>{children}</UploadsContext.Provider>;
}

export function useUploads(): UploadsValue {
  const value = useContext(UploadsContext);
  if (!value) throw new Error("useUploads must be used inside <UploadsProvider>");
  return value;
}

/** Re-renders on every state change of one task. */
export function useUploadState(task: UploadTask): UploadSnapshot {
  return useSyncExternalStore(
    (cb) => task.subscribe(cb),
    () => task.state,
  );
}
