// @vitest-environment jsdom
/** Issue 21 in components: the player's keys and labels, the upload form's checks, what a viewer sees, page titles. */
import { act, configure, fireEvent, render, screen, waitFor } from "@testing-library/react";
import { afterEach, describe, expect, it } from "vitest";
import { App } from "../src/App";
import { AuthProvider } from "../src/auth/AuthContext";
import { Upload } from "../src/pages/Upload";
import { Watch } from "../src/pages/Watch";
import { Player } from "../src/player/Player";
import { UploadsProvider } from "../src/upload/UploadsContext";
import { reply, type Recorded } from "./jsonServer";
import { closeApi, serveApi } from "./loopbackApi";
import { navigate } from "../src/router";

window.scrollTo = () => undefined;
// The loopback server answers in milliseconds, but a CI machine busy with transcodes can take longer than 1 s.
configure({ asyncUtilTimeout: 5000 });

afterEach(closeApi);

const RULES = {
  allowed_extensions: ["mp4", "mov", "mkv"],
  allowed_content_types: ["video/mp4", "video/quicktime", "video/x-matroska", "application/octet-stream"],
  title_max_length: 200,
  description_max_length: 5000,
  upload_max_size: 1_000_000,
};

async function serve(routes: Record<string, (req: Recorded) => [number, unknown]>) {
  await serveApi((req, res) => {
    const route = routes[`${req.method} ${req.path.split("?")[0]}`];
    if (route) return reply(res, ...route(req));
    if (req.path.startsWith("/api/auth/config")) return reply(res, 200, { flow: "local" });
    reply(res, 404, { code: 404, status: "Not Found", message: "No such video." });
  });
}

const file = (name: string, type: string, size = 1000) => new File([new Uint8Array(size)], name, { type });

describe("player", () => {
  const renderPlayer = () => {
    render(<Player masterUrl="/api/streaming/videos/v1/master.m3u8" title="Dawn" accessToken={null} duration={600} />);
    return screen.getByTestId("player-video") as HTMLVideoElement;
  };

  it("moves 5 s per arrow on the seek bar, 1 s with Shift and a minute with Page Up, saying where it is", () => {
    const video = renderPlayer();
    const seek = screen.getByRole("slider", { name: "Seek" });
    video.currentTime = 90;
    fireEvent.keyDown(seek, { key: "ArrowRight" });
    expect(video.currentTime).toBe(95);
    expect(seek.getAttribute("aria-valuetext")).toBe("1:35 of 10:00");
    fireEvent.keyDown(seek, { key: "ArrowLeft", shiftKey: true });
    expect(video.currentTime).toBe(94);
    fireEvent.keyDown(seek, { key: "PageUp" });
    expect(video.currentTime).toBe(154);
    expect(seek.getAttribute("aria-valuetext")).toBe("2:34 of 10:00");
  });

  it("turns the volume with ↑/↓ in the player and announces it", () => {
    const video = renderPlayer();
    fireEvent.keyDown(screen.getByTestId("player"), { key: "ArrowDown" });
    expect(video.volume).toBe(0.95);
    expect(screen.getByTestId("player-announcement").textContent).toBe("Volume 95%");
  });

  it("offers speeds from 0.5× to 2×", () => {
    const video = renderPlayer();
    const speed = screen.getByLabelText("Playback speed") as HTMLSelectElement;
    expect(Array.from(speed.options).map((o) => o.text)).toEqual(["0.5×", "0.75×", "1×", "1.25×", "1.5×", "1.75×", "2×"]);
    fireEvent.change(speed, { target: { value: "1.5" } });
    expect(video.playbackRate).toBe(1.5);
  });

  it("names the fullscreen button after what it will do", () => {
    renderPlayer();
    const button = screen.getByTestId("fullscreen-button");
    expect(button.getAttribute("aria-label")).toBe("Fullscreen");
    Object.defineProperty(document, "fullscreenElement", { configurable: true, value: screen.getByTestId("player") });
    act(() => void document.dispatchEvent(new Event("fullscreenchange")));
    expect(button.getAttribute("aria-label")).toBe("Exit fullscreen");
    Object.defineProperty(document, "fullscreenElement", { configurable: true, value: null });
    act(() => void document.dispatchEvent(new Event("fullscreenchange")));
    expect(button.getAttribute("aria-label")).toBe("Fullscreen");
  });
});

