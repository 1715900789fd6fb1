/** Shows an error's message and, for API errors, the field errors the form did not place itself. */
import { ApiError } from "../api/client";

export function ErrorNotice({ error, hideFields = [] }: { error: unknown; hideFields?: string[] }) {
  if (!error) return null;
  const message = error instanceof Error ? error.message : String(error);
  const fields =
    error instanceof ApiError ? Object.entries(error.fieldErrors).filter(([k]) => !hideFields.includes(k)) : [];
  return (
    <div className="notice notice-error" role="alert" data-testid="error-notice">
      <p>{message}</p>
      {fields.length > 0 && (
        <ul>
          {fields.map(([field, msg]) => (
            <li key={field}>
              <strong>{field === "_" ? "" : `${field}: `}</strong>
              {msg}
            </li>
          ))}
        </ul>
      )}
    </div>
  );
}
