/** Errors a form finds itself, in the shape the server's have, so pages place and announce both alike. */
import { ApiError, type FieldErrors } from "../api/client";

/** An ApiError for `fields` (null when there are none): its message is the first field's, said once. */
export function localRefusal(fields: FieldErrors): ApiError | null {
  const messages = Object.values(fields);
  return messages.length ? new ApiError(400, messages[0], fields) : null;
}
