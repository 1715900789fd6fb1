// @vitest-environment jsdom
/** Components and the sign-in flow (with the TOTP step) against a loopback API. */
import { fireEvent, render, screen, waitFor } from "@testing-library/react";
import { afterEach, describe, expect, it, vi } from "vitest";
import type { Video } from "../src/api/types";
import { App } from "../src/App";
import { AuthProvider } from "../src/auth/AuthContext";
import { VideoCard } from "../src/components/VideoCard";
import { renditionNames } from "../src/pages/Watch";
import { levelLabel, Player, qualityLevels } from "../src/player/Player";
import { UploadsProvider } from "../src/upload/UploadsContext";
import { reply } from "./jsonServer";
import { closeApi, serveApi } from "./loopbackApi";

// jsdom has no scrolling; the app scrolls to the top on navigation.
window.scrollTo = () => undefined;

afterEach(closeApi);

const video = (patch: Partial<Video>): Video => ({
  id: "v1",
  title: "Beach day",
  visibility: "private",
  status: "ready",
  duration: 95,
  poster_url: null,
  ...patch,
});

describe("VideoCard", () => {
  it("shows a failed video's error and retries it", () => {
    const onRetry = vi.fn();
    render(<VideoCard video={video({ status: "failed", error: "ffprobe: not a video" })} onRetry={onRetry} />);
    expect(screen.getByTestId("status-badge").textContent).toBe("Failed");
    expect(screen.getByTestId("video-error").textContent).toBe("ffprobe: not a video");
    fireEvent.click(screen.getByRole("button", { name: "Retry" }));
    expect(onRetry).toHaveBeenCalledWith("v1");
  });

  it("offers no retry for a file the processor rejected", () => {
    render(<VideoCard video={video({ status: "failed", error: "not a video file", retryable: false })} onRetry={vi.fn()} />);
    expect(screen.getByTestId("video-error").textContent).toBe("not a video file");
    expect(screen.queryByRole("button", { name: "Retry" })).toBeNull();
  });

  it("shows processing progress and stage, and queue position while queued", () => {
    const { rerender } = render(<VideoCard video={video({ status: "processing", progress: 42, stage: "720p" })} />);
    const bar = screen.getByRole("progressbar");
    expect(bar.getAttribute("aria-valuenow")).toBe("42");
    expect(screen.getByText("720p · 42%")).toBeTruthy();
    rerender(<VideoCard video={video({ status: "queued", queue_position: 3, estimated_start_seconds: 40 })} />);
    expect(screen.getByText("Waiting for a worker · position 3 · starts in ~40 s")).toBeTruthy();
    expect(screen.getByRole("progressbar").getAttribute("aria-valuenow")).toBeNull();
    expect(screen.getByLabelText("Duration 1:35")).toBeTruthy();
  });
});

describe("player", () => {
  it("renders the labelled controls and answers keyboard shortcuts", () => {
    render(<Player masterUrl="/api/streaming/videos/v1/master.m3u8" title="Beach day" accessToken={null} duration={95} />);
    const video = screen.getByTestId("player-video") as HTMLVideoElement;
    expect(screen.getByLabelText("Quality")).toBe(screen.getByTestId("quality-menu"));
    expect(screen.getByRole("slider", { name: "Seek" }).getAttribute("aria-valuetext")).toBe("0:00 of 1:35");
    fireEvent.keyDown(screen.getByTestId("player"), { key: "m" });
    expect(video.muted).toBe(true);
    // Keys typed into a form control are left alone.
    fireEvent.keyDown(screen.getByTestId("quality-menu"), { key: "m" });
    expect(video.muted).toBe(true);
    fireEvent.keyDown(screen.getByTestId("player"), { key: "M" });
    expect(video.muted).toBe(false);
  });


  it("labels quality levels by short side and bitrate", () => {
    expect(levelLabel({ width: 1280, height: 720, bitrate: 3_000_000, name: "" })).toBe("720p · 3.0 Mbps");
    expect(levelLabel({ width: 720, height: 1280, bitrate: 3_000_000, name: "720p" })).toBe("720p · 3.0 Mbps");
    expect(levelLabel({ width: 0, height: 0, bitrate: 0, name: "audio" })).toBe("audio");
  });

  it("lists a portrait 1080×1920 source's top rung first, as 1080p", () => {
    // The order hls.js hands them over in: the master playlist's, lowest first.
    const portrait = [
      { width: 360, height: 640, bitrate: 1_040_000, name: "360p" },
      { width: 720, height: 1280, bitrate: 3_000_000, name: "720p" },
      { width: 1080, height: 1920, bitrate: 6_200_000, name: "1080p" },
    ];
    expect(renditionNames(portrait.map((r) => ({ ...r, bandwidth: r.bitrate })))).toBe("1080p, 720p, 360p");
    expect(qualityLevels(portrait)).toEqual([
      { index: 2, label: "1080p · 6.2 Mbps" },
      { index: 1, label: "720p · 3.0 Mbps" },
      { index: 0, label: "360p · 1.0 Mbps" },
    ]);
  });
});

