/** The signed-in person's account: address (verification, change), password, deletion. Local issuer only. */
import { DeleteSection } from "../account/DeleteSection";
import { EmailSection } from "../account/EmailSection";
import { PasswordSection } from "../account/PasswordSection";
import { useAuth } from "../auth/AuthContext";
import { useDocumentTitle } from "../hooks";

export function Account() {
  useDocumentTitle("Account");
  const { config, user } = useAuth();
  if (config?.flow === "cognito") {
    return (
      <section aria-labelledby="account-heading">
        <h1 id="account-heading">Account</h1>
        <p>
          You are signed in as <strong>{user?.email ?? "a Cognito user"}</strong>. Your password, address and account
          are managed on the sign-in page of your organisation.
        </p>
      </section>
    );
  }
  return (
    <section className="account-page" aria-labelledby="account-heading">
      <h1 id="account-heading">Account</h1>
      <EmailSection />
      <PasswordSection />
      <DeleteSection />
    </section>
  );
}
