// @vitest-environment jsdom
/** The shared pieces pages build on: a modal's focus (in, kept inside, given back) and a list table's three states. */
import { cleanup, fireEvent, render, screen } from "@testing-library/react";
import { useState } from "react";
import { afterEach, describe, expect, it, vi } from "vitest";
import { ConfirmDialog } from "../src/components/ConfirmDialog";
import { ListTable } from "../src/components/ListTable";

afterEach(cleanup);

function Opener({ onConfirm }: { onConfirm: () => void }) {
  const [open, setOpen] = useState(false);
  return (
    <>
      <button type="button" onClick={() => setOpen(true)}>
        Delete
      </button>
      {open && (
        <ConfirmDialog title="Delete it?" message="This cannot be undone." confirmLabel="Delete for good"
          onConfirm={onConfirm} onCancel={() => setOpen(false)} />
      )}
    </>
  );
}

describe("a modal dialog", () => {
  it("starts on Cancel, keeps Tab inside, and gives the focus back when Escape closes it", () => {
    const onConfirm = vi.fn();
    render(<Opener onConfirm={onConfirm} />);
    const opener = screen.getByRole("button", { name: "Delete" });
    opener.focus();
    fireEvent.click(opener);

    const dialog = screen.getByRole("alertdialog", { name: "Delete it?" });
    const cancel = screen.getByRole("button", { name: "Cancel" });
    const confirm = screen.getByRole("button", { name: "Delete for good" });
    expect(dialog.getAttribute("aria-modal")).toBe("true");
    expect(document.activeElement).toBe(cancel);
    fireEvent.keyDown(dialog, { key: "Tab", shiftKey: true });
    expect(document.activeElement).toBe(confirm);
    fireEvent.keyDown(dialog, { key: "Tab" });
    expect(document.activeElement).toBe(cancel);

    fireEvent.keyDown(dialog, { key: "Escape" });
    expect(screen.queryByRole("alertdialog")).toBeNull();
    expect(document.activeElement).toBe(opener);
    expect(onConfirm).not.toHaveBeenCalled();
  });
});

describe("a list table", () => {
  const table = (items: string[] | null) =>
    render(
      <ListTable items={items} empty="Nothing yet." columns={["Name"]} testId="names"
        row={(name) => (
          <tr key={name} data-testid="name-row">
            <td>{name}</td>
            <td />
          </tr>
        )} />,
    );

  it("shows nothing while loading, a line when empty, else a row an item under named columns", () => {
    table(null);
    expect(document.body.textContent).toBe("");
    cleanup();
    table([]);
    expect(screen.getByText("Nothing yet.")).toBeTruthy();
    expect(screen.queryByTestId("names")).toBeNull();
    cleanup();
    table(["ada", "bob"]);
    expect(screen.getAllByTestId("name-row").map((r) => r.textContent)).toEqual(["ada", "bob"]);
    expect(screen.getAllByRole("columnheader").map((h) => h.textContent)).toEqual(["Name", "Actions"]);
  });
});
