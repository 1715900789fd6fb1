/** React side of sign-in: loads the flow from /api/auth/config, owns the TokenSession, exposes the user. */
import { createContext, useCallback, useContext, useEffect, useMemo, useRef, useState, type ReactNode } from "react";
import { api, ApiError, setAuthHooks } from "../api/client";
import type { AuthConfig, Me, TokenResponse } from "../api/types";
import { currentHref, navigate, ownPage } from "../router";
import { beginSignIn, buildLogoutUrl, completeSignIn, isCallback, refreshWithCognito } from "./pkce";
import { TokenSession } from "./session";

export type AuthStatus = "loading" | "signedOut" | "signedIn";

export interface AuthValue {
  status: AuthStatus;
  config: AuthConfig | null;
  /** Set when /api/auth/config could not be loaded; the local form is shown as a fallback. */
  configError: string | null;
  /** Set when a hosted-UI redirect could not be completed. */
  callbackError: string | null;
  user: Me | null;
  isAdmin: boolean;
  accessToken: string | null;
  signIn(email: string, password: string, code?: string): Promise<void>;
  signUp(email: string, password: string): Promise<void>;
  startHostedSignIn(returnTo?: string): Promise<void>;
  signOut(): void;
  /** Reads /me again (after the address was verified or changed). */
  reloadUser(): Promise<void>;
  /** Keeps tokens the server handed this session (a password change signs every other one out). */
  adoptTokens(tokens: TokenResponse): void;
  /** Forgets this tab's tokens without asking the server (they were revoked already, or the account is gone). */
  forgetSession(): void;
}

const AuthContext = createContext<AuthValue | null>(null);

/** The local issuer answers 401 with errors.mfa = "required" when a TOTP code is needed. */
export function isMfaRequired(err: unknown): boolean {
  return err instanceof ApiError && err.status === 401 && /required/i.test(err.fieldErrors.mfa ?? "");
}

export function groupsOf(user: Me | null): string[] {
  if (!user) return [];
  const groups = user.groups ?? user["cognito:groups"] ?? [];
  return Array.isArray(groups) ? groups : [];
}

function sessionStore(): Storage | null {
  try {
    return window.sessionStorage;
  } catch {
    return null;
  }
}

export function AuthProvider({ children }: { children: ReactNode }) {
  const [status, setStatus] = useState<AuthStatus>("loading");
  const [config, setConfig] = useState<AuthConfig | null>(null);
  const [configError, setConfigError] = useState<string | null>(null);
  const [callbackError, setCallbackError] = useState<string | null>(null);
  const [user, setUser] = useState<Me | null>(null);
  const [accessToken, setAccessToken] = useState<string | null>(null);
  const sessionRef = useRef<TokenSession | null>(null);
  const started = useRef(false);

  const loadMe = useCallback(async () => {
    try {
      const me = await api<Me>("/api/auth/me");
      setUser(me);
      setStatus("signedIn");
    } catch (err) {
      if (err instanceof ApiError && (err.status === 401 || err.status === 403)) sessionRef.current?.clear();
      else setStatus(sessionRef.current?.current ? "signedIn" : "signedOut");
    }
  }, []);

  useEffect(() => {
    // StrictMode runs effects twice in development; the PKCE callback must be consumed once.
    if (started.current) return;
    started.current = true;
    void (async () => {
      let cfg: AuthConfig;
      try {
        cfg = await api<AuthConfig>("/api/auth/config", { auth: false });
      } catch (err) {
        cfg = { flow: "local" };
        const why = err instanceof ApiError ? ` (${err.status ? `server answered ${err.status}` : err.message})` : "";
        setConfigError(`Could not load the sign-in settings${why}.`);
      }
      setConfig(cfg);
      const session = new TokenSession({
        storage: sessionStore(),
        refresher: (refreshToken) =>
          cfg.flow === "cognito"
            ? refreshWithCognito(cfg, refreshToken)
            : api<TokenResponse>("/api/auth/refresh", { auth: false, body: { refresh_token: refreshToken } }),
        onChange: (tokens) => {
          setAccessToken(tokens?.accessToken ?? null);
          if (!tokens) {
            setUser(null);
            setStatus("signedOut");
          }
        },
      });
      sessionRef.current = session;
      setAuthHooks({
        getAccessToken: () => session.getAccessToken(),
        refreshAfterUnauthorized: () => session.refresh(),
      });

      const storage = sessionStore();
      if (cfg.flow === "cognito" && storage && isCallback(window.location.search)) {
        try {
          const { tokens, returnTo } = await completeSignIn(cfg, storage, window.location.search);
          session.set(tokens);
          navigate(ownPage(returnTo) ?? "/", { replace: true });
        } catch (err) {
          setCallbackError((err as Error).message);
          navigate("/signin", { replace: true });
        }
      } else if (session.restore()) {
        setAccessToken(session.current?.accessToken ?? null);
      }
      if (session.current) await loadMe();
      else setStatus("signedOut");
    })();
  }, [loadMe]);

  useEffect(() => () => sessionRef.current?.dispose(), []);

  const signIn = useCallback(
    async (email: string, password: string, code?: string) => {
      const body: Record<string, string> = { email, password };
      if (code) body.code = code;
      const tokens = await api<TokenResponse>("/api/auth/token", { auth: false, body });
      sessionRef.current!.set(tokens);
      await loadMe();
    },
    [loadMe],
  );

  const signUp = useCallback(
    async (email: string, password: string) => {
      await api("/api/auth/signup", { auth: false, body: { email, password } });
      await signIn(email, password);
    },
    [signIn],
  );

  const startHostedSignIn = useCallback(
    async (returnTo = currentHref()) => {
      if (config?.flow !== "cognito") return;
      const url = await beginSignIn(config, sessionStore() ?? window.sessionStorage, returnTo);
      window.location.assign(url);
    },
    [config],
  );

  const adoptTokens = useCallback((tokens: TokenResponse) => {
    sessionRef.current?.set(tokens);
  }, []);

  const forgetSession = useCallback(() => {
    sessionRef.current?.clear();
  }, []);

  const signOut = useCallback(() => {
    const refreshToken = sessionRef.current?.current?.refreshToken;
    if (config?.flow === "local" && refreshToken) {
      // Revoke server-side too, so a copied refresh token dies with the session; failure is harmless.
      void api("/api/auth/signout", { auth: false, body: { refresh_token: refreshToken } }).catch(() => undefined);
    }
    sessionRef.current?.clear();
    if (config?.flow === "cognito") {
      // The sign-out URL registered with Cognito is the site's root, whatever page signs out.
      const url = buildLogoutUrl(config, `${window.location.origin}/`);
      if (url) window.location.assign(url);
    }
    navigate("/signin");
  }, [config]);

  const value = useMemo<AuthValue>(
    () => ({
      status,
      config,
      configError,
      callbackError,
      user,
      isAdmin: groupsOf(user).includes("admin"),
      accessToken,
      signIn,
      signUp,
      startHostedSignIn,
      signOut,
      reloadUser: loadMe,
      adoptTokens,
      forgetSession,
    }),
    [
      status,
      config,
      configError,
      callbackError,
      user,
      accessToken,
      signIn,
      signUp,
      startHostedSignIn,
      signOut,
      loadMe,
      adoptTokens,
      forgetSession,
    ],
  );
  return <AuthContext.Provider value={value}>{children}</AuthContext.Provider>;
}

export function useAuth(): AuthValue {
  const value = useContext(AuthContext);
  if (!value) throw new Error("useAuth must be used inside <AuthProvider>");
  return value;
}
