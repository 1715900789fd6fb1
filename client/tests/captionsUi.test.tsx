// @vitest-environment jsdom
/** Issue 16 in components: the owner's caption editor, the CC menu, search with links to a moment, auto captions. */
import { File as NodeFile } from "node:buffer";
import { configure, fireEvent, render, screen, waitFor, within } from "@testing-library/react";
import { afterEach, describe, expect, it, vi } from "vitest";
import type { CaptionTrack, Video } from "../src/api/types";
import { CaptionsPanel } from "../src/captions/CaptionsPanel";
import { playbackWithNewUrl } from "../src/captions/freshPlayback";
import { AuthProvider } from "../src/auth/AuthContext";
import { PublicGallery } from "../src/pages/PublicGallery";
import { Upload } from "../src/pages/Upload";
import { Player } from "../src/player/Player";
import { UploadsProvider } from "../src/upload/UploadsContext";
import { CaptionsMenu } from "../src/player/CaptionsMenu";
import { captionEntries } from "../src/player/captions";
import { closeApi, serveAnswers } from "./loopbackApi";

window.scrollTo = () => undefined;
configure({ asyncUtilTimeout: 4000 });

afterEach(closeApi);

const VIDEO: Video = { id: "v1", title: "Harbour", visibility: "public", status: "ready" };
const track = (patch: Partial<CaptionTrack>): CaptionTrack => ({
  id: "c-en",
  language: "en",
  label: "English",
  kind: "subtitles",
  generated: false,
  status: "ready",
  error: null,
  cue_count: 12,
  url: "http://storage.example/v1/captions/c-en.vtt?sig=1",
  ...patch,
});

