/** Shows an error's message and, for API errors, the field errors the form did not place itself. */
import { ApiError, type FieldErrors } from "../api/client";

export function ErrorNotice({ error, hideFields = [] }: { error: unknown; hideFields?: string[] }) {
  if (!error) return null;
  const { message, fields } = errorSummary(error, hideFields);
  if (!message && fields.length === 0) return null; // every error already stands beside its field
  return (
    <div className="notice notice-error" role="alert" data-testid="error-notice">
      {message && <p>{message}</p>}
      {fields.length > 0 && (
        <ul>
          {fields.map(([field, msg]) => (
            <li key={field}>
              <strong>{field === "_" ? "" : `${fieldName(field)}: `}</strong>
              {msg}
            </li>
          ))}
        </ul>
      )}
    </div>
  );
}

// The server's summary of field errors ("Check these fields: title.") says nothing the fields do not.
const SUMMARY = /^check these fields\b|check the highlighted fields/i;

/**
 * What is left to say once the form shows the `placed` fields' errors beside them, so each error is said once:
 * the message unless it only repeats or sums up field errors, and the field errors no field shows.
 */
export function errorSummary(error: unknown, placed: string[] = []): { message: string | null; fields: [string, string][] } {
  const message = error instanceof Error ? error.message : String(error);
  return summarize(message, error instanceof ApiError ? error.fieldErrors : {}, placed);
}

/** errorSummary for a message and field errors kept apart (an upload's state keeps them so). */
export function summarize(message: string, fieldErrors: FieldErrors, placed: string[] = []) {
  const all = Object.entries(fieldErrors);
  const fields = all.filter(([name]) => !placed.includes(name));
  const repeats = all.length > 0 && (SUMMARY.test(message) || all.some(([, text]) => text === message));
  if (!repeats) return { message, fields };
  // One error no field shows: its own words are the message.
  return fields.length === 1 ? { message: fields[0][1], fields: [] } : { message: null, fields };
}

/** "content_type" -> "Content type". */
function fieldName(field: string): string {
  const words = field.replace(/[_.]+/g, " ").trim();
  return words.charAt(0).toUpperCase() + words.slice(1);
}
