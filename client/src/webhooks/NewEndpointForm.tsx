/** Register a webhook endpoint: its URL, the events it receives, a note. The server checks the URL's address. */
import { useId, useState, type FormEvent } from "react";
import { checkFields } from "../account/forms";
import { localRefusal } from "../account/localRefusal";
import type { CreatedWebhookEndpoint, WebhookEventType } from "../api/types";
import { createWebhook } from "../api/webhooks";
import { ErrorNotice } from "../components/ErrorNotice";
import { Field } from "../components/Field";
import { FieldGroup } from "../components/FieldGroup";
import { FormActions } from "../components/FormActions";
import { useFormSubmit } from "../components/useFormSubmit";
import { EVENTS } from "./events";

export function NewEndpointForm({ onCreated }: { onCreated: (created: CreatedWebhookEndpoint) => void }) {
  const [url, setUrl] = useState("");
  const [events, setEvents] = useState<WebhookEventType[]>(["video.ready", "video.failed"]);
  const [description, setDescription] = useState("");
  const { formRef, busy, error, setError, fieldErrors, submit } = useFormSubmit();
  const eventsId = useId();

  const toggle = (type: WebhookEventType, on: boolean) =>
    setEvents((now) => EVENTS.map((e) => e.type).filter((t) => (t === type ? on : now.includes(t))));

  const onSubmit = async (e: FormEvent) => {
    e.preventDefault();
    const problems = checkFields({ url, events: events.join(",") }, {
      url: "Give the URL that should receive the events.",
      events: "Choose at least one event.",
    });
    const refused = localRefusal(problems);
    if (refused) return setError(refused);
    await submit(async () => {
      onCreated(await createWebhook({ url: url.trim(), events, description: description.trim() }));
      setUrl("");
      setDescription("");
    });
  };

  return (
    <form ref={formRef} onSubmit={onSubmit} noValidate data-testid="webhook-form">
      <Field label="URL" error={fieldErrors.url}
        hint={fieldErrors.url ? undefined : "https:// and reachable from the internet, e.g. https://hooks.example.com/videoforge"}>
        <input type="url" name="webhook-url" maxLength={2048} autoComplete="off" required value={url}
          onChange={(e) => setUrl(e.target.value)} />
      </Field>
      <FieldGroup legend="Events" error={fieldErrors.events}>
        {EVENTS.map((event) => (
          <div className="check" key={event.type}>
            <input type="checkbox" id={`${eventsId}-${event.type}`} checked={events.includes(event.type)}
              onChange={(e) => toggle(event.type, e.target.checked)} />
            <label htmlFor={`${eventsId}-${event.type}`}>
              <code>{event.type}</code> <span className="muted small">{event.description}</span>
            </label>
          </div>
        ))}
      </FieldGroup>
      <Field label="Note" error={fieldErrors.description}>
        <input type="text" name="webhook-description" maxLength={200} autoComplete="off" value={description}
          onChange={(e) => setDescription(e.target.value)} />
      </Field>
      <ErrorNotice error={error} hideFields={["url", "events", "description"]} />
      <FormActions label="Add endpoint" busyLabel="Adding…" busy={busy} layout="inline" />
    </form>
  );
}
