// @vitest-environment jsdom
/** Personal API keys in the client: the account page's list, new key shown once, revoke; the admin list. */
import { configure, fireEvent, render, screen, waitFor, within } from "@testing-library/react";
import { afterEach, describe, expect, it } from "vitest";
import type { ApiKey, OwnedApiKey } from "../src/api/types";
import { accessLabel, isExpired } from "../src/keys/access";
import { AdminKeysSection } from "../src/keys/AdminKeysSection";
import { ApiKeysSection } from "../src/keys/ApiKeysSection";
import { closeApi, serveAnswers } from "./loopbackApi";

configure({ asyncUtilTimeout: 4000 });

afterEach(closeApi);

const SECRET = "vf_Zm9vYmFyYmF6cXV4MTIzNDU2Nzg5MGFiY2RlZmdoaWprbG1u";
const key = (patch: Partial<ApiKey>): ApiKey => ({
  id: "k1",
  name: "nightly uploads",
  prefix: "vf_Zm9vYm",
  scopes: ["read", "upload"],
  created_at: "2026-12-01T10:00:00Z",
  expires_at: null,
  last_used_at: null,
  ...patch,
});

describe("account page: API keys", () => {
  it("makes a key with a name, access and lifetime, shows it once with a warning, and lists it without it", async () => {
    let keys: ApiKey[] = [];
    const srv = await serveAnswers((req) => {
      if (req.method === "GET" && req.path === "/api/auth/keys") return [200, keys];
      if (req.method === "POST" && req.path === "/api/auth/keys") {
        keys = [key({ name: "ci" })];
        return [201, { ...keys[0], key: SECRET }];
      }
      return undefined;
    });
    render(<ApiKeysSection />);
    await screen.findByText("No keys yet.");

    // Nothing is sent without a name: the field says why.
    fireEvent.click(screen.getByRole("button", { name: "Create key" }));
    expect((await screen.findAllByText("Give the key a name, to know it again in the list.")).length).toBeGreaterThan(0);
    expect(srv.requests.filter((r) => r.method === "POST")).toHaveLength(0);

    fireEvent.change(screen.getByLabelText("Name"), { target: { value: "  ci  " } });
    fireEvent.click(screen.getByLabelText(/^Read and upload/));
    fireEvent.change(screen.getByLabelText("Expires after"), { target: { value: "30" } });
    fireEvent.click(screen.getByRole("button", { name: "Create key" }));

    const shown = await screen.findByTestId("new-api-key");
    expect((within(shown).getByTestId("api-key-value") as HTMLInputElement).value).toBe(SECRET);
    expect(shown.textContent).toMatch(/shown this once/);
    expect(srv.requests.find((r) => r.method === "POST")?.body).toEqual({ name: "ci", scopes: ["upload"], expires_in_days: 30 });

    const row = await screen.findByTestId("api-key-row");
    expect(row.textContent).toContain("ci");
    expect(row.textContent).toContain("Read and upload");
    expect(row.textContent).toContain("Never"); // never used
    expect(row.textContent).not.toContain(SECRET);

    fireEvent.click(screen.getByTestId("api-key-done"));
    expect(screen.queryByTestId("new-api-key")).toBeNull();
    expect(document.body.textContent).not.toContain(SECRET); // gone for good
  });

  it("shows the server's refusal beside the field it names", async () => {
    await serveAnswers((req) => {
      if (req.method === "GET") return [200, [key({})]];
      return [409, { code: 409, status: "Conflict", message: "You have a key with this name already; choose another name.",
        errors: { json: { name: ["You have a key with this name already; choose another name."] } } }];
    });
    render(<ApiKeysSection />);
    await screen.findByTestId("api-key-row");
    fireEvent.change(screen.getByLabelText("Name"), { target: { value: "nightly uploads" } });
    fireEvent.click(screen.getByRole("button", { name: "Create key" }));
    await screen.findByText("You have a key with this name already; choose another name.");
    expect(screen.getByLabelText("Name").getAttribute("aria-invalid")).toBe("true");
    expect(screen.queryByTestId("new-api-key")).toBeNull();
  });

  it("revokes a key only after the confirmation, and says so", async () => {
    let keys = [key({ last_used_at: "2026-12-06T08:30:00Z" }), key({ id: "k2", name: "old", expires_at: "2020-01-01T00:00:00Z" })];
    const srv = await serveAnswers((req) => {
      if (req.method === "GET") return [200, keys];
      if (req.method === "DELETE" && req.path === "/api/auth/keys/k1") {
        keys = keys.filter((k) => k.id !== "k1");
        return [204];
      }
      return undefined;
    });
    render(<ApiKeysSection />);
    const rows = (await screen.findAllByTestId("api-key-row")) as HTMLTableRowElement[];
    expect(rows[0].cells[2].textContent).toContain("2026"); // last used: a date and time
    expect(rows[0].cells[3].textContent).toBe("Never"); // expires
    expect(rows[1].cells[3].textContent).toBe("Expired");

    fireEvent.click(screen.getByRole("button", { name: "Revoke nightly uploads" }));
    fireEvent.click(within(screen.getByTestId("confirm-dialog")).getByRole("button", { name: "Cancel" }));
    expect(srv.requests.some((r) => r.method === "DELETE")).toBe(false);

    fireEvent.click(screen.getByRole("button", { name: "Revoke nightly uploads" }));
    fireEvent.click(within(screen.getByTestId("confirm-dialog")).getByRole("button", { name: "Revoke key" }));
    await screen.findByText(/was revoked: it stopped working at once/);
    await waitFor(() => expect(screen.getAllByTestId("api-key-row")).toHaveLength(1));
    expect(srv.requests.filter((r) => r.method === "DELETE").map((r) => r.path)).toEqual(["/api/auth/keys/k1"]);
  });
});

