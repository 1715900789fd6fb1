/** "12 of 200 characters" under a title field; past the limit it says by how much, in the error colour. */
import { characters } from "./rules";

export function TitleCounter({ title, max }: { title: string; max: number }) {
  const used = characters(title.trim());
  const over = used - max;
  return (
    <span className={over > 0 ? "counter counter-over" : "counter"} data-testid="title-counter">
      {over > 0 ? `${used} of ${max} characters: ${over} too many` : `${used} of ${max} characters`}
    </span>
  );
}
