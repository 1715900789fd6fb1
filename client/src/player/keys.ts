/** The player's keyboard: what each key does, as a pure function of the key and the player's state. */

/** ←/→ move this many seconds; with Shift, FINE_SEEK; PageUp/PageDown, PAGE_SEEK. */
export const SEEK_STEP = 5;
export const FINE_SEEK = 1;
export const PAGE_SEEK = 60;
/** ↑/↓ change the volume by this much (the volume slider's own step). */
export const VOLUME_STEP = 0.05;
export const SPEEDS = [0.5, 0.75, 1, 1.25, 1.5, 1.75, 2] as const;

export interface PlayerKeyState {
  time: number;
  /** 0 while unknown: seeks are then bounded below only. */
  duration: number;
  volume: number;
  rate: number;
}

export type KeyAction =
  | { kind: "seek"; to: number }
  | { kind: "volume"; to: number }
  | { kind: "speed"; to: number }
  | { kind: "togglePlay" }
  | { kind: "toggleMute" }
  | { kind: "toggleFullscreen" }
  | { kind: "toggleCaptions" };

/** The keys the player's help text names, for its aria-describedby. */
export const KEY_HELP =
  "Keys: space or K play or pause; left and right arrows move 5 seconds (with Shift, 1 second); " +
  "Page Up and Page Down move 1 minute; Home and End go to the start and the end; up and down arrows change the volume; " +
  "M mutes; F is fullscreen; C turns captions on or off; Shift with < or > changes the speed.";

/**
 * What `key` does. On the seek bar (`onSeekBar`) ↑/↓ move like →/← (a slider's keys); elsewhere in the player they
 * change the volume. Null: not a player key, leave it to the browser.
 */
export function keyAction(key: string, shift: boolean, state: PlayerKeyState, onSeekBar = false): KeyAction | null {
  const seek = (delta: number): KeyAction => ({ kind: "seek", to: clampTime(state.time + delta, state.duration) });
  const step = shift ? FINE_SEEK : SEEK_STEP;
  switch (key) {
    case "ArrowLeft":
      return seek(-step);
    case "ArrowRight":
      return seek(step);
    case "ArrowUp":
      return onSeekBar ? seek(step) : { kind: "volume", to: clampVolume(state.volume + VOLUME_STEP) };
    case "ArrowDown":
      return onSeekBar ? seek(-step) : { kind: "volume", to: clampVolume(state.volume - VOLUME_STEP) };
    case "PageUp":
      return seek(PAGE_SEEK);
    case "PageDown":
      return seek(-PAGE_SEEK);
    case "Home":
      return { kind: "seek", to: 0 };
    case "End":
      return state.duration > 0 ? { kind: "seek", to: state.duration } : null;
    case " ":
    case "k":
    case "K":
      return { kind: "togglePlay" };
    case "m":
    case "M":
      return { kind: "toggleMute" };
    case "f":
    case "F":
      return { kind: "toggleFullscreen" };
    case "c":
    case "C":
      return { kind: "toggleCaptions" };
    case ">":
      return { kind: "speed", to: nextSpeed(state.rate, 1) };
    case "<":
      return { kind: "speed", to: nextSpeed(state.rate, -1) };
    default:
      return null;
  }
}

function clampTime(time: number, duration: number): number {
  const upper = duration > 0 ? duration : Infinity;
  return Math.max(0, Math.min(upper, time));
}

function clampVolume(volume: number): number {
  // Rounded, so twenty presses from 1 land on 0 exactly and not on 1e-16.
  return Math.round(Math.max(0, Math.min(1, volume)) * 100) / 100;
}

/** The next speed up (+1) or down (-1) from `rate`, staying within SPEEDS. */
export function nextSpeed(rate: number, direction: 1 | -1): number {
  if (direction > 0) return SPEEDS.find((s) => s > rate + 1e-9) ?? SPEEDS[SPEEDS.length - 1];
  return [...SPEEDS].reverse().find((s) => s < rate - 1e-9) ?? SPEEDS[0];
}

/** "1.5×", and "Normal" for 1. */
export function speedLabel(rate: number): string {
  return rate === 1 ? "Normal" : `${rate}×`;
}
