/**
 * Component tests against a loopback API: `serveApi` (or `serveAnswers`) starts one for the test and points the client
 * at it; `afterEach(closeApi)` closes it and undoes what a test may have changed (the rendered tree, the client's
 * address and auth hooks, session storage, the page's URL), so each test starts on a blank page. Needs jsdom.
 */
import { cleanup } from "@testing-library/react";
import { setApiBase, setAuthHooks } from "../src/api/client";
import { reply, startJsonServer, type Handler, type Recorded } from "./jsonServer";

export type LoopbackApi = Awaited<ReturnType<typeof startJsonServer>>;

/** A route's answer: status, body, headers. */
export type Answer = [number, unknown?, Record<string, string>?];

let current: LoopbackApi | null = null;

export async function serveApi(handler: Handler): Promise<LoopbackApi> {
  current = await startJsonServer(handler);
  setApiBase(current.url);
  return current;
}

/** `serveApi` with a function that answers the requests it knows and returns undefined for the rest: a 404 naming them. */
export function serveAnswers(answer: (req: Recorded) => Answer | undefined): Promise<LoopbackApi> {
  return serveApi((req, res) => {
    const known = answer(req);
    if (known) return reply(res, ...known);
    reply(res, 404, { code: 404, status: "Not Found", message: `no route ${req.method} ${req.path}` });
  });
}

export async function closeApi(): Promise<void> {
  cleanup();
  await current?.close();
  current = null;
  setApiBase("");
  setAuthHooks(null);
  sessionStorage.clear();
  window.history.replaceState(null, "", "/");
}
