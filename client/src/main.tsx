/** Entry point: mounts the app with its auth and upload providers. */
import { StrictMode } from "react";
import { createRoot } from "react-dom/client";
import { App } from "./App";
import { AuthProvider } from "./auth/AuthContext";
import { redirectLegacyHash } from "./router";
import { UploadsProvider } from "./upload/UploadsContext";
import "./styles.css";

// A link from before history routing (/#/watch/abc) opens its page at its own address (/watch/abc).
redirectLegacyHash();

createRoot(document.getElementById("root")!).render(
  <StrictMode>
    <AuthProvider>
      <UploadsProvider>
        <App />
      </UploadsProvider>
    </AuthProvider>
  </StrictMode>,
);
