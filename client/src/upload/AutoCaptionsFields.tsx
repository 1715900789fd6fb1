/** The upload form's wish for generated captions: a checkbox, and the language spoken once it is ticked. */
import { useId } from "react";
import { autonym, COMMON_LANGUAGES, languageLabel } from "../captions/languages";

export function AutoCaptionsFields({
  checked,
  language,
  languages,
  onChange,
}: {
  checked: boolean;
  language: string;
  /** What the server can transcribe; the common languages when it does not say. */
  languages?: string[] | null;
  onChange: (change: { autoCaptions?: boolean; captionLanguage?: string }) => void;
}) {
  const id = useId();
  const offered = languages?.length ? languages : COMMON_LANGUAGES;
  return (
    <div className="auto-captions">
      <div className="check">
        <input id={`${id}-check`} type="checkbox" checked={checked} onChange={(e) => onChange({ autoCaptions: e.target.checked })}
          data-testid="auto-captions" />
        <label htmlFor={`${id}-check`}>Generate captions automatically</label>
      </div>
      {checked && (
        <div className="field">
          <label htmlFor={`${id}-language`}>Spoken language</label>
          <select id={`${id}-language`} value={language} onChange={(e) => onChange({ captionLanguage: e.target.value })}
            data-testid="caption-language-select">
            <option value="">The server's default</option>
            {offered.map((tag) => (
              <option key={tag} value={tag}>
                {languageLabel(tag)} — {autonym(tag)} ({tag})
              </option>
            ))}
          </select>
        </div>
      )}
    </div>
  );
}