describe("caption editor", () => {
  it("lists the tracks with their state: auto-generated, failed with the reason, a download link", async () => {
    await serveAnswers((req) =>
      req.method === "GET" && req.path === "/api/gallery/videos/v1/captions"
        ? [200, [track({}), track({ id: "c-auto", generated: true, status: "failed", error: "no speech found", url: null, label: "English" })]]
        : undefined,
    );
    render(<CaptionsPanel video={VIDEO} onReadyTracksChanged={vi.fn()} />);
    const items = await screen.findAllByTestId("caption-track");
    expect(items).toHaveLength(2);
    expect(within(items[0]).getByRole("link", { name: "Download English (en)" }).getAttribute("href")).toContain("c-en.vtt");
    expect(within(items[0]).getByText("12 cues")).toBeTruthy();
    expect(within(items[1]).getByTestId("caption-generated").textContent).toBe("Auto-generated");
    expect(within(items[1]).getByTestId("caption-error").textContent).toBe("Transcription failed: no speech found");
    expect(within(items[1]).queryByRole("link")).toBeNull();
    // A generated track exists (failed): no second one is offered.
    expect(screen.queryByRole("button", { name: "Generate captions" })).toBeNull();
  });

  it("checks the form before sending, with the focus on what to fix", async () => {
    const server = await serveAnswers((req) => (req.path.endsWith("/captions") ? [200, []] : undefined));
    render(<CaptionsPanel video={VIDEO} onReadyTracksChanged={vi.fn()} />);
    await screen.findByText("No captions yet.");
    fireEvent.click(screen.getByRole("button", { name: "Upload captions" }));
    const fileInput = screen.getByLabelText("Caption file (WebVTT or SRT)");
    await waitFor(() => expect(document.activeElement).toBe(fileInput));
    expect(fileInput.getAttribute("aria-invalid")).toBe("true");
    expect(screen.getByLabelText("Language").getAttribute("aria-invalid")).toBe("true");
    expect(server.requests.filter((r) => r.method === "PUT")).toHaveLength(0);
  });

  it("uploads a file for a language as a form, shows the server's line error at the file, then succeeds", async () => {
    let attempts = 0;
    const onChanged = vi.fn();
    const tracks: CaptionTrack[] = [];
    const server = await serveAnswers((req) => {
      if (req.method === "GET" && req.path.endsWith("/captions")) return [200, tracks];
      if (req.method === "PUT" && req.path === "/api/gallery/videos/v1/captions/pt-BR") {
        if (attempts++ === 0) {
          const message = "Line 3: the cue timing “00:00:01.000 -> 00:00:02.000” is not WebVTT (HH:MM:SS.mmm --> HH:MM:SS.mmm).";
          return [422, { code: 422, status: "Unprocessable Entity", message, errors: { files: { file: [message] } } }];
        }
        tracks.push(track({ id: "c-pt", language: "pt-BR", label: "Português (Brasil)", cue_count: 2 }));
        return [201, tracks[0]];
      }
      return undefined;
    });
    render(<CaptionsPanel video={VIDEO} onReadyTracksChanged={onChanged} />);
    await screen.findByText("No captions yet.");
    // Node's fetch sends only its own FormData and File (jsdom's would never leave): the browser's are one kind.
    const NodeFormData = (await new Response(new URLSearchParams("a=1")).formData()).constructor;
    vi.stubGlobal("FormData", NodeFormData);
    const vtt = new NodeFile(["WEBVTT\n\n00:00:01.000 -> 00:00:02.000\nOlá\n"], "talk.vtt", { type: "text/vtt" });
    const fileInput = screen.getByLabelText("Caption file (WebVTT or SRT)");
    fireEvent.change(fileInput, { target: { files: [vtt] } });
    fireEvent.change(screen.getByLabelText("Language"), { target: { value: "pt-br" } });
    fireEvent.change(screen.getByLabelText("Kind"), { target: { value: "captions" } });
    fireEvent.click(screen.getByRole("button", { name: "Upload captions" }));

    await waitFor(() => expect(document.activeElement).toBe(fileInput));
    expect(screen.getByText(/^Line 3: the cue timing/)).toBeTruthy();
    expect(screen.queryByTestId("error-notice")).toBeNull(); // said once, at the file
    const sent = server.requests.find((r) => r.method === "PUT")!;
    expect(sent.headers["content-type"]).toMatch(/^multipart\/form-data; boundary=/);
    expect(String(sent.body)).toContain('filename="talk.vtt"');
    expect(String(sent.body)).toContain("Olá");
    expect(String(sent.body)).toMatch(/name="kind"\r\n\r\ncaptions/);
    expect(String(sent.body)).not.toContain('name="label"'); // the server names it

    fireEvent.click(screen.getByRole("button", { name: "Upload captions" }));
    expect((await screen.findByTestId("caption-track")).textContent).toContain("Português (Brasil) (pt-BR)");
    expect(screen.getByText("Português (Brasil) captions saved (2 cues).")).toBeTruthy();
    // The player loads the master playlist again, with the new track.
    expect(onChanged).toHaveBeenCalledTimes(1);
  });

  it("deletes a track after a confirmation, and asks for generated captions", async () => {
    let tracks: CaptionTrack[] = [track({})];
    const server = await serveAnswers((req) => {
      if (req.method === "GET" && req.path.endsWith("/captions")) return [200, tracks];
      if (req.method === "DELETE" && req.path === "/api/gallery/videos/v1/captions/c-en") {
        tracks = [];
        return [204];
      }
      if (req.method === "POST" && req.path === "/api/gallery/videos/v1/captions/generate") {
        tracks = [track({ id: "c-auto", generated: true, status: "pending", url: null, cue_count: 0 })];
        return [202, tracks[0]];
      }
      return undefined;
    });
    render(<CaptionsPanel video={VIDEO} onReadyTracksChanged={vi.fn()} />);
    fireEvent.click(await screen.findByRole("button", { name: "Delete English (en)" }));
    const dialog = screen.getByTestId("confirm-dialog");
    expect(document.activeElement).toBe(within(dialog).getByRole("button", { name: "Cancel" }));
    fireEvent.click(within(dialog).getByRole("button", { name: "Delete captions" }));
    await screen.findByText("No captions yet.");
    expect(screen.getByText("English captions deleted.")).toBeTruthy();

    fireEvent.click(screen.getByRole("button", { name: "Generate captions" }));
    const item = await screen.findByTestId("caption-track");
    expect(within(item).getByTestId("caption-status").textContent).toBe("Waiting for transcription");
    expect(within(item).queryByRole("button", { name: /Delete/ })).toBeNull(); // its job would write it back
    expect(server.requests.find((r) => r.method === "POST")!.body).toEqual({});
  });

  it("after new tracks, fetches the playback info again until its master URL is a new one", async () => {
    let asked = 0;
    await serveAnswers((req) => {
      if (req.path !== "/api/streaming/videos/v1") return undefined;
      asked += 1;
      // A playback token changes once a second: the first answer may still carry the URL the browser has cached.
      return [200, { id: "v1", status: "ready", renditions: [], master_url: `/master.m3u8?token=${asked < 3 ? "a" : "b"}` }];
    });
    expect((await playbackWithNewUrl("v1", "/master.m3u8?token=a", 3, 5))?.master_url).toBe("/master.m3u8?token=b");
    expect(asked).toBe(3);
    expect(await playbackWithNewUrl("v1", "/master.m3u8?token=b", 2, 5)).toBeNull(); // the player keeps what it has
  });

  it("says why generating was refused, with the focus on the message", async () => {
    await serveAnswers((req) => {
      if (req.method === "GET") return [200, []];
      return [409, { code: 409, status: "Conflict", message: "Cannot generate captions: transcription is off on this server." }];
    });
    render(<CaptionsPanel video={VIDEO} onReadyTracksChanged={vi.fn()} />);
    fireEvent.click(await screen.findByRole("button", { name: "Generate captions" }));
    const alert = await screen.findByRole("alert");
    expect(alert.textContent).toContain("transcription is off");
    await waitFor(() => expect(document.activeElement).toBe(alert));
  });
});

