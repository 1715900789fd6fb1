/** HLS player: hls.js (or native HLS), quality, speed and caption menus, storyboard previews, keyboard controls. */
import Hls, { type Level } from "hls.js";
import { useCallback, useEffect, useId, useRef, useState, type KeyboardEvent, type MouseEvent } from "react";
import { apiUrl } from "../api/client";
import { formatBitrate, formatDuration } from "../format";
import { CaptionsMenu } from "./CaptionsMenu";
import { ExitFullscreenIcon, FullscreenIcon, PauseIcon, PlayIcon, VolumeIcon } from "./icons";
import { KEY_HELP, keyAction, SPEEDS, speedLabel, type KeyAction } from "./keys";
import { cueAt } from "./storyboard";
import { useCaptions } from "./useCaptions";
import { useStoryboard } from "./useStoryboard";

export interface PlayerProps {
  masterUrl: string;
  posterUrl?: string | null;
  thumbnailsUrl?: string | null;
  /** Known duration; an EVENT playlist that is still growing reports less (or Infinity) itself. */
  duration?: number | null;
  title: string;
  accessToken: string | null;
  /** Changes (e.g. "processing" -> "ready") reload the source, keeping the position. */
  reloadKey?: string;
  /** Media requests must carry cookies (the server's CDN grants access with signed cookies). */
  mediaCredentials?: boolean;
  /** Where to start, in seconds (a link's `?t=`); a new value later seeks there. */
  startAt?: number | null;
  /** Start playing as soon as it can (browsers allow it muted, or after the person interacted with the site). */
  autoPlay?: boolean;
  /** Start muted (an embed's `?muted=1`, which lets `autoPlay` work everywhere). */
  startMuted?: boolean;
  /** Told the position as it plays (the share dialog offers a link to it). */
  onTimeChange?: (seconds: number) => void;
}

interface QualityLevel {
  index: number;
  label: string;
}

type LevelShape = Pick<Level, "width" | "height" | "bitrate" | "name">;

/** A rendition's name as people say it: by its short side, so a portrait 1080×1920 rung is "1080p", not "1920p". */
export function rungName(level: Pick<Level, "width" | "height" | "name">): string {
  const side = shortSide(level);
  return side ? `${side}p` : level.name || "level";
}

function shortSide({ width, height }: Pick<Level, "width" | "height">): number {
  return width && height ? Math.min(width, height) : height || 0;
}

export function levelLabel(level: LevelShape): string {
  const name = rungName(level);
  const rate = formatBitrate(level.bitrate);
  return rate ? `${name} · ${rate}` : name;
}

/** The quality menu's entries, best first (by short side, then bitrate), keeping hls.js's level indexes. */
export function qualityLevels(levels: LevelShape[]): QualityLevel[] {
  return levels
    .map((level, index) => ({ index, label: levelLabel(level), side: shortSide(level), bitrate: level.bitrate }))
    .sort((a, b) => b.side - a.side || b.bitrate - a.bitrate)
    .map(({ index, label }) => ({ index, label }));
}

/** Keys the player answers while nothing in particular has the focus. */
const IDLE_KEYS = new Set([" ", "k", "K", "ArrowLeft", "ArrowRight", "f", "F", "m", "M", "c", "C", "<", ">"]);

