/** On every page while uploads wait for a verified address (AUTH_EMAIL_VERIFICATION=required). */
import { useEffect } from "react";
import { useAuth } from "../auth/AuthContext";
import { uploadsNeedVerification } from "./forms";

export function VerifyBanner() {
  const { config, user, reloadUser } = useAuth();
  const shown = uploadsNeedVerification(config, user);

  useEffect(() => {
    // The link is often opened in another tab: coming back to this one asks the server again.
    if (!shown) return;
    const recheck = () => document.visibilityState !== "hidden" && void reloadUser();
    window.addEventListener("focus", recheck);
    document.addEventListener("visibilitychange", recheck);
    return () => {
      window.removeEventListener("focus", recheck);
      document.removeEventListener("visibilitychange", recheck);
    };
  }, [shown, reloadUser]);

  if (!shown) return null;
  return (
    <div className="notice notice-warn verify-banner" role="status" data-testid="verify-banner">
      <p>
        Verify your email address to upload videos: open the link we sent to <strong>{user?.email}</strong>, or{" "}
        <a href="/account">send a new one</a>.
      </p>
    </div>
  );
}
