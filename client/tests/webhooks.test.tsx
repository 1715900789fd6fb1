// @vitest-environment jsdom
/** The Webhooks page: add an endpoint (secret shown once), refusals beside their field, a test event and its
 * delivery log (refreshed while pending), a replay, roll the secret (the new one shown once, the old one's end in
 * the list), disable and delete. */
import { configure, fireEvent, render, screen, waitFor, within } from "@testing-library/react";
import { afterEach, describe, expect, it } from "vitest";
import type { WebhookDelivery, WebhookEndpoint } from "../src/api/types";
import { Webhooks } from "../src/pages/Webhooks";
import { deliveryOutcome } from "../src/webhooks/events";
import { closeApi, serveAnswers } from "./loopbackApi";

configure({ asyncUtilTimeout: 5000 });

afterEach(closeApi);

const SECRET = "whsec_c2VjcmV0c2VjcmV0c2VjcmV0c2VjcmV0c2VjcmV0MTIz";
const endpoint = (patch: Partial<WebhookEndpoint> = {}): WebhookEndpoint => ({
  id: "e1",
  url: "https://hooks.example.com/videoforge",
  description: "",
  events: ["video.ready", "video.failed"],
  enabled: true,
  created_at: "2026-12-07T10:00:00Z",
  updated_at: "2026-12-07T10:00:00Z",
  ...patch,
});
const delivery = (patch: Partial<WebhookDelivery> = {}): WebhookDelivery => ({
  id: "d1",
  endpoint_id: "e1",
  event_id: "ev1",
  event_type: "webhook.test",
  status: "pending",
  attempt_count: 0,
  created_at: "2026-12-07T10:01:00Z",
  attempts: [],
  ...patch,
});