describe("admin page: everyone's API keys", () => {
  it("lists keys with their owners, narrows to one person and revokes after a confirmation", async () => {
    const all: OwnedApiKey[] = [
      { ...key({}), user_id: "u1", owner_email: "ada@example.com" },
      { ...key({ id: "k2", name: "bob's", scopes: ["read"] }), user_id: "u2", owner_email: null },
    ];
    const srv = await serveAnswers((req) => {
      if (req.method === "GET" && req.path.startsWith("/api/auth/admin/keys")) {
        const user = new URL(req.path, "http://x").searchParams.get("user");
        const keys = user ? all.filter((k) => k.owner_email === user) : all;
        return [200, keys, { "X-Pagination": JSON.stringify({ total: keys.length, total_pages: 1, page: 1 }) }];
      }
      if (req.method === "DELETE" && req.path === "/api/auth/admin/keys/k2") return [204];
      return undefined;
    });
    render(<AdminKeysSection />);
    const rows = (await screen.findAllByTestId("admin-api-key-row")) as HTMLTableRowElement[];
    expect(rows.map((r) => r.cells[0].textContent)).toEqual(["ada@example.com", "u2"]);
    expect(rows[1].textContent).toContain("Read");

    fireEvent.change(screen.getByLabelText("Email address or user id"), { target: { value: "ada@example.com" } });
    fireEvent.click(screen.getByRole("button", { name: "Show" }));
    await waitFor(() => expect(screen.getAllByTestId("admin-api-key-row")).toHaveLength(1));
    expect(srv.requests.some((r) => r.path.includes("user=ada%40example.com"))).toBe(true);

    fireEvent.change(screen.getByLabelText("Email address or user id"), { target: { value: "" } });
    fireEvent.click(screen.getByRole("button", { name: "Show" }));
    await waitFor(() => expect(screen.getAllByTestId("admin-api-key-row")).toHaveLength(2));
    fireEvent.click(screen.getByRole("button", { name: "Revoke bob's of u2" }));
    fireEvent.click(within(screen.getByTestId("confirm-dialog")).getByRole("button", { name: "Revoke key" }));
    await screen.findByText("The key “bob's” of u2 was revoked.");
    expect(srv.requests.filter((r) => r.method === "DELETE").map((r) => r.path)).toEqual(["/api/auth/admin/keys/k2"]);
  });
});

describe("key access in words", () => {
  it("names a key by its strongest scope and knows when it has expired", () => {
    expect(accessLabel(["read"])).toBe("Read");
    expect(accessLabel(["read", "upload", "manage"])).toBe("Read, upload and manage");
    expect(isExpired(null)).toBe(false);
    expect(isExpired("2020-01-01T00:00:00Z")).toBe(true);
    expect(isExpired("2999-01-01T00:00:00Z")).toBe(false);
  });
});
