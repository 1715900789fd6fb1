// @vitest-environment jsdom
/** Issue 17: the share dialog (a link, at the moment the viewer is at, and the embed code), the owner's embedding
 * sites, and what the embed page's address asks for. */
import { cleanup, configure, fireEvent, render, screen, waitFor } from "@testing-library/react";
import { useState } from "react";
import { afterEach, describe, expect, it, vi } from "vitest";
import { AuthProvider } from "../src/auth/AuthContext";
import { embedOptions } from "../src/embed/Embed";
import { Watch } from "../src/pages/Watch";
import { parseStartTime } from "../src/router";
import { EmbedSitesFields, embedOriginsOf, embedSitesChanged, embedSitesOf, type EmbedSites } from "../src/share/EmbedSites";
import { embedCode, embedLink, embedSize, formatStartTime, watchLink } from "../src/share/links";
import { ShareDialog } from "../src/share/ShareDialog";
import { reply } from "./jsonServer";
import { closeApi, serveApi } from "./loopbackApi";

window.scrollTo = () => undefined;
configure({ asyncUtilTimeout: 5000 });
const ORIGIN = "https://videos.example";

afterEach(closeApi);

function iframeOf(code: string): HTMLIFrameElement {
  const box = document.createElement("div");
  box.innerHTML = code;
  expect(box.children).toHaveLength(1);
  return box.firstElementChild as HTMLIFrameElement;
}

describe("share links", () => {
  it("writes a start as 1m30s, and reads it back", () => {
    for (const [seconds, text] of [[90, "1m30s"], [90.9, "1m30s"], [7, "7s"], [3600, "1h"], [3605, "1h5s"], [0, "0s"]] as const) {
      expect(formatStartTime(seconds)).toBe(text);
      expect(parseStartTime(text)).toBe(Math.floor(seconds));
    }
  });

  it("links to the watch page and the embed page, at a moment only from a second in", () => {
    expect(watchLink(ORIGIN, "v1")).toBe(`${ORIGIN}/watch/v1`);
    expect(watchLink(ORIGIN, "v1", 90.4)).toBe(`${ORIGIN}/watch/v1?t=1m30s`);
    expect(watchLink(ORIGIN, "v1", 0.6)).toBe(`${ORIGIN}/watch/v1`);
    expect(embedLink(ORIGIN, "v 1", 61)).toBe(`${ORIGIN}/embed/v%201?t=1m1s`);
  });

  it("sizes the embed to the video's shape inside the default box", () => {
    expect(embedSize(1920, 1080)).toEqual({ width: 640, height: 360 });
    expect(embedSize(1080, 1920)).toEqual({ width: 360, height: 640 });
    expect(embedSize(null, null)).toEqual({ width: 640, height: 360 });
  });

  it("keeps a hostile title inside the iframe's title attribute", () => {
    const title = `"><script>alert(1)</script>'&`;
    const frame = iframeOf(embedCode(`${ORIGIN}/embed/v1`, title, { width: 640, height: 360 }));
    expect(frame.tagName).toBe("IFRAME");
    expect(frame.getAttribute("title")).toBe(title);
    expect(frame.getAttribute("src")).toBe(`${ORIGIN}/embed/v1`);
    expect([frame.getAttribute("width"), frame.getAttribute("height")]).toEqual(["640", "360"]);
    expect(frame.hasAttribute("allowfullscreen")).toBe(true);
  });
});