describe("webhooks page", () => {
  it("adds an endpoint with its events, shows the secret once, and lists it without it", async () => {
    let endpoints: WebhookEndpoint[] = [];
    const srv = await serveAnswers((req) => {
      if (req.method === "GET" && req.path === "/api/webhooks") return [200, endpoints];
      if (req.method === "POST" && req.path === "/api/webhooks") {
        endpoints = [endpoint({ events: ["video.ready", "video.deleted"], description: "CI" })];
        return [201, { ...endpoints[0], secret: SECRET }];
      }
      return undefined;
    });
    render(<Webhooks />);
    await screen.findByText("No endpoints yet.");

    fireEvent.change(screen.getByLabelText("URL"), { target: { value: " https://hooks.example.com/videoforge " } });
    fireEvent.click(screen.getByLabelText(/^video\.failed/)); // ready and failed are ticked to begin with
    fireEvent.click(screen.getByLabelText(/^video\.deleted/));
    fireEvent.change(screen.getByLabelText("Note"), { target: { value: "CI" } });
    fireEvent.click(screen.getByRole("button", { name: "Add endpoint" }));

    const shown = await screen.findByTestId("new-webhook-secret");
    expect((within(shown).getByTestId("webhook-secret-value") as HTMLInputElement).value).toBe(SECRET);
    expect(shown.textContent).toMatch(/shown this once/);
    expect(srv.requests.find((r) => r.method === "POST")?.body).toEqual({
      url: "https://hooks.example.com/videoforge", events: ["video.ready", "video.deleted"], description: "CI" });
    const row = await screen.findByTestId("webhook-row");
    expect(row.textContent).toContain("video.ready, video.deleted");
    expect(row.textContent).toContain("Enabled");
    expect(row.textContent).not.toContain(SECRET);

    fireEvent.click(screen.getByTestId("webhook-secret-done"));
    expect(document.body.textContent).not.toContain(SECRET);
  });

  it("checks the form before sending, and shows the server's refusal of the URL beside it", async () => {
    const srv = await serveAnswers((req) => {
      if (req.method === "GET") return [200, []];
      const message = "This URL cannot receive webhooks: its host resolves to a private, loopback, link-local or " +
        "otherwise non-public address.";
      return [422, { code: 422, status: "Unprocessable Entity", message, errors: { json: { url: [message] } } }];
    });
    render(<Webhooks />);
    await screen.findByText("No endpoints yet.");
    fireEvent.click(screen.getByRole("button", { name: "Add endpoint" }));
    expect((await screen.findAllByText("Give the URL that should receive the events.")).length).toBeGreaterThan(0);
    fireEvent.change(screen.getByLabelText("URL"), { target: { value: "https://10.0.0.1/hook" } });
    fireEvent.click(screen.getByLabelText(/^video\.ready/));
    fireEvent.click(screen.getByLabelText(/^video\.failed/));
    fireEvent.click(screen.getByRole("button", { name: "Add endpoint" }));
    expect((await screen.findAllByText("Choose at least one event.")).length).toBeGreaterThan(0);
    expect(srv.requests.filter((r) => r.method === "POST")).toHaveLength(0);

    fireEvent.click(screen.getByLabelText(/^video\.ready/));
    fireEvent.click(screen.getByRole("button", { name: "Add endpoint" }));
    await screen.findByText(/non-public address/);
    expect(screen.getByLabelText("URL").getAttribute("aria-invalid")).toBe("true");
    expect(screen.queryByTestId("new-webhook-secret")).toBeNull();
  });

  it("sends a test event, follows its delivery until it is delivered, and replays it", async () => {
    let deliveries: WebhookDelivery[] = [];
    let reads = 0;
    const srv = await serveAnswers((req) => {
      if (req.method === "GET" && req.path === "/api/webhooks") return [200, [endpoint()]];
      if (req.method === "POST" && req.path === "/api/webhooks/e1/test") {
        deliveries = [delivery()];
        return [202, deliveries[0]];
      }
      if (req.method === "GET" && req.path.startsWith("/api/webhooks/e1/deliveries")) {
        reads += 1;
        if (reads > 1 && deliveries.length === 1 && deliveries[0].status === "pending") { // the worker sent it
          deliveries = [delivery({ status: "delivered", attempt_count: 1, last_status_code: 200, attempts: [
            { started_at: "2026-12-07T10:01:01Z", duration_ms: 42, status_code: 200, response: "thanks", error: null }] })];
        }
        return [200, deliveries, { "X-Pagination": JSON.stringify({ total: deliveries.length, total_pages: 1, page: 1 }) }];
      }
      if (req.method === "POST" && req.path === "/api/webhooks/deliveries/d1/replay") {
        deliveries = [delivery({ id: "d2", replay_of: "d1" }), ...deliveries];
        return [202, deliveries[0]];
      }
      return undefined;
    });
    render(<Webhooks />);
    fireEvent.click(await screen.findByRole("button", { name: "Send test event to https://hooks.example.com/videoforge" }));
    await screen.findByText(/A test event is on its way/);
    const log = await screen.findByTestId("delivery-log");
    await within(log).findByText("Sending…");
    await within(log).findByText("Delivered (200)"); // the log looked again by itself
    fireEvent.click(within(log).getByText("1")); // open the attempts
    expect(within(log).getByTestId("delivery-attempt").textContent).toContain("HTTP 200");
    expect(within(log).getByText("thanks")).toBeTruthy();

    fireEvent.click(within(log).getByRole("button", { name: /^Replay webhook\.test/ }));
    await screen.findByText("The webhook.test event is being sent again.");
    await waitFor(() => expect(within(log).getAllByTestId("delivery-row")).toHaveLength(2));
    expect(within(log).getByText("(replay)")).toBeTruthy();
    expect(srv.requests.filter((r) => r.method === "POST").map((r) => r.path)).toEqual([
      "/api/webhooks/e1/test", "/api/webhooks/deliveries/d1/replay"]);
  }, 15_000); // the log looks again after REFRESH_MS

  it("rolls the secret with the overlap chosen, shows the new one once, and the old one's end in the list", async () => {
    const NEW = "whsec_bmV3c2VjcmV0bmV3c2VjcmV0bmV3c2VjcmV0bmV3c2VjcmV0MTI";
    const NEWER = "whsec_bmV3ZXJuZXdlcm5ld2VybmV3ZXJuZXdlcm5ld2VybmV3ZXIxMjM";
    const UNTIL = "2026-12-08T10:00:00Z";
    let endpoints = [endpoint()];
    const srv = await serveAnswers((req) => {
      if (req.method === "GET" && req.path === "/api/webhooks") return [200, endpoints];
      if (req.method === "POST" && req.path === "/api/webhooks/e1/secret") {
        const hours = (req.body as { expire_old_in_hours: number }).expire_old_in_hours;
        endpoints = [endpoint({ previous_secret_expires_at: hours ? UNTIL : null })];
        return [200, { ...endpoints[0], secret: hours ? NEW : NEWER }, { "Cache-Control": "no-store" }];
      }
      return undefined;
    });
    render(<Webhooks />);
    const rollButton = await screen.findByRole("button", { name: "Roll secret of https://hooks.example.com/videoforge" });
    expect(screen.queryByTestId("webhook-old-secret")).toBeNull();

    fireEvent.click(rollButton);
    let dialog = screen.getByTestId("roll-secret-dialog");
    const overlap = within(dialog).getByLabelText("The old secret keeps signing for") as HTMLSelectElement;
    expect(overlap.value).toBe("24");
    expect(document.activeElement).toBe(overlap);
    fireEvent.click(within(dialog).getByRole("button", { name: "Cancel" }));
    expect(screen.queryByTestId("roll-secret-dialog")).toBeNull();
    expect(srv.requests.some((r) => r.method === "POST")).toBe(false); // nothing changes until it is confirmed

    fireEvent.click(rollButton);
    fireEvent.click(within(screen.getByTestId("roll-secret-dialog")).getByRole("button", { name: "Roll secret" }));
    const shown = await screen.findByTestId("rolled-webhook-secret");
    expect((within(shown).getByTestId("rolled-secret-value") as HTMLInputElement).value).toBe(NEW);
    expect(within(shown).getByTestId("rolled-secret-overlap").textContent).toMatch(/^Until .+ the old secret/);
    expect(shown.textContent).toMatch(/shown this once/);
    expect(screen.queryByTestId("roll-secret-dialog")).toBeNull();
    expect((await screen.findByTestId("webhook-old-secret")).textContent).toMatch(/^Old secret signs too until /);
    expect(screen.getByTestId("webhook-row").textContent).not.toContain(NEW);
    fireEvent.click(screen.getByTestId("rolled-secret-done"));
    expect(document.body.textContent).not.toContain(NEW);
    expect(screen.queryByTestId("rolled-webhook-secret")).toBeNull();

    // It leaked: roll again with no overlap. The secret the first roll replaced is dropped, as the dialog says.
    fireEvent.click(screen.getByRole("button", { name: "Roll secret of https://hooks.example.com/videoforge" }));
    dialog = screen.getByTestId("roll-secret-dialog");
    expect(within(dialog).getByTestId("roll-drops-older").textContent).toMatch(/stops now/);
    fireEvent.change(within(dialog).getByLabelText("The old secret keeps signing for"), { target: { value: "0" } });
    fireEvent.click(within(dialog).getByRole("button", { name: "Roll secret" }));
    const again = await screen.findByTestId("rolled-webhook-secret");
    expect((within(again).getByTestId("rolled-secret-value") as HTMLInputElement).value).toBe(NEWER);
    expect(within(again).getByTestId("rolled-secret-overlap").textContent).toMatch(/no longer signs/);
    await waitFor(() => expect(screen.queryByTestId("webhook-old-secret")).toBeNull());
    expect(srv.requests.filter((r) => r.method === "POST").map((r) => [r.path, r.body])).toEqual([
      ["/api/webhooks/e1/secret", { expire_old_in_hours: 24 }],
      ["/api/webhooks/e1/secret", { expire_old_in_hours: 0 }],
    ]);
  });

  it("shows a refused roll in the dialog, beside the overlap, and no secret", async () => {
    await serveAnswers((req) => {
      if (req.method === "GET" && req.path === "/api/webhooks") return [200, [endpoint()]];
      if (req.method === "POST" && req.path === "/api/webhooks/e1/secret") {
        const message = "Must be greater than or equal to 0 and less than or equal to 72.";
        return [422, { code: 422, status: "Unprocessable Entity", message: "Check these fields: expire_old_in_hours.",
          errors: { json: { expire_old_in_hours: [message] } } }];
      }
      return undefined;
    });
    render(<Webhooks />);
    fireEvent.click(await screen.findByRole("button", { name: "Roll secret of https://hooks.example.com/videoforge" }));
    const dialog = screen.getByTestId("roll-secret-dialog");
    fireEvent.click(within(dialog).getByRole("button", { name: "Roll secret" }));
    await within(dialog).findByText(/less than or equal to 72/);
    expect(within(dialog).getByLabelText("The old secret keeps signing for").getAttribute("aria-invalid")).toBe("true");
    expect(screen.queryByTestId("rolled-webhook-secret")).toBeNull();
    expect(screen.getByTestId("roll-secret-dialog")).toBeTruthy(); // still open, to choose again
  });

  it("disables an endpoint, and deletes it only after the confirmation", async () => {
    let endpoints = [endpoint()];
    const srv = await serveAnswers((req) => {
      if (req.method === "GET" && req.path === "/api/webhooks") return [200, endpoints];
      if (req.method === "PATCH" && req.path === "/api/webhooks/e1") {
        endpoints = [endpoint({ enabled: false })];
        return [200, endpoints[0]];
      }
      if (req.method === "DELETE" && req.path === "/api/webhooks/e1") {
        endpoints = [];
        return [204];
      }
      return undefined;
    });
    render(<Webhooks />);
    fireEvent.click(await screen.findByRole("button", { name: "Disable https://hooks.example.com/videoforge" }));
    await screen.findByText(/is disabled: it receives nothing/);
    expect(srv.requests.find((r) => r.method === "PATCH")?.body).toEqual({ enabled: false });
    expect(screen.getByTestId("webhook-row").textContent).toContain("Disabled");
    expect((screen.getByRole("button", { name: /^Send test event/ }) as HTMLButtonElement).disabled).toBe(true);

    fireEvent.click(screen.getByRole("button", { name: "Delete https://hooks.example.com/videoforge" }));
    fireEvent.click(within(screen.getByTestId("confirm-dialog")).getByRole("button", { name: "Cancel" }));
    expect(srv.requests.some((r) => r.method === "DELETE")).toBe(false);
    fireEvent.click(screen.getByRole("button", { name: "Delete https://hooks.example.com/videoforge" }));
    fireEvent.click(within(screen.getByTestId("confirm-dialog")).getByRole("button", { name: "Delete endpoint" }));
    await screen.findByText("No endpoints yet.");
    expect(srv.requests.filter((r) => r.method === "DELETE").map((r) => r.path)).toEqual(["/api/webhooks/e1"]);
  });
});

describe("deliveries in words", () => {
  it("says how each went", () => {
    expect(deliveryOutcome(delivery())).toBe("Sending…");
    expect(deliveryOutcome(delivery({ attempt_count: 2, last_error: "connection refused" }))).toBe(
      "Retrying: connection refused");
    expect(deliveryOutcome(delivery({ status: "delivered", attempt_count: 1, last_status_code: 204 }))).toBe(
      "Delivered (204)");
    expect(deliveryOutcome(delivery({ status: "failed", attempt_count: 13, last_status_code: 500,
      last_error: "answered 500" }))).toBe("Failed: answered 500");
  });
});
