/** The signed-in person's account: address (verification, change), password, deletion (local issuer only), and API
 * keys (with Cognito too: keys are checked against this server's database). */
import { DeleteSection } from "../account/DeleteSection";
import { EmailSection } from "../account/EmailSection";
import { PasswordSection } from "../account/PasswordSection";
import { ApiKeysSection } from "../keys/ApiKeysSection";
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
        <ApiKeysSection />
      </section>
    );
  }
  return (
    <section className="account-page" aria-labelledby="account-heading">
      <h1 id="account-heading">Account</h1>
      <EmailSection />
      <PasswordSection />
      <ApiKeysSection />
      <DeleteSection />
    </section>
  );
}