describe("CC menu", () => {
  it("C says so when the video has no captions, and the key help names it", () => {
    render(<Player masterUrl="/api/streaming/videos/v1/master.m3u8" title="Dawn" accessToken={null} duration={60} />);
    fireEvent.keyDown(screen.getByTestId("player"), { key: "c" });
    expect(screen.getByTestId("player-announcement").textContent).toBe("This video has no captions");
    expect(screen.getByTestId("player").getAttribute("aria-describedby")).toBeTruthy();
    expect(document.getElementById(screen.getByTestId("player").getAttribute("aria-describedby")!)!.textContent).toContain(
      "C turns captions on or off",
    );
  });

  it("offers Off and each track by label and language, and reports the choice", () => {
    const onChoose = vi.fn();
    const entries = captionEntries([{ name: "English", lang: "en" }, { name: "Français", lang: "fr" }]);
    render(<CaptionsMenu entries={entries} selected={-1} onChoose={onChoose} />);
    const menu = screen.getByLabelText("Captions") as HTMLSelectElement;
    expect(Array.from(menu.options).map((o) => o.text)).toEqual(["CC off", "English (en)", "Français (fr)"]);
    fireEvent.change(menu, { target: { value: "1" } });
    expect(onChoose).toHaveBeenCalledWith(1);
  });

  it("is not there when the video has no tracks", () => {
    render(<CaptionsMenu entries={[]} selected={-1} onChoose={vi.fn()} />);
    expect(screen.queryByLabelText("Captions")).toBeNull();
  });
});

describe("search", () => {
  it("searches with the address's q, shows each match's words and time, and links to that moment", async () => {
    const server = await serveAnswers((req) => {
      if (!req.path.startsWith("/api/gallery/public")) return undefined;
      const q = new URL(req.path, "http://x").searchParams.get("q");
      const videos: Video[] = q === "harbour"
        ? [
            { ...VIDEO, match: { start: 12.6, text: "the boats leave the harbour at dawn", language: "en" } },
            { ...VIDEO, id: "v2", title: "Harbour walk", match: { start: null, text: null as unknown as string, language: null } },
          ]
        : [];
      return [200, videos, { "X-Pagination": JSON.stringify({ total: videos.length, total_pages: 1, page: 1 }) }];
    });
    window.history.replaceState(null, "", "/public?q=harbour");
    render(<PublicGallery />);
    const match = await screen.findByTestId("search-match");
    expect(match.textContent).toBe("0:12 “the boats leave the harbour at dawn”");
    const cards = screen.getAllByTestId("video-card");
    expect(within(cards[0]).getByRole("link").getAttribute("href")).toBe("/watch/v1?t=12");
    expect(within(cards[1]).getByRole("link").getAttribute("href")).toBe("/watch/v2"); // the title matched
    expect(screen.getByTestId("search-summary").textContent).toBe("2 videos match “harbour”.");
    expect((screen.getByRole("searchbox", { name: "Search public videos" }) as HTMLInputElement).value).toBe("harbour");
    expect(server.requests.some((r) => r.path.includes("q=harbour"))).toBe(true);

    // A new search goes into the address (shareable, and Back returns to the last one).
    fireEvent.change(screen.getByRole("searchbox"), { target: { value: "no such words" } });
    fireEvent.submit(screen.getByTestId("search-form"));
    expect(window.location.pathname + window.location.search).toBe("/public?q=no+such+words");
    await waitFor(() => expect(screen.getByTestId("search-summary").textContent).toBe("No videos match “no such words”."));
    fireEvent.click(screen.getByRole("button", { name: "Clear search" }));
    expect(window.location.pathname + window.location.search).toBe("/public");
  });
});

describe("upload with generated captions", () => {
  it("sends the wish and the spoken language, and shows the server's refusal", async () => {
    const message = "Cannot generate captions: transcription is off on this server.";
    const server = await serveAnswers((req) => {
      if (req.path.startsWith("/api/auth/config")) return [200, { flow: "local" }];
      if (req.method === "POST" && req.path === "/api/gallery/uploads") {
        return [422, { code: 422, status: "Unprocessable Entity", message, errors: { json: { auto_captions: [message] } } }];
      }
      return undefined;
    });
    render(
      <AuthProvider>
        <UploadsProvider>
          <Upload />
        </UploadsProvider>
      </AuthProvider>,
    );
    fireEvent.change(screen.getByTestId("upload-input"), {
      target: { files: [new File([new Uint8Array(100)], "talk.mp4", { type: "video/mp4" })] },
    });
    const box = (await screen.findByLabelText("Generate captions automatically")) as HTMLInputElement;
    expect(box.checked).toBe(false);
    expect(screen.queryByLabelText("Spoken language")).toBeNull();
    fireEvent.click(box);
    fireEvent.change(screen.getByLabelText("Spoken language"), { target: { value: "fr" } });
    fireEvent.click(screen.getByRole("button", { name: "Start upload" }));
    const alert = await screen.findByRole("alert");
    expect(alert.textContent).toBe(message);
    const sent = server.requests.find((r) => r.method === "POST")!.body as Record<string, unknown>;
    expect(sent).toMatchObject({ title: "talk", auto_captions: true, caption_language: "fr" });
    expect((screen.getByLabelText("Generate captions automatically") as HTMLInputElement).checked).toBe(true);
  });
});
