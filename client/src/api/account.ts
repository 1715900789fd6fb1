/** The local issuer's account endpoints: recovery by mailed link, verification, password, address, deletion. */
import { api } from "./client";
import type { Me, TokenResponse } from "./types";

export interface Accepted {
  message: string;
}

export const forgotPassword = (email: string) =>
  api<Accepted>("/api/auth/password/forgot", { auth: false, body: { email } });

export const resetPassword = (token: string, password: string) =>
  api<null>("/api/auth/password/reset", { auth: false, body: { token, password } });

export const verifyEmail = (token: string) => api<Me>("/api/auth/email/verify", { auth: false, body: { token } });

export const resendVerification = () => api<Accepted>("/api/auth/email/verify/resend", { method: "POST" });

/** New tokens for this session: every other one was signed out. */
export const changePassword = (currentPassword: string, newPassword: string) =>
  api<TokenResponse>("/api/auth/password/change", {
    body: { current_password: currentPassword, new_password: newPassword },
  });

export const changeEmail = (password: string, email: string) =>
  api<Accepted>("/api/auth/email/change", { body: { password, email } });

export const deleteAccount = (password: string) =>
  api<null>("/api/auth/account", { method: "DELETE", body: { password } });
