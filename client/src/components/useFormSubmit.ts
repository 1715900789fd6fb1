/** A form's submit: busy while its request runs, the error it ended with (focused once shown), its field errors. */
import { useCallback, useRef, useState, type RefObject } from "react";
import { ApiError, type FieldErrors } from "../api/client";
import { useFocusOnError } from "./focusError";

export interface FormSubmit {
  /** The form, for focus to reach its first error. */
  formRef: RefObject<HTMLFormElement | null>;
  busy: boolean;
  error: unknown;
  /** Sets the error without asking the server: a form's own check (`localRefusal`), or null to clear it. */
  setError: (error: unknown) => void;
  /** The error's field errors (an ApiError's), to show beside their fields; {} otherwise. */
  fieldErrors: FieldErrors;
  /** Clears the error and runs `send`, busy meanwhile; what it throws becomes the error. */
  submit: (send: () => Promise<unknown>) => Promise<void>;
}

export function useFormSubmit(): FormSubmit {
  const formRef = useRef<HTMLFormElement>(null);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<unknown>(null);
  useFocusOnError(formRef, error);

  const submit = useCallback(async (send: () => Promise<unknown>) => {
    setBusy(true);
    setError(null);
    try {
      await send();
    } catch (err) {
      setError(err);
    } finally {
      setBusy(false);
    }
  }, []);

  const fieldErrors = error instanceof ApiError ? error.fieldErrors : {};
  return { formRef, busy, error, setError, fieldErrors, submit };
}
