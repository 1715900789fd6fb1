/** A group of choices (radio buttons, check boxes) under a legend, its error tied to it by aria-describedby: Field for a fieldset. */
import { useId, type ReactNode } from "react";

export function FieldGroup({ legend, error, children }: { legend: string; error?: string; children: ReactNode }) {
  const id = useId();
  return (
    <fieldset className="field" aria-describedby={error ? `${id}-error` : undefined}>
      <legend>{legend}</legend>
      {children}
      {error && (
        <p className="field-error" id={`${id}-error`}>
          {error}
        </p>
      )}
    </fieldset>
  );
}
