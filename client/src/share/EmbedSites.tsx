/** The owner's choice of which sites may show a video in a frame (its embed page): any, only some, or none. */
import type { FieldErrors } from "../api/client";
import { Field } from "../components/Field";

export type EmbedMode = "any" | "only" | "none";

export interface EmbedSites {
  mode: EmbedMode;
  /** The sites of "only", one per line as typed. */
  text: string;
}

/** The form's state for a video's `embed_origins` (null: any site, []: none). */
export function embedSitesOf(origins: string[] | null | undefined): EmbedSites {
  if (origins == null) return { mode: "any", text: "" };
  return origins.length ? { mode: "only", text: origins.join("\n") } : { mode: "none", text: "" };
}

/** What the API takes for the form's state: each non-empty line of "only" is one site (the server checks them). */
export function embedOriginsOf(sites: EmbedSites): string[] | null {
  if (sites.mode === "any") return null;
  if (sites.mode === "none") return [];
  return sites.text
    .split(/[\s,]+/)
    .map((line) => line.trim())
    .filter(Boolean);
}

/** Whether the form's state says something else than `origins` does (only then is it sent). */
export function embedSitesChanged(sites: EmbedSites, origins: string[] | null | undefined): boolean {
  return JSON.stringify(embedOriginsOf(sites)) !== JSON.stringify(origins ?? null);
}

/** The server's complaint about the list, whichever site it names ("embed_origins" or "embed_origins.2"). */
export function embedSitesError(errors: FieldErrors): string | undefined {
  const key = Object.keys(errors).find((name) => name === "embed_origins" || name.startsWith("embed_origins."));
  return key ? errors[key] : undefined;
}

export function EmbedSitesFields({
  sites,
  onChange,
  error,
}: {
  sites: EmbedSites;
  onChange: (sites: EmbedSites) => void;
  error?: string;
}) {
  return (
    <>
      <Field label="Other sites" hint="Which sites may show this video in a frame, with its embed code.">
        <select
          value={sites.mode}
          onChange={(e) => onChange({ ...sites, mode: e.target.value as EmbedMode })}
          data-testid="embed-mode"
        >
          <option value="any">Any site may embed it</option>
          <option value="only">Only the sites I list</option>
          <option value="none">No site may embed it</option>
        </select>
      </Field>
      {sites.mode === "only" && (
        <Field
          label="Sites allowed to embed it"
          error={error}
          hint="One address per line, such as https://blog.example.com (no path)."
        >
          <textarea
            rows={3}
            value={sites.text}
            spellCheck={false}
            onChange={(e) => onChange({ ...sites, text: e.target.value })}
            data-testid="embed-origins"
          />
        </Field>
      )}
      {sites.mode !== "only" && error && (
        <p className="field-error" role="alert">
          {error}
        </p>
      )}
    </>
  );
}
