// @vitest-environment jsdom
/** Password videos on the watch page: a viewer sees the title and a password form, a wrong password says so, the
 * right one plays (its unlock token sent with the playback info); the owner's form asks for a password. */
import { configure, fireEvent, render, screen, waitFor } from "@testing-library/react";
import { afterEach, describe, expect, it } from "vitest";
import { AuthProvider } from "../src/auth/AuthContext";
import { VISIBILITY_OPTIONS } from "../src/components/visibility";
import { Watch } from "../src/pages/Watch";
import { unlockFor } from "../src/protection/unlocks";
import { reply } from "./jsonServer";
import { closeApi, serveApi } from "./loopbackApi";

window.scrollTo = () => undefined;
configure({ asyncUtilTimeout: 5000 });

afterEach(closeApi);

const LOCKED = { code: 403, status: "Forbidden", message: "This video is password-protected.", errors: { password: ["Give this video's password to watch it."] } };

describe("a password video on the watch page", () => {
  it("asks for the password, says when it is wrong, and plays with the right one", async () => {
    const server = await serveApi((req, res) => {
      const [path, query] = req.path.split("?");
      if (req.method === "GET" && path === "/api/streaming/videos/v1") {
        if (query !== "unlock=tok-1") return reply(res, 403, LOCKED);
        return reply(res, 200, {
          id: "v1", title: "Secret", description: "Only for friends.", status: "ready", renditions: [],
          master_url: "/api/streaming/videos/v1/master.m3u8?token=t", duration: 12,
        });
      }
      if (req.method === "GET" && path === "/api/gallery/videos/v1") {
        return reply(res, 200, { id: "v1", title: "Secret", description: "", visibility: "password", status: "ready", locked: true });
      }
      if (req.method === "POST" && path === "/api/streaming/videos/v1/unlock") {
        const { password } = req.body as { password: string };
        if (password !== "open sesame") {
          return reply(res, 403, { code: 403, status: "Forbidden", message: "Wrong password.", errors: { json: { password: ["Wrong password."] } } });
        }
        return reply(res, 200, { unlock_token: "tok-1", expires_in: 3600 });
      }
      if (path.startsWith("/api/auth/config")) return reply(res, 200, { flow: "local" });
      reply(res, 404, { code: 404, status: "Not Found", message: "No such video." });
    });
    render(
      <AuthProvider>
        <Watch id="v1" />
      </AuthProvider>,
    );
    expect(await screen.findByRole("heading", { name: "Secret" })).toBeTruthy();
    const field = screen.getByLabelText("Password") as HTMLInputElement;
    expect(field.type).toBe("password");

    fireEvent.change(field, { target: { value: "guess" } });
    fireEvent.click(screen.getByRole("button", { name: "Watch" }));
    expect(await screen.findByText("Wrong password.")).toBeTruthy();
    expect(field.getAttribute("aria-invalid")).toBe("true");

    fireEvent.change(field, { target: { value: "open sesame" } });
    fireEvent.click(screen.getByRole("button", { name: "Watch" }));
    expect((await screen.findByTestId("description")).textContent).toBe("Only for friends.");
    expect(screen.queryByTestId("password-gate")).toBeNull();
    expect(unlockFor("v1")).toBe("tok-1"); // a reload of this tab plays without asking again
    const unlocks = server.requests.filter((r) => r.path.endsWith("/unlock"));
    expect(unlocks.map((r) => r.headers.authorization)).toEqual([undefined, undefined]);
  });

  it("is one of the visibility choices", () => {
    expect(VISIBILITY_OPTIONS.map((o) => o.value)).toContain("password");
  });
});

describe("the owner's original file", () => {
  it("downloads through a short-lived link and asks for nothing else", async () => {
    const server = await serveApi((req, res) => {
      const path = req.path.split("?")[0];
      if (path === "/api/gallery/videos/v2/download") {
        return reply(res, 200, { url: `${server.url}/file`, filename: "Mine.mp4", size: 10, expires_in: 300 });
      }
      reply(res, 404, { code: 404, status: "Not Found", message: "no" });
    });
    const assigned: string[] = [];
    const { OriginalFileActions } = await import("../src/originals/OriginalFileActions");
    const original = window.location;
    Object.defineProperty(window, "location", { configurable: true, value: { ...original, assign: (url: string) => assigned.push(url) } });
    try {
      render(
        <OriginalFileActions
          video={{ id: "v2", title: "Mine", visibility: "private", status: "processing" }}
          canReplace
          onReplaced={() => undefined}
        />,
      );
      fireEvent.click(screen.getByTestId("download-original"));
      await waitFor(() => expect(assigned).toEqual([`${server.url}/file`]));
      // A job is on the file: it cannot be replaced now, and the page says when it can.
      expect((screen.getByTestId("replace-input") as HTMLInputElement).disabled).toBe(true);
      expect(screen.getByText(/once the video is ready/)).toBeTruthy();
    } finally {
      Object.defineProperty(window, "location", { configurable: true, value: original });
    }
  });
});
