/** PKCE helpers, and the hosted-UI round trip against a loopback token endpoint. */
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { afterEach, describe, expect, it } from "vitest";
import {
  base64url,
  beginSignIn,
  buildLogoutUrl,
  challengeS256,
  completeSignIn,
  isCallback,
  randomUrlSafe,
  type CognitoConfig,
} from "../src/auth/pkce";
import { MemoryStorage } from "./memoryStorage";

const config = (tokenUrl = "https://auth.example/oauth2/token"): CognitoConfig => ({
  flow: "cognito",
  authorize_url: "https://auth.example/oauth2/authorize",
  token_url: tokenUrl,
  client_id: "client-123",
  redirect_uri: "https://app.example/",
  logout_url: "https://auth.example/logout",
  scopes: ["openid", "email", "profile"],
});

let close: (() => void) | null = null;
afterEach(() => close?.());

describe("PKCE", () => {
  it("matches the RFC 7636 appendix B example", async () => {
    expect(await challengeS256("dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk")).toBe(
      "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM",
    );
  });

  it("makes URL-safe verifiers of a legal length", () => {
    const v = randomUrlSafe();
    expect(v).toMatch(/^[A-Za-z0-9_-]{43,128}$/);
    expect(randomUrlSafe()).not.toBe(v);
    expect(base64url(new Uint8Array([251, 255, 191]))).toBe("-_-_");
  });

  it("round trip: authorize URL carries S256 challenge and state; the exchange posts the matching verifier", async () => {
    let posted: URLSearchParams | null = null;
    const server = createServer((req, res) => {
      let body = "";
      req.on("data", (c) => (body += c));
      req.on("end", () => {
        posted = new URLSearchParams(body);
        res.writeHead(200, { "Content-Type": "application/json" });
        res.end(JSON.stringify({ access_token: "a", id_token: "i", refresh_token: "r", expires_in: 3600 }));
      });
    });
    await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
    close = () => server.close();
    const cfg = config(`http://127.0.0.1:${(server.address() as AddressInfo).port}/oauth2/token`);
    const storage = new MemoryStorage();

    const authorize = new URL(await beginSignIn(cfg, storage, "/upload"));
    const q = authorize.searchParams;
    expect(q.get("response_type")).toBe("code");
    expect(q.get("client_id")).toBe("client-123");
    expect(q.get("redirect_uri")).toBe("https://app.example/");
    expect(q.get("scope")).toBe("openid email profile");
    expect(q.get("code_challenge_method")).toBe("S256");

    const search = `?code=the-code&state=${q.get("state")}`;
    expect(isCallback(search)).toBe(true);
    const { tokens, returnTo } = await completeSignIn(cfg, storage, search);
    expect(tokens.access_token).toBe("a");
    expect(returnTo).toBe("/upload");
    const form = posted!;
    expect(form.get("grant_type")).toBe("authorization_code");
    expect(form.get("code")).toBe("the-code");
    expect(await challengeS256(form.get("code_verifier")!)).toBe(q.get("code_challenge"));
    // The pending sign-in is single use.
    await expect(completeSignIn(cfg, storage, search)).rejects.toThrow(/state mismatch/);
  });

  it("rejects a redirect whose state we never issued", async () => {
    const storage = new MemoryStorage();
    await beginSignIn(config(), storage, "/");
    await expect(completeSignIn(config(), storage, "?code=x&state=forged")).rejects.toThrow(/state mismatch/);
  });

  it("reports an error the authorization server sent back", async () => {
    const storage = new MemoryStorage();
    const url = new URL(await beginSignIn(config(), storage, "/"));
    const search = `?error=access_denied&error_description=User+said+no&state=${url.searchParams.get("state")}`;
    await expect(completeSignIn(config(), storage, search)).rejects.toThrow(/User said no/);
  });

  it("builds the logout URL", () => {
    const url = new URL(buildLogoutUrl(config(), "https://app.example/")!);
    expect(url.searchParams.get("client_id")).toBe("client-123");
    expect(url.searchParams.get("logout_uri")).toBe("https://app.example/");
  });
});