export function Player({
  masterUrl,
  posterUrl,
  thumbnailsUrl,
  duration,
  title,
  accessToken,
  reloadKey,
  mediaCredentials = false,
  startAt = null,
  autoPlay = false,
  startMuted = false,
  onTimeChange,
}: PlayerProps) {
  const videoRef = useRef<HTMLVideoElement>(null);
  const wrapRef = useRef<HTMLDivElement>(null);
  const hlsRef = useRef<Hls | null>(null);
  const tokenRef = useRef(accessToken);
  tokenRef.current = accessToken;
  const resumeAt = useRef(startAt ?? 0);

  const [playing, setPlaying] = useState(false);
  const [time, setTime] = useState(0);
  const [mediaDuration, setMediaDuration] = useState<number>(NaN);
  const [buffered, setBuffered] = useState(0);
  const [muted, setMuted] = useState(false);
  const [volume, setVolume] = useState(1);
  const [levels, setLevels] = useState<QualityLevel[]>([]);
  const [selected, setSelected] = useState(-1);
  const [autoLevel, setAutoLevel] = useState<number | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [hover, setHover] = useState<{ x: number; time: number } | null>(null);
  const [native, setNative] = useState(false);
  const [rate, setRate] = useState(1);
  const [fullscreen, setFullscreen] = useState(false);
  /** What a shortcut just did, for screen readers (the focus stays where it was). */
  const [announcement, setAnnouncement] = useState("");
  const cues = useStoryboard(thumbnailsUrl, accessToken);
  const captions = useCaptions();
  const { attachHls, attachNative } = captions;
  const helpId = useId();
  const speedId = useId();

  useEffect(() => {
    // Once, before the first source (muted must be set before play() for browsers to allow autoplay); after
    // that, muting is the viewer's.
    if (startMuted && videoRef.current) videoRef.current.muted = true;
  }, []); // eslint-disable-line react-hooks/exhaustive-deps

  useEffect(() => {
    const video = videoRef.current!;
    setError(null);
    setLevels([]);
    const source = apiUrl(masterUrl);
    const startPosition = resumeAt.current;
    if (Hls.isSupported()) {
      setNative(false);
      const hls = new Hls({
        // A playlist still being written is an EVENT playlist: start at the beginning, not the live edge.
        startPosition,
        // hls.js assumes 500 kbps before it has measured anything, which starts every video at the
        // lowest rung; assume a middling connection instead, and never fetch more pixels than the player shows.
        abrEwmaDefaultEstimate: 2_000_000,
        capLevelToPlayerSize: true,
        xhrSetup: (xhr, url) => prepareRequest(xhr, url, tokenRef.current, mediaCredentials),
      });
      hlsRef.current = hls;
      hls.on(Hls.Events.MANIFEST_PARSED, (_e, data) => {
        setLevels(qualityLevels(data.levels));
      });
      hls.on(Hls.Events.LEVEL_SWITCHED, (_e, data) => setAutoLevel(data.level));
      const detachCaptions = attachHls(hls);
      let mediaRecoveries = 0;
      hls.on(Hls.Events.ERROR, (_e, data) => {
        if (!data.fatal) return;
        if (data.type === Hls.ErrorTypes.MEDIA_ERROR && mediaRecoveries++ < 2) {
          hls.recoverMediaError();
        } else if (data.type === Hls.ErrorTypes.NETWORK_ERROR && data.details !== Hls.ErrorDetails.MANIFEST_LOAD_ERROR) {
          hls.startLoad();
        } else {
          setError(`The video could not be loaded (${data.details}).`);
        }
      });
      hls.loadSource(source);
      hls.attachMedia(video);
      return () => {
        resumeAt.current = video.currentTime || 0;
        detachCaptions();
        hls.destroy();
        hlsRef.current = null;
      };
    }
    if (video.canPlayType("application/vnd.apple.mpegurl")) {
      setNative(true);
      video.src = source;
      const seekStart = () => {
        if (startPosition > 0) video.currentTime = startPosition;
      };
      video.addEventListener("loadedmetadata", seekStart, { once: true });
      const detachCaptions = attachNative(video);
      return () => {
        resumeAt.current = video.currentTime || 0;
        detachCaptions();
        video.removeAttribute("src");
        video.load();
      };
    }
    setError("This browser cannot play HLS video.");
    return undefined;
  }, [masterUrl, reloadKey, mediaCredentials, attachHls, attachNative]);

  // A later link to another moment of the same video (`?t=` changed): go there.
  const firstStart = useRef(startAt);
  useEffect(() => {
    if (startAt == null || startAt === firstStart.current) return;
    firstStart.current = null;
    const v = videoRef.current;
    if (v) v.currentTime = startAt;
  }, [startAt]);

  const shownDuration = Number.isFinite(mediaDuration) && mediaDuration > 0 ? mediaDuration : (duration ?? 0);

  const togglePlay = useCallback(() => {
    const v = videoRef.current;
    if (!v) return;
    if (v.paused || v.ended) void v.play().catch((err: Error) => setError(`Cannot start playback: ${err.message}`));
    else v.pause();
  }, []);

  const seekTo = (to: number) => {
    const v = videoRef.current;
    if (!v) return;
    v.currentTime = to;
    setTime(to); // the slider and its aria-valuetext follow at once, not at the next timeupdate
  };

  const setVolumeTo = (to: number) => {
    const v = videoRef.current;
    if (!v) return;
    v.volume = to;
    v.muted = to === 0;
  };

  const setSpeed = (to: number) => {
    const v = videoRef.current;
    if (!v) return;
    // defaultPlaybackRate too: a reload of the source (processing -> ready) would otherwise reset it.
    v.defaultPlaybackRate = to;
    v.playbackRate = to;
  };

  const toggleMute = () => {
    const v = videoRef.current;
    if (v) v.muted = !v.muted;
  };

  const toggleFullscreen = () => {
    const el = wrapRef.current;
    if (!el) return;
    if (document.fullscreenElement) void document.exitFullscreen();
    else void el.requestFullscreen?.().catch(() => undefined);
  };

  useEffect(() => {
    const onChange = () => setFullscreen(document.fullscreenElement !== null && document.fullscreenElement === wrapRef.current);
    document.addEventListener("fullscreenchange", onChange);
    return () => document.removeEventListener("fullscreenchange", onChange);
  }, []);

  const chooseLevel = (index: number) => {
    setSelected(index);
    if (hlsRef.current) hlsRef.current.currentLevel = index;
  };

  const perform = (action: KeyAction, announce: boolean) => {
    const v = videoRef.current;
    switch (action.kind) {
      case "seek":
        seekTo(action.to);
        if (announce) setAnnouncement(`${formatDuration(action.to)} of ${formatDuration(shownDuration)}`);
        return;
      case "volume":
        setVolumeTo(action.to);
        setAnnouncement(action.to === 0 ? "Muted" : `Volume ${Math.round(action.to * 100)}%`);
        return;
      case "speed":
        setSpeed(action.to);
        setAnnouncement(`Speed ${speedLabel(action.to)}`);
        return;
      case "togglePlay":
        return togglePlay();
      case "toggleMute":
        if (v) setAnnouncement(v.muted ? "Sound on" : "Muted");
        return toggleMute();
      case "toggleFullscreen":
        return toggleFullscreen();
      case "toggleCaptions": {
        if (captions.entries.length === 0) return setAnnouncement("This video has no captions");
        const shown = captions.toggle();
        return setAnnouncement(shown ? `Captions: ${shown.label}` : "Captions off");
      }
    }
  };

  const keyState = () => {
    const v = videoRef.current;
    return { time: v?.currentTime ?? time, duration: shownDuration, volume: v?.volume ?? volume, rate: v?.playbackRate ?? rate };
  };

  /** Player shortcuts; returns whether the key was used. */
  const handleKey = (e: globalThis.KeyboardEvent | KeyboardEvent<HTMLDivElement>): boolean => {
    const target = e.target as HTMLElement;
    // Form controls keep their own keys (the seek bar handles its own, below; space on a focused button).
    if (target.closest?.("input, select, textarea, [contenteditable]")) return false;
    if (target.closest?.("button, a") && (e.key === " " || e.key === "Enter")) return false;
    if (e.altKey || e.ctrlKey || e.metaKey) return false;
    const action = keyAction(e.key, e.shiftKey, keyState());
    if (!action) return false;
    perform(action, true);
    return true;
  };

  /** The seek bar's keys: 5 s arrows (a native range input would move one `step`), and the player's other keys. */
  const onSeekKeyDown = (e: KeyboardEvent<HTMLInputElement>) => {
    if (e.altKey || e.ctrlKey || e.metaKey) return;
    const action = keyAction(e.key, e.shiftKey, keyState(), true);
    if (!action) return;
    e.preventDefault();
    e.stopPropagation();
    perform(action, false); // the slider's own aria-valuetext says where it is
  };
  const onKeyDown = (e: KeyboardEvent<HTMLDivElement>) => {
    if (handleKey(e)) e.preventDefault();
  };
  const handleKeyRef = useRef(handleKey);
  handleKeyRef.current = handleKey;
  useEffect(() => {
    // With nothing in particular focused (page just opened), the shortcuts still reach the player.
    const onWindowKey = (e: globalThis.KeyboardEvent) => {
      const t = e.target as HTMLElement;
      const idle = t === document.body || t === document.documentElement || t.id === "main";
      // Not ↑/↓, Page Up/Down, Home/End: with the player unfocused those still scroll the page.
      if (!e.defaultPrevented && idle && IDLE_KEYS.has(e.key) && handleKeyRef.current(e)) e.preventDefault();
    };
    window.addEventListener("keydown", onWindowKey);
    return () => window.removeEventListener("keydown", onWindowKey);
  }, []);

  const onSeekHover = (e: MouseEvent<HTMLDivElement>) => {
    const rect = e.currentTarget.getBoundingClientRect();
    if (rect.width <= 0 || !shownDuration) return;
    const frac = Math.max(0, Math.min(1, (e.clientX - rect.left) / rect.width));
    setHover({ x: frac * rect.width, time: frac * shownDuration });
  };

  const cue = hover ? cueAt(cues, hover.time) : null;
  // Just the rung's name: the select stays narrow enough for a phone's control bar.
  const autoLevelInfo = autoLevel != null ? hlsRef.current?.levels[autoLevel] : undefined;
  const autoLabel = autoLevelInfo ? rungName(autoLevelInfo) : null;

  return (
    <div
      className="player"
      ref={wrapRef}
      tabIndex={0}
      onKeyDown={onKeyDown}
      role="region"
      aria-label={`Video player: ${title}`}
      aria-describedby={helpId}
      data-testid="player"
    >
      <p id={helpId} className="visually-hidden">
        {KEY_HELP}
      </p>
      <div className="visually-hidden" aria-live="polite" data-testid="player-announcement">
        {announcement}
      </div>
      <video
        ref={videoRef}
        className="player-video"
        poster={posterUrl ?? undefined}
        playsInline
        autoPlay={autoPlay}
        preload={autoPlay ? "auto" : "metadata"}
        data-testid="player-video"
        aria-label={title}
        onClick={togglePlay}
        onDoubleClick={toggleFullscreen}
        onPlay={() => setPlaying(true)}
        onPause={() => setPlaying(false)}
        onEnded={() => setPlaying(false)}
        onTimeUpdate={(e) => {
          setTime(e.currentTarget.currentTime);
          onTimeChange?.(e.currentTarget.currentTime);
        }}
        onDurationChange={(e) => setMediaDuration(e.currentTarget.duration)}
        onProgress={(e) => {
          const b = e.currentTarget.buffered;
          setBuffered(b.length ? b.end(b.length - 1) : 0);
        }}
        onVolumeChange={(e) => {
          setMuted(e.currentTarget.muted);
          setVolume(e.currentTarget.volume);
        }}
        onRateChange={(e) => setRate(e.currentTarget.playbackRate)}
      />
      {error && (
        <div className="player-error" role="alert">
          {error}
        </div>
      )}
      <div className="player-controls">
        <button
          type="button"
          className="ctrl"
          onClick={togglePlay}
          aria-label={playing ? "Pause" : "Play"}
          title={playing ? "Pause (K)" : "Play (K)"}
          data-testid="play-button"
        >
          {playing ? <PauseIcon /> : <PlayIcon />}
        </button>
        <div className="seek" onMouseMove={onSeekHover} onMouseLeave={() => setHover(null)}>
          <div className="seek-buffered" style={{ width: shownDuration ? `${(buffered / shownDuration) * 100}%` : 0 }} />
          <input
            type="range"
            className="seek-input"
            min={0}
            max={shownDuration || 0}
            step="any"
            value={Math.min(time, shownDuration || 0)}
            onChange={(e) => seekTo(Number(e.target.value))}
            onKeyDown={onSeekKeyDown}
            aria-label="Seek"
            aria-valuetext={`${formatDuration(time)} of ${formatDuration(shownDuration)}`}
            data-testid="seek-bar"
          />
          {hover && (
            <div className="seek-preview" style={{ left: hover.x }} aria-hidden="true" data-testid="seek-preview">
              {cue && (
                <div
                  className="seek-thumb"
                  data-testid="storyboard-thumb"
                  style={{
                    width: cue.w,
                    height: cue.h,
                    backgroundImage: `url("${cue.url}")`,
                    backgroundPosition: `-${cue.x}px -${cue.y}px`,
                  }}
                />
              )}
              <span>{formatDuration(hover.time)}</span>
            </div>
          )}
        </div>
        <span className="time" aria-hidden="true">
          {formatDuration(time)} / {formatDuration(shownDuration)}
        </span>
        <button
          type="button"
          className="ctrl"
          onClick={toggleMute}
          aria-label={muted ? "Unmute" : "Mute"}
          title={muted ? "Unmute (M)" : "Mute (M)"}
          data-testid="mute-button"
        >
          <VolumeIcon muted={muted || volume === 0} />
        </button>
        <input
          type="range"
          className="volume"
          min={0}
          max={1}
          step={0.05}
          value={muted ? 0 : volume}
          onChange={(e) => {
            const v = videoRef.current;
            if (!v) return;
            v.volume = Number(e.target.value);
            v.muted = v.volume === 0;
          }}
          aria-label="Volume"
          aria-valuetext={muted ? "Muted" : `${Math.round(volume * 100)}%`}
        />
        <label className="visually-hidden" htmlFor={speedId}>
          Playback speed
        </label>
        <select
          id={speedId}
          className="quality speed"
          value={rate}
          onChange={(e) => setSpeed(Number(e.target.value))}
          data-testid="speed-menu"
          title="Playback speed"
        >
          {(SPEEDS.includes(rate as (typeof SPEEDS)[number]) ? SPEEDS : [...SPEEDS, rate].sort((a, b) => a - b)).map((s) => (
            <option key={s} value={s}>
              {s === 1 ? "1×" : `${s}×`}
            </option>
          ))}
        </select>
        <CaptionsMenu entries={captions.entries} selected={captions.selected} onChoose={captions.choose} />
        <label className="visually-hidden" htmlFor="quality-menu">
          Quality
        </label>
        <select
          id="quality-menu"
          className="quality"
          value={selected}
          onChange={(e) => chooseLevel(Number(e.target.value))}
          disabled={native || levels.length === 0}
          data-testid="quality-menu"
          title={native ? "The browser picks the quality" : "Quality"}
        >
          <option value={-1}>{autoLabel && selected === -1 ? `Auto (${autoLabel})` : "Auto"}</option>
          {levels.map((l) => (
            <option key={l.index} value={l.index}>
              {l.label}
            </option>
          ))}
        </select>
        <button
          type="button"
          className="ctrl"
          onClick={toggleFullscreen}
          aria-label={fullscreen ? "Exit fullscreen" : "Fullscreen"}
          title={fullscreen ? "Exit fullscreen (F)" : "Fullscreen (F)"}
          data-testid="fullscreen-button"
        >
          {fullscreen ? <ExitFullscreenIcon /> : <FullscreenIcon />}
        </button>
      </div>
    </div>
  );
}

/** Our own API (relative or same-origin) gets the bearer token; presigned storage URLs never do. */
/**
 * Credentials for one hls.js request: the bearer token only to our own API (never to storage or a CDN), and
 * cookies to the CDN when it grants access with signed cookies (its CORS answer then allows credentials).
 */
export function prepareRequest(
  xhr: Pick<XMLHttpRequest, "setRequestHeader" | "withCredentials">,
  url: string,
  token: string | null,
  mediaCredentials: boolean,
): void {
  if (isOwnApi(url)) {
    if (token) xhr.setRequestHeader("Authorization", `Bearer ${token}`);
  } else if (mediaCredentials) {
    xhr.withCredentials = true;
  }
}

function isOwnApi(url: string): boolean {
  try {
    const u = new URL(url, window.location.href);
    return u.origin === window.location.origin && u.pathname.startsWith("/api/");
  } catch {
    return false;
  }
}