describe("sign-in", () => {
  it("asks for a TOTP code when the issuer requires one, then lands signed in with admin navigation", async () => {
    const server = await serveApi((req, res) => {
      const path = req.path.split("?")[0];
      if (path === "/api/auth/config") return reply(res, 200, { flow: "local" });
      if (path === "/api/auth/token") {
        const body = req.body as { email: string; password: string; code?: string };
        if (body.password !== "correct horse") return reply(res, 401, { code: 401, status: "Unauthorized", message: "Wrong email or password" });
        if (body.code !== "123456") return reply(res, 401, { code: 401, status: "Unauthorized", message: "MFA code required", errors: { mfa: "required" } });
        return reply(res, 200, { access_token: "acc", id_token: "id", refresh_token: "ref", token_type: "Bearer", expires_in: 3600 });
      }
      if (path === "/api/auth/me") {
        if (req.headers.authorization !== "Bearer acc") return reply(res, 401, { code: 401, status: "Unauthorized", message: "no" });
        return reply(res, 200, { sub: "u1", email: "ada@example.com", groups: ["admin"] });
      }
      if (path === "/api/gallery/videos") return reply(res, 200, [], { "X-Pagination": JSON.stringify({ total: 0, total_pages: 1, page: 1 }) });
      reply(res, 404, { code: 404, status: "Not Found", message: "no route" });
    });
    window.history.replaceState(null, "", "/signin");
    render(
      <AuthProvider>
        <UploadsProvider>
          <App />
        </UploadsProvider>
      </AuthProvider>,
    );
    const email = await screen.findByLabelText("Email");
    fireEvent.change(email, { target: { value: "ada@example.com" } });
    fireEvent.change(screen.getByLabelText("Password"), { target: { value: "wrong" } });
    fireEvent.click(screen.getByRole("button", { name: "Sign in" }));
    expect((await screen.findByRole("alert")).textContent).toContain("Wrong email or password");

    fireEvent.change(screen.getByLabelText("Password"), { target: { value: "correct horse" } });
    fireEvent.click(screen.getByRole("button", { name: "Sign in" }));
    const code = await screen.findByLabelText("Authentication code");
    await waitFor(() => expect(document.activeElement).toBe(code));
    fireEvent.change(code, { target: { value: "123456" } });
    fireEvent.click(screen.getByRole("button", { name: "Verify" }));

    expect((await screen.findByTestId("account-email")).textContent).toBe("ada@example.com");
    expect(screen.getByRole("link", { name: "Admin" })).toBeTruthy();
    await waitFor(() => expect(window.location.pathname).toBe("/"));
    expect(await screen.findByText("No videos yet.")).toBeTruthy();
    const tokenPosts = server.requests.filter((r) => r.path === "/api/auth/token").map((r) => r.body);
    expect(tokenPosts[2]).toEqual({ email: "ada@example.com", password: "correct horse", code: "123456" });
    // The session survives a reload of the tab.
    expect(sessionStorage.getItem("videoforge.session")).toContain('"accessToken":"acc"');
  });
});
