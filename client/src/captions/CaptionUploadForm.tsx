/** Add or replace a video's caption track for one language, from a WebVTT or SRT file. */
import { useId, useRef, useState, type FormEvent } from "react";
import { putCaptions } from "../api/endpoints";
import type { CaptionKind, CaptionTrack } from "../api/types";
import { ErrorNotice } from "../components/ErrorNotice";
import { Field } from "../components/Field";
import { FormActions } from "../components/FormActions";
import { useFormSubmit } from "../components/useFormSubmit";
import { localRefusal } from "../account/localRefusal";
import { CAPTION_EXTENSIONS, canonicalLanguage, captionFileProblem, COMMON_LANGUAGES, languageLabel, languageProblem } from "./languages";

const FIELDS = ["file", "language", "label", "kind"];

export function CaptionUploadForm({ videoId, onUploaded }: { videoId: string; onUploaded: (track: CaptionTrack) => void }) {
  const listId = useId();
  const [file, setFile] = useState<File | null>(null);
  const [language, setLanguage] = useState("");
  const [label, setLabel] = useState("");
  const [kind, setKind] = useState<CaptionKind>("subtitles");
  const [done, setDone] = useState<string | null>(null);
  const { formRef, busy, error, setError, fieldErrors, submit } = useFormSubmit();
  const fileRef = useRef<HTMLInputElement>(null);

  const onSubmit = async (e: FormEvent) => {
    e.preventDefault();
    setDone(null);
    const problems: Record<string, string> = {};
    const fileProblem = captionFileProblem(file);
    const tagProblem = languageProblem(language);
    if (fileProblem) problems.file = fileProblem;
    if (tagProblem) problems.language = tagProblem;
    const refusal = localRefusal(problems);
    if (refusal || !file) return setError(refusal);
    const tag = canonicalLanguage(language)!;
    await submit(async () => {
      const track = await putCaptions(videoId, { file, language: tag, label, kind });
      setDone(`${track.label || tag} captions saved (${track.cue_count ?? 0} cues).`);
      setFile(null);
      setLanguage("");
      setLabel("");
      if (fileRef.current) fileRef.current.value = "";
      onUploaded(track);
    });
  };

  return (
    <form className="caption-form" ref={formRef} onSubmit={onSubmit} noValidate aria-labelledby="caption-upload-heading"
      data-testid="caption-upload-form">
      <h3 id="caption-upload-heading">Add or replace captions</h3>
      <Field label="Caption file (WebVTT or SRT)" error={fieldErrors.file}>
        <input ref={fileRef} type="file" accept={[...CAPTION_EXTENSIONS, "text/vtt"].join(",")}
          onChange={(e) => setFile(e.target.files?.[0] ?? null)} data-testid="caption-file" />
      </Field>
      <Field label="Language" error={fieldErrors.language}
        hint="A language tag: en, fr, pt-BR… A track in the same language is replaced.">
        <input type="text" list={listId} autoComplete="off" spellCheck={false} value={language}
          onChange={(e) => setLanguage(e.target.value)} data-testid="caption-language" />
      </Field>
      <datalist id={listId}>
        {COMMON_LANGUAGES.map((tag) => (
          <option key={tag} value={tag}>
            {languageLabel(tag)}
          </option>
        ))}
      </datalist>
      <Field label="Label (optional)" error={fieldErrors.label}
        hint="What the player's menu shows. Left empty: the language's own name (or, on a replacement, its label).">
        <input type="text" maxLength={100} value={label} onChange={(e) => setLabel(e.target.value)} />
      </Field>
      <Field label="Kind" error={fieldErrors.kind}>
        <select value={kind} onChange={(e) => setKind(e.target.value as CaptionKind)}>
          <option value="subtitles">Subtitles — the dialogue</option>
          <option value="captions">Captions — the dialogue and other sounds</option>
        </select>
      </Field>
      <ErrorNotice error={error} hideFields={FIELDS} />
      <FormActions label="Upload captions" busyLabel="Uploading…" busy={busy}>
        <span role="status" className="muted small">
          {done ?? ""}
        </span>
      </FormActions>
    </form>
  );
}
