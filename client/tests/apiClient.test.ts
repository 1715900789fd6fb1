/** The API helper: bearer token, refresh-and-retry on 401, the error shape, pagination. */
import { afterEach, describe, expect, it } from "vitest";
import { api, ApiError, apiRequest, errorFromResponse, flattenFieldErrors, setApiBase, setAuthHooks } from "../src/api/client";
import { listMyVideos } from "../src/api/endpoints";
import { reply, startJsonServer } from "./jsonServer";

let server: Awaited<ReturnType<typeof startJsonServer>> | null = null;
afterEach(async () => {
  await server?.close();
  server = null;
  setApiBase("");
  setAuthHooks(null);
});

describe("error shape", () => {
  it("flattens flask-smorest's nested validation errors", () => {
    expect(flattenFieldErrors({ json: { title: ["Missing data for required field."], size: ["Too big.", "Bad."] } })).toEqual({
      title: "Missing data for required field.",
      size: "Too big. Bad.",
    });
    expect(flattenFieldErrors({ mfa: "required" })).toEqual({ mfa: "required" });
    expect(flattenFieldErrors({ json: { parts: { "0": { etag: ["Missing."] } } } })).toEqual({ "parts.0.etag": "Missing." });
  });

  it("uses the message, falls back to status, and survives a non-JSON body", () => {
    const e = errorFromResponse(404, "Not Found", JSON.stringify({ code: 404, status: "Not Found", message: "Video not found", errors: {} }));
    expect(e.message).toBe("Video not found");
    expect(e.status).toBe(404);
    const noMessage = errorFromResponse(422, "", JSON.stringify({ code: 422, status: "Unprocessable Entity", errors: { json: { title: ["x"] } } }));
    expect(noMessage.message).toMatch(/Unprocessable Entity/);
    expect(noMessage.fieldErrors.title).toBe("x");
    expect(errorFromResponse(502, "Bad Gateway", "<html>").message).toBe("Bad Gateway");
  });
});

describe("apiRequest", () => {
  it("sends the bearer token, refreshes once after a 401, and retries with the new token", async () => {
    server = await startJsonServer((req, res) => {
      if (req.headers.authorization === "Bearer fresh") return reply(res, 200, { ok: true });
      reply(res, 401, { code: 401, status: "Unauthorized", message: "Token expired" });
    });
    setApiBase(server.url);
    let refreshes = 0;
    setAuthHooks({
      getAccessToken: async () => "stale",
      refreshAfterUnauthorized: async () => {
        refreshes += 1;
        return "fresh";
      },
    });
    expect(await api("/api/gallery/videos/1")).toEqual({ ok: true });
    expect(refreshes).toBe(1);
    expect(server.requests.map((r) => r.headers.authorization)).toEqual(["Bearer stale", "Bearer fresh"]);
  });

  it("throws ApiError with the server's message when the retry also fails", async () => {
    server = await startJsonServer((_req, res) => reply(res, 401, { code: 401, status: "Unauthorized", message: "Signed out" }));
    setApiBase(server.url);
    setAuthHooks({ getAccessToken: async () => "t", refreshAfterUnauthorized: async () => null });
    const err = await api("/api/auth/me").catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ApiError);
    expect((err as ApiError).message).toBe("Signed out");
    expect(server.requests).toHaveLength(1);
  });

  it("does not send a token to public calls marked auth: false", async () => {
    server = await startJsonServer((_req, res) => reply(res, 200, { flow: "local" }));
    setApiBase(server.url);
    setAuthHooks({ getAccessToken: async () => "t", refreshAfterUnauthorized: async () => null });
    await api("/api/auth/config", { auth: false });
    expect(server.requests[0].headers.authorization).toBeUndefined();
  });

  it("reads X-Pagination and query parameters; 204 gives null", async () => {
    server = await startJsonServer((req, res) => {
      if (req.method === "DELETE") return void res.writeHead(204).end();
      reply(res, 200, [{ id: "a", title: "A", status: "ready", visibility: "public" }], {
        "X-Pagination": JSON.stringify({ total: 30, total_pages: 2, page: 2, page_size: 24 }),
      });
    });
    setApiBase(server.url);
    const page = await listMyVideos(2, 24);
    expect(server.requests[0].path).toBe("/api/gallery/videos?page=2&page_size=24");
    expect(page).toMatchObject({ total: 30, totalPages: 2, page: 2 });
    expect(page.videos[0].id).toBe("a");
    expect((await apiRequest("/api/gallery/videos/a", { method: "DELETE" })).data).toBeNull();
  });

  it("turns a refused connection into status 0 with a readable message", async () => {
    server = await startJsonServer(() => undefined);
    const url = server.url;
    await server.close();
    server = null;
    setApiBase(url);
    const err = (await api("/api/gallery/public").catch((e: unknown) => e)) as ApiError;
    expect(err.status).toBe(0);
    expect(err.message).toMatch(/Cannot reach the server/);
  });
});
