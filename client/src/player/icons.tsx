/** Inline SVG icons for the player controls (no icon font or emoji font needed). */

const props = { width: 20, height: 20, viewBox: "0 0 24 24", fill: "currentColor", "aria-hidden": true, focusable: false } as const;

export const PlayIcon = () => (
  <svg {...props}>
    <path d="M8 5v14l11-7z" />
  </svg>
);

export const PauseIcon = () => (
  <svg {...props}>
    <path d="M7 5h4v14H7zM13 5h4v14h-4z" />
  </svg>
);

export const VolumeIcon = ({ muted }: { muted: boolean }) => (
  <svg {...props}>
    <path d="M4 9v6h4l5 4V5L8 9z" />
    {muted ? (
      <path d="M16 9l5 5m0-5l-5 5" stroke="currentColor" strokeWidth="2" fill="none" />
    ) : (
      <path d="M16 8.5a5 5 0 0 1 0 7M18.5 6a8.5 8.5 0 0 1 0 12" stroke="currentColor" strokeWidth="2" fill="none" />
    )}
  </svg>
);

export const FullscreenIcon = () => (
  <svg {...props}>
    <path d="M4 9V4h5M15 4h5v5M20 15v5h-5M9 20H4v-5" stroke="currentColor" strokeWidth="2" fill="none" />
  </svg>
);

export const ExitFullscreenIcon = () => (
  <svg {...props}>
    <path d="M9 4v5H4M20 9h-5V4M15 20v-5h5M4 15h5v5" stroke="currentColor" strokeWidth="2" fill="none" />
  </svg>
);
