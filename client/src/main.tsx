/** Entry point: mounts the app with its auth and upload providers. */
import { StrictMode } from "react";
import { createRoot } from "react-dom/client";
import { App } from "./App";
import { AuthProvider } from "./auth/AuthContext";
import { UploadsProvider } from "./upload/UploadsContext";
import "./styles.css";

createRoot(document.getElementById("root")!).render(
  <StrictMode>
    <AuthProvider>
      <UploadsProvider>
        <App />
      </UploadsProvider>
    </AuthProvider>
  </StrictMode>,
);