describe("share dialog", () => {
  const open = (props: Partial<Parameters<typeof ShareDialog>[0]> = {}) => {
    const onClose = vi.fn();
    render(
      <ShareDialog videoId="v1" title="Harbour" position={90.7} width={1280} height={720} embeddable origin={ORIGIN}
        onClose={onClose} {...props} />,
    );
    return onClose;
  };
  const link = () => (screen.getByTestId("share-link") as HTMLInputElement).value;
  const code = () => (screen.getByTestId("embed-code") as HTMLTextAreaElement).value;

  it("offers the link and the embed code, then both at the current time", () => {
    open();
    const dialog = screen.getByRole("dialog", { name: "Share" });
    expect(dialog.getAttribute("aria-modal")).toBe("true");
    expect(document.activeElement).toBe(screen.getByTestId("share-link")); // focus starts on the link
    expect(link()).toBe(`${ORIGIN}/watch/v1`);
    expect(iframeOf(code()).getAttribute("src")).toBe(`${ORIGIN}/embed/v1`);
    const atTime = screen.getByLabelText("Start at 1:30");
    fireEvent.click(atTime);
    expect(link()).toBe(`${ORIGIN}/watch/v1?t=1m30s`);
    const frame = iframeOf(code());
    expect(frame.getAttribute("src")).toBe(`${ORIGIN}/embed/v1?t=1m30s`);
    expect(frame.getAttribute("title")).toBe("Harbour");
    fireEvent.click(atTime);
    expect(link()).toBe(`${ORIGIN}/watch/v1`);
  });

  it("copies the link and the code with their buttons, and says so", async () => {
    const writeText = vi.fn().mockResolvedValue(undefined);
    vi.stubGlobal("navigator", { ...navigator, clipboard: { writeText } });
    open();
    fireEvent.click(screen.getByLabelText("Start at 1:30"));
    fireEvent.click(screen.getByRole("button", { name: "Copy link" }));
    await waitFor(() => expect(screen.getByTestId("share-link-status").textContent).toBe("Link copied"));
    expect(writeText).toHaveBeenLastCalledWith(`${ORIGIN}/watch/v1?t=1m30s`);
    fireEvent.click(screen.getByRole("button", { name: "Copy code" }));
    await waitFor(() => expect(screen.getByTestId("embed-code-status").textContent).toBe("Embed code copied"));
    expect(writeText).toHaveBeenLastCalledWith(code());
    vi.unstubAllGlobals();
  });

  it("selects the text for copying by hand where the clipboard is refused", async () => {
    vi.stubGlobal("navigator", { ...navigator, clipboard: { writeText: vi.fn().mockRejectedValue(new Error("denied")) } });
    open();
    fireEvent.click(screen.getByRole("button", { name: "Copy code" }));
    await waitFor(() => expect(screen.getByTestId("embed-code-status").textContent).toBe("The text is selected, ready to copy"));
    vi.unstubAllGlobals();
  });

  it("offers no embed code for a video other sites cannot show, and names the owner's sites", () => {
    open({ embeddable: false });
    expect(screen.queryByTestId("embed-code")).toBeNull();
    expect(screen.getByTestId("embed-off").textContent).toBe("Other sites cannot show this video.");
    cleanup();
    open({ embeddable: ["https://blog.example"] });
    expect(screen.getByTestId("embed-code")).toBeTruthy();
    expect(screen.getByTestId("embed-sites").textContent).toBe("Only these sites can show it: https://blog.example.");
  });

  it("closes with Escape, Close or a click outside, and keeps Tab inside", () => {
    const onClose = open();
    const dialog = screen.getByRole("dialog");
    const close = screen.getByRole("button", { name: "Close" });
    close.focus();
    fireEvent.keyDown(dialog, { key: "Tab" });
    expect(document.activeElement).toBe(screen.getByTestId("share-link"));
    fireEvent.keyDown(dialog, { key: "Tab", shiftKey: true });
    expect(document.activeElement).toBe(close);
    fireEvent.keyDown(dialog, { key: "Escape" });
    fireEvent.click(close);
    fireEvent.mouseDown(dialog.parentElement!);
    expect(onClose).toHaveBeenCalledTimes(3);
  });
});

