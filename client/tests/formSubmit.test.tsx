// @vitest-environment jsdom
/** The forms' shared submit (useFormSubmit) and submit row (FormActions), in a small form built the pages' way. */
import { act, cleanup, fireEvent, render, screen } from "@testing-library/react";
import { afterEach, describe, expect, it, vi } from "vitest";
import { localRefusal } from "../src/account/localRefusal";
import { ApiError } from "../src/api/client";
import { ErrorNotice } from "../src/components/ErrorNotice";
import { Field } from "../src/components/Field";
import { FormActions } from "../src/components/FormActions";
import { useFormSubmit } from "../src/components/useFormSubmit";

afterEach(cleanup);

/** A request the test settles by hand. */
function deferred() {
  let resolve!: () => void;
  let reject!: (err: unknown) => void;
  const promise = new Promise<void>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  return { promise, resolve, reject };
}

/** Title and description, its own check (a title is required), then one request: `send`. */
function DetailsForm({ send }: { send: () => Promise<unknown> }) {
  const { formRef, busy, error, setError, fieldErrors, submit } = useFormSubmit();
  const onSubmit = async (e: React.FormEvent<HTMLFormElement>) => {
    e.preventDefault();
    const title = (e.currentTarget.elements.namedItem("title") as HTMLInputElement).value;
    const problems = localRefusal(title.trim() ? {} : { title: "Enter a title." });
    if (problems) return setError(problems);
    await submit(send);
  };
  return (
    <form ref={formRef} onSubmit={onSubmit} noValidate data-testid="details-form">
      <Field label="Title" error={fieldErrors.title}>
        <input type="text" name="title" defaultValue="Beach day" />
      </Field>
      <Field label="Description" error={fieldErrors.description}>
        <input type="text" name="description" />
      </Field>
      <ErrorNotice error={error} hideFields={["title", "description"]} />
      <FormActions label="Save" busyLabel="Saving…" busy={busy} />
    </form>
  );
}

const submitForm = () => act(async () => void fireEvent.submit(screen.getByTestId("details-form")));

describe("useFormSubmit", () => {
  it("is busy while the request is pending, and not after", async () => {
    const request = deferred();
    render(<DetailsForm send={() => request.promise} />);
    await submitForm();
    const button = screen.getByRole("button");
    expect(button.textContent).toBe("Saving…");
    expect((button as HTMLButtonElement).disabled).toBe(true);
    await act(async () => request.resolve());
    expect(button.textContent).toBe("Save");
    expect((button as HTMLButtonElement).disabled).toBe(false);
    expect(screen.queryByRole("alert")).toBeNull();
  });

  it("keeps what the request threw, focused, until the next submit clears it", async () => {
    const first = deferred();
    const second = deferred();
    const send = vi.fn().mockReturnValueOnce(first.promise).mockReturnValueOnce(second.promise);
    render(<DetailsForm send={send} />);
    await submitForm();
    await act(async () => first.reject(new Error("The server is not answering.")));
    const alert = screen.getByRole("alert");
    expect(alert.textContent).toBe("The server is not answering.");
    expect(document.activeElement).toBe(alert);
    expect(screen.getByRole("button").textContent).toBe("Save");

    await submitForm();
    expect(screen.queryByRole("alert")).toBeNull();
    await act(async () => second.resolve());
    expect(screen.queryByRole("alert")).toBeNull();
    expect(send).toHaveBeenCalledTimes(2);
  });

  it("puts an ApiError's field errors beside their fields and focuses the first field in the form", async () => {
    const request = deferred();
    render(<DetailsForm send={() => request.promise} />);
    await submitForm();
    // The server lists description first; the focus goes by the form's order.
    const refusal = new ApiError(400, "Check these fields: description, title.", {
      description: "Too long.",
      title: "Taken.",
    });
    await act(async () => request.reject(refusal));
    const title = screen.getByLabelText("Title");
    const description = screen.getByLabelText("Description");
    expect(title.getAttribute("aria-invalid")).toBe("true");
    expect(description.getAttribute("aria-invalid")).toBe("true");
    expect(document.getElementById(title.getAttribute("aria-describedby")!)!.textContent).toBe("Taken.");
    expect(document.getElementById(description.getAttribute("aria-describedby")!)!.textContent).toBe("Too long.");
    expect(document.activeElement).toBe(title);
    // Both stand beside their fields: the summary has nothing left to say.
    expect(screen.queryByRole("alert")).toBeNull();
  });

  it("shows the form's own refusal without a request, and focuses it again when it is found again", async () => {
    const send = vi.fn(() => Promise.resolve());
    render(<DetailsForm send={send} />);
    const title = screen.getByLabelText("Title") as HTMLInputElement;
    fireEvent.change(title, { target: { value: " " } });
    await submitForm();
    expect(send).not.toHaveBeenCalled();
    expect(title.getAttribute("aria-invalid")).toBe("true");
    expect(document.activeElement).toBe(title);

    screen.getByRole("button").focus();
    await submitForm();
    expect(document.activeElement).toBe(title);

    fireEvent.change(title, { target: { value: "Harbour" } });
    await submitForm();
    expect(send).toHaveBeenCalledTimes(1);
    expect(title.getAttribute("aria-invalid")).toBeNull();
  });
});

describe("FormActions", () => {
  it("sits in a row with what follows it, or straight in the form", () => {
    const { container, rerender } = render(
      <FormActions label="Upload captions" busyLabel="Uploading…">
        <span role="status" />
      </FormActions>,
    );
    expect(container.innerHTML).toBe(
      '<div class="row-actions"><button type="submit" class="btn">Upload captions</button><span role="status"></span></div>',
    );
    rerender(<FormActions label="Change password" busyLabel="Saving…" busy layout="inline" />);
    expect(container.innerHTML).toBe('<button type="submit" class="btn" disabled="">Saving…</button>');
    rerender(
      <FormActions label="Verify" busyLabel="Signing in…" primary layout="block">
        <button type="button">Use a different account</button>
      </FormActions>,
    );
    expect(container.innerHTML).toBe(
      '<button type="submit" class="btn btn-primary btn-block">Verify</button><button type="button">Use a different account</button>',
    );
  });
});
