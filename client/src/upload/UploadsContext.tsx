/** Keeps upload tasks at app level so transfers go on while people browse other pages. */
import { createContext, useCallback, useContext, useEffect, useMemo, useState, useSyncExternalStore, type ReactNode } from "react";
import { deleteVideo } from "../api/endpoints";
import type { Visibility } from "../api/types";
import { useAuth } from "../auth/AuthContext";
import { defaultTitle } from "./rules";
import { sameFile, UnfinishedUploads, type UnfinishedUpload } from "./unfinished";
import { UploadTask, type UploadSnapshot } from "./uploadTask";

interface UploadsValue {
  tasks: UploadTask[];
  /** Uploads begun before a reload that no task here is carrying on. */
  unfinished: UnfinishedUpload[];
  /** Adds files; one matching an unfinished upload carries it on at once. Titles default to the file's name, cut
   * to `titleMaxLength`. */
  addFiles(files: File[], options?: { visibility?: Visibility; titleMaxLength?: number }): void;
  remove(key: string): void;
  /** Gives up an unfinished upload: its half-made video is deleted. */
  discard(videoId: string): Promise<void>;
}

const UploadsContext = createContext<UploadsValue | null>(null);

const busyPhases = new Set(["creating", "uploading", "confirming"]);

export function UploadsProvider({ children, ledger: given }: { children: ReactNode; ledger?: UnfinishedUploads }) {
  const [tasks, setTasks] = useState<UploadTask[]>([]);
  const ledger = useMemo(() => given ?? new UnfinishedUploads(), [given]);
  const [ledgerVersion, setLedgerVersion] = useState(0);
  const owner = useAuth().user?.sub ?? "";

  const addFiles = useCallback(
    (files: File[], { visibility = "private", titleMaxLength }: { visibility?: Visibility; titleMaxLength?: number } = {}) => {
      const changed = () => setLedgerVersion((v) => v + 1);
      const created = files.map((file) => {
        const earlier = owner ? ledger.find(owner, file) : undefined;
        const task = new UploadTask(
          file,
          { title: earlier?.title ?? defaultTitle(file.name, titleMaxLength), description: "", visibility },
          {
            resumeVideoId: earlier?.videoId,
            onVideoCreated: (video) => {
              if (!owner) return;
              const { name, size, lastModified } = file;
              ledger.remember({ videoId: video.id, user: owner, name, size, lastModified, title: video.title });
              changed();
            },
            onSettled: (videoId) => {
              ledger.forget(videoId);
              changed();
            },
          },
        );
        if (earlier) void task.start(); // the person chose to carry it on by picking the file again
        return task;
      });
      setTasks((list) => [...list, ...created]);
    },
    [ledger, owner],
  );

  const discard = useCallback(
    async (videoId: string) => {
      await deleteVideo(videoId).catch(() => undefined); // already gone is fine
      ledger.forget(videoId);
      setLedgerVersion((v) => v + 1);
    },
    [ledger],
  );

  const unfinished = useMemo(
    () =>
      owner
        ? ledger.list(owner).filter((r) => !tasks.some((t) => t.state.video?.id === r.videoId || sameFile(r, t.file)))
        : [],
    // ledgerVersion: the ledger lives outside React; re-read it when it changes.
    [ledger, owner, tasks, ledgerVersion],
  );

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

  const value = useMemo(
    () => ({ tasks, unfinished, addFiles, remove, discard }),
    [tasks, unfinished, addFiles, remove, discard],
  );
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