describe("the watch page's share button", () => {
  it("opens the dialog at the moment the player is at", async () => {
    await serveApi((req, res) => {
      if (req.path.startsWith("/api/auth/config")) return reply(res, 200, { flow: "local" });
      if (req.path === "/api/streaming/videos/v1") {
        return reply(res, 200, {
          id: "v1", title: "Dawn", status: "ready", renditions: [], width: 720, height: 1280, duration: 300,
          master_url: "/api/streaming/videos/v1/master.m3u8?token=t",
        });
      }
      reply(res, 404, { code: 404, status: "Not Found", message: "No such video." });
    });
    render(
      <AuthProvider>
        <Watch id="v1" />
      </AuthProvider>,
    );
    const video = (await screen.findByTestId("player-video")) as HTMLVideoElement;
    Object.defineProperty(video, "currentTime", { configurable: true, value: 135.2 });
    fireEvent.timeUpdate(video);
    const share = screen.getByRole("button", { name: "Share" });
    share.focus(); // as a click does in a browser
    fireEvent.click(share);
    fireEvent.click(screen.getByLabelText("Start at 2:15"));
    expect((screen.getByTestId("share-link") as HTMLInputElement).value).toBe(`${window.location.origin}/watch/v1?t=2m15s`);
    const frame = iframeOf((screen.getByTestId("embed-code") as HTMLTextAreaElement).value);
    expect([frame.getAttribute("width"), frame.getAttribute("height")]).toEqual(["360", "640"]); // portrait
    fireEvent.click(screen.getByRole("button", { name: "Close" }));
    expect(screen.queryByRole("dialog")).toBeNull();
    expect(document.activeElement).toBe(share); // focus goes back
  });
});

describe("the owner's embedding sites", () => {
  it("maps any, only some and none to what the API takes, and back", () => {
    expect(embedSitesOf(null)).toEqual({ mode: "any", text: "" });
    expect(embedSitesOf([])).toEqual({ mode: "none", text: "" });
    expect(embedSitesOf(["https://a.example", "https://b.example"])).toEqual({ mode: "only", text: "https://a.example\nhttps://b.example" });
    expect(embedOriginsOf({ mode: "only", text: " https://a.example \n\n https://b.example, https://c.example" })).toEqual([
      "https://a.example", "https://b.example", "https://c.example"]);
    expect(embedOriginsOf({ mode: "any", text: "https://a.example" })).toBeNull();
    expect(embedOriginsOf({ mode: "none", text: "https://a.example" })).toEqual([]);
    expect(embedSitesChanged({ mode: "only", text: "https://a.example\n" }, ["https://a.example"])).toBe(false);
    expect(embedSitesChanged({ mode: "any", text: "" }, undefined)).toBe(false);
    expect(embedSitesChanged({ mode: "none", text: "" }, null)).toBe(true);
  });

  it("asks for the sites only when the owner keeps it to some, and shows the server's complaint there", () => {
    function Form({ error }: { error?: string }) {
      const [sites, setSites] = useState<EmbedSites>({ mode: "any", text: "" });
      return <EmbedSitesFields sites={sites} onChange={setSites} error={error} />;
    }
    render(<Form error="'http://blog.example': embedding sites must use https:// (http:// only for localhost)." />);
    expect(screen.queryByTestId("embed-origins")).toBeNull();
    fireEvent.change(screen.getByLabelText("Other sites"), { target: { value: "only" } });
    const sites = screen.getByLabelText("Sites allowed to embed it");
    expect(sites.getAttribute("aria-invalid")).toBe("true");
    expect(screen.getByText(/must use https/).id).toBe(sites.getAttribute("aria-describedby")!.split(" ")[1]);
  });
});

describe("embed page address", () => {
  it("reads the id, the start, autoplay and muted", () => {
    expect(embedOptions("/embed/v1", "?t=1m30s&autoplay=1&muted=1")).toEqual({ id: "v1", startAt: 90, autoPlay: true, muted: true });
    expect(embedOptions("/embed/v%201", "")).toEqual({ id: "v 1", startAt: null, autoPlay: false, muted: false });
    expect(embedOptions("/embed/v1", "?t=soon&autoplay=0")).toEqual({ id: "v1", startAt: null, autoPlay: false, muted: false });
    expect(embedOptions("/embed.html", "").id).toBeNull();
    expect(embedOptions("/embed/%E0%A4%A", "").id).toBeNull();
  });
});
