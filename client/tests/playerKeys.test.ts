/** The player's keys: 5 s arrows, 1 s with Shift, a minute with Page Up/Down, volume and speed steps. */
import { describe, expect, it } from "vitest";
import { keyAction, nextSpeed, speedLabel } from "../src/player/keys";

const at = (time: number, extra: Partial<{ duration: number; volume: number; rate: number }> = {}) => ({
  time,
  duration: 600,
  volume: 1,
  rate: 1,
  ...extra,
});

describe("player keys", () => {
  it("moves 5 s with the arrows, 1 s with Shift and a minute with Page Up/Down", () => {
    expect(keyAction("ArrowRight", false, at(90))).toEqual({ kind: "seek", to: 95 });
    expect(keyAction("ArrowLeft", false, at(90))).toEqual({ kind: "seek", to: 85 });
    expect(keyAction("ArrowRight", true, at(90))).toEqual({ kind: "seek", to: 91 });
    expect(keyAction("ArrowLeft", true, at(90))).toEqual({ kind: "seek", to: 89 });
    expect(keyAction("PageUp", false, at(90))).toEqual({ kind: "seek", to: 150 });
    expect(keyAction("PageDown", false, at(90))).toEqual({ kind: "seek", to: 30 });
    expect(keyAction("Home", false, at(90))).toEqual({ kind: "seek", to: 0 });
    expect(keyAction("End", false, at(90))).toEqual({ kind: "seek", to: 600 });
  });

  it("three presses on a 10-minute video reach 0:15, not 0:00.3", () => {
    let state = at(0);
    for (let i = 0; i < 3; i++) {
      const action = keyAction("ArrowRight", false, state);
      state = at(action?.kind === "seek" ? action.to : NaN);
    }
    expect(state.time).toBe(15);
  });

  it("stays within the video, and only below when its length is not known yet", () => {
    expect(keyAction("ArrowLeft", false, at(3))).toEqual({ kind: "seek", to: 0 });
    expect(keyAction("PageUp", false, at(590))).toEqual({ kind: "seek", to: 600 });
    expect(keyAction("ArrowRight", false, at(12, { duration: 0 }))).toEqual({ kind: "seek", to: 17 });
    expect(keyAction("End", false, at(12, { duration: 0 }))).toBeNull();
  });

  it("changes the volume with ↑/↓ in the player, but seeks with them on the seek bar (a slider's keys)", () => {
    expect(keyAction("ArrowDown", false, at(10, { volume: 1 }))).toEqual({ kind: "volume", to: 0.95 });
    expect(keyAction("ArrowUp", false, at(10, { volume: 0.5 }))).toEqual({ kind: "volume", to: 0.55 });
    expect(keyAction("ArrowUp", false, at(10, { volume: 1 }))).toEqual({ kind: "volume", to: 1 });
    expect(keyAction("ArrowDown", false, at(10, { volume: 0.03 }))).toEqual({ kind: "volume", to: 0 });
    expect(keyAction("ArrowUp", false, at(10), true)).toEqual({ kind: "seek", to: 15 });
    expect(keyAction("ArrowDown", true, at(10), true)).toEqual({ kind: "seek", to: 9 });
  });

  it("twenty presses of ↓ from full volume land exactly on silence", () => {
    let volume = 1;
    for (let i = 0; i < 20; i++) {
      const action = keyAction("ArrowDown", false, at(0, { volume }));
      volume = action?.kind === "volume" ? action.to : NaN;
    }
    expect(volume).toBe(0);
  });

  it("steps the speed between 0.5× and 2× with < and >", () => {
    expect(keyAction(">", true, at(0, { rate: 1 }))).toEqual({ kind: "speed", to: 1.25 });
    expect(keyAction("<", true, at(0, { rate: 1 }))).toEqual({ kind: "speed", to: 0.75 });
    expect(nextSpeed(2, 1)).toBe(2);
    expect(nextSpeed(0.5, -1)).toBe(0.5);
    expect(nextSpeed(1.1, 1)).toBe(1.25); // a rate set elsewhere moves to the next one on the list
    expect(speedLabel(1)).toBe("Normal");
    expect(speedLabel(1.5)).toBe("1.5×");
  });

  it("keeps play, mute, fullscreen and captions, and leaves other keys to the browser", () => {
    expect(keyAction(" ", false, at(0))).toEqual({ kind: "togglePlay" });
    expect(keyAction("K", true, at(0))).toEqual({ kind: "togglePlay" });
    expect(keyAction("m", false, at(0))).toEqual({ kind: "toggleMute" });
    expect(keyAction("f", false, at(0))).toEqual({ kind: "toggleFullscreen" });
    expect(keyAction("c", false, at(0))).toEqual({ kind: "toggleCaptions" });
    expect(keyAction("C", true, at(0))).toEqual({ kind: "toggleCaptions" });
    expect(keyAction("Tab", false, at(0))).toBeNull();
    expect(keyAction("a", false, at(0))).toBeNull();
  });
});
