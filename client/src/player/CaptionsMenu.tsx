/** The player's CC menu: Off and each caption track, a native select like the speed and quality menus. */
import { useId } from "react";
import { CAPTIONS_OFF, type CaptionEntry } from "./captions";

export function CaptionsMenu({
  entries,
  selected,
  onChoose,
}: {
  entries: CaptionEntry[];
  selected: number;
  onChoose: (index: number) => void;
}) {
  const id = useId();
  // A video without tracks has no menu (an empty one would only be in the way of the keyboard).
  if (entries.length === 0) return null;
  return (
    <>
      <label className="visually-hidden" htmlFor={id}>
        Captions
      </label>
      <select
        id={id}
        className="quality captions"
        value={selected}
        onChange={(e) => onChoose(Number(e.target.value))}
        data-testid="captions-menu"
        title="Captions (C)"
      >
        <option value={CAPTIONS_OFF}>CC off</option>
        {entries.map((entry) => (
          <option key={entry.index} value={entry.index}>
            {entry.label}
          </option>
        ))}
      </select>
    </>
  );
}
