/** Entry point of the embed page (/embed/<id>): the player alone, for other sites' frames; no sign-in, no app. */
import { StrictMode } from "react";
import { createRoot } from "react-dom/client";
import { Embed, embedOptions } from "./Embed";
import "../styles.css";

createRoot(document.getElementById("root")!).render(
  <StrictMode>
    <Embed {...embedOptions(window.location.pathname, window.location.search)} />
  </StrictMode>,
);
