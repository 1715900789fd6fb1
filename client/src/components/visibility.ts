/** The visibility choices with the words people see for them. */
import type { Visibility } from "../api/types";

export const VISIBILITY_OPTIONS: { value: Visibility; label: string }[] = [
  { value: "private", label: "Private — only you" },
  { value: "unlisted", label: "Unlisted — anyone with the link" },
  { value: "public", label: "Public — listed in the gallery" },
  { value: "password", label: "Password — anyone with the link and the password" },
];