describe("upload form", () => {
  const renderUpload = () =>
    render(
      <AuthProvider>
        <UploadsProvider>
          <Upload />
        </UploadsProvider>
      </AuthProvider>,
    );

  it("refuses a .txt before any form, with one clear message", async () => {
    await serve({ "GET /api/gallery/upload-rules": () => [200, RULES] });
    renderUpload();
    const input = screen.getByTestId("upload-input") as HTMLInputElement;
    await waitFor(() => expect(input.accept).toBe(".mp4,.mov,.mkv"));
    fireEvent.change(input, { target: { files: [file("notes.txt", "text/plain")] } });
    expect(screen.getByTestId("refused-files").textContent).toBe(
      "“notes.txt” is not a video file this site accepts. Choose a file ending in .mp4, .mov or .mkv.",
    );
    expect(screen.queryByTestId("upload-item")).toBeNull();
  });

  it("trims a long file name's title to the limit with a counter, and an empty title keeps the focus on it", async () => {
    await serve({ "GET /api/gallery/upload-rules": () => [200, RULES] });
    renderUpload();
    const input = screen.getByTestId("upload-input") as HTMLInputElement;
    await waitFor(() => expect(input.accept).toBe(".mp4,.mov,.mkv"));
    fireEvent.change(input, { target: { files: [file(`${"x".repeat(203)}.mp4`, "video/mp4")] } });
    const title = (await screen.findByLabelText("Title")) as HTMLInputElement;
    expect(title.value).toBe("x".repeat(200));
    expect(screen.getByTestId("title-counter").textContent).toBe("200 of 200 characters");
    fireEvent.change(title, { target: { value: "" } });
    fireEvent.click(screen.getByRole("button", { name: "Start upload" }));
    await waitFor(() => expect(document.activeElement).toBe(title));
    expect(title.getAttribute("aria-invalid")).toBe("true");
    expect(screen.getAllByText("Give the video a title.")).toHaveLength(1);
  });

  it("offers no “Try again” when the server refuses the file itself", async () => {
    // Rules that could not be loaded: the server's answer is the first word on the file.
    const message = "Files ending in .mp4 are not accepted; use one of: mov.";
    await serve({
      "POST /api/gallery/uploads": () => [422, { code: 422, status: "Unprocessable Entity", message, errors: { json: { filename: [message] } } }],
    });
    renderUpload();
    fireEvent.change(screen.getByTestId("upload-input"), { target: { files: [file("clip.mp4", "video/mp4")] } });
    fireEvent.click(await screen.findByRole("button", { name: "Start upload" }));
    const alert = await screen.findByRole("alert");
    expect(alert.textContent).toBe(message);
    await waitFor(() => expect(document.activeElement).toBe(alert));
    expect(screen.queryByRole("button", { name: "Try again" })).toBeNull();
    expect(screen.getByRole("button", { name: "Remove" })).toBeTruthy();
  });
});

describe("watching someone else's video", () => {
  it("shows a signed-out viewer the description and a share link, and no status badge", async () => {
    await serve({
      "GET /api/streaming/videos/v1": () => [200, {
        id: "v1", title: "Dawn", description: "Filmed from the pier.", status: "ready", renditions: [],
        master_url: "/api/streaming/videos/v1/master.m3u8?token=t", duration: 12,
      }],
    });
    render(
      <AuthProvider>
        <Watch id="v1" />
      </AuthProvider>,
    );
    expect((await screen.findByTestId("description")).textContent).toBe("Filmed from the pier.");
    fireEvent.click(screen.getByRole("button", { name: "Share" }));
    expect((screen.getByTestId("share-link") as HTMLInputElement).value).toBe(`${window.location.origin}/watch/v1`);
    expect(screen.getByRole("button", { name: "Copy link" })).toBeTruthy();
    expect(screen.queryByTestId("status-badge")).toBeNull();
    // The title is set by an effect after the render that shows the page.
    await waitFor(() => expect(document.title).toBe("Dawn · VideoForge"));
  });
});

describe("page titles", () => {
  it("names the 404 page in the tab, not the page before it", async () => {
    await serve({});
    window.history.replaceState(null, "", "/public");
    render(
      <AuthProvider>
        <UploadsProvider>
          <App />
        </UploadsProvider>
      </AuthProvider>,
    );
    await waitFor(() => expect(document.title).toBe("Public videos · VideoForge"));
    await act(async () => {
      navigate("/no/such/page");
    });
    expect(await screen.findByRole("heading", { name: "Page not found" })).toBeTruthy();
    await waitFor(() => expect(document.title).toBe("Page not found · VideoForge"));
  });
});
