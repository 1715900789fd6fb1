/** What a viewer sees of a password video until they give its password: its title and a password form. */
import { useEffect, useRef, useState, type FormEvent } from "react";
import { ApiError } from "../api/client";
import { getVideo, unlockVideo } from "../api/endpoints";
import { ErrorNotice } from "../components/ErrorNotice";
import { Field } from "../components/Field";
import { useFocusOnError } from "../components/focusError";
import { FormActions } from "../components/FormActions";
import { rememberUnlock } from "./unlocks";

export function PasswordGate({ videoId, title, onUnlocked }: { videoId: string; title?: string | null; onUnlocked: () => void }) {
  const [password, setPassword] = useState("");
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<unknown>(null);
  const formRef = useRef<HTMLFormElement>(null);
  useFocusOnError(formRef, error);
  // The gallery shows anyone a locked video's title (and nothing else) when the page does not have it.
  const [shownTitle, setShownTitle] = useState(title);
  useEffect(() => {
    if (title) return setShownTitle(title);
    let current = true;
    getVideo(videoId).then((video) => current && setShownTitle(video.title), () => undefined);
    return () => {
      current = false;
    };
  }, [videoId, title]);

  const onSubmit = async (e: FormEvent) => {
    e.preventDefault();
    if (!password) return setError(new ApiError(422, "", { password: "Enter the video's password." }));
    setBusy(true);
    setError(null);
    try {
      const unlocked = await unlockVideo(videoId, password);
      rememberUnlock(videoId, unlocked.unlock_token, unlocked.expires_in);
      onUnlocked();
    } catch (err) {
      setError(err);
    } finally {
      setBusy(false);
    }
  };

  const fieldError = error instanceof ApiError ? error.fieldErrors.password : undefined;
  return (
    <section className="password-gate card" aria-labelledby="password-gate-title" data-testid="password-gate">
      <h1 id="password-gate-title">{shownTitle || "Password-protected video"}</h1>
      <p className="muted">This video is password-protected. Enter its password to watch it.</p>
      <form ref={formRef} onSubmit={onSubmit} noValidate>
        <Field label="Password" error={fieldError}>
          <input type="password" autoComplete="off" value={password} onChange={(e) => setPassword(e.target.value)}
            data-testid="video-password" />
        </Field>
        <ErrorNotice error={error} hideFields={["password"]} />
        <FormActions label="Watch" busyLabel="Checking…" busy={busy} primary />
      </form>
    </section>
  );
}
