/** Layout (header, navigation, main) and route-to-page mapping. */
import { lazy, Suspense, useEffect, useRef } from "react";
import { VerifyBanner } from "./account/VerifyBanner";
import { useAuth } from "./auth/AuthContext";
import { Account } from "./pages/Account";
import { Admin } from "./pages/Admin";
import { ForgotPassword } from "./pages/ForgotPassword";
import { MyVideos } from "./pages/MyVideos";
import { NotFound } from "./pages/NotFound";
import { PublicGallery } from "./pages/PublicGallery";
import { ResetPassword } from "./pages/ResetPassword";
import { SignIn } from "./pages/SignIn";
import { SignUp } from "./pages/SignUp";
import { Upload } from "./pages/Upload";
import { VerifyEmail } from "./pages/VerifyEmail";
import { Webhooks } from "./pages/Webhooks";
import { followLink, navigate, returnToFromSearch, routeHref, useRoute, type Route } from "./router";

// hls.js is most of the bundle; load it only when someone watches.
const Watch = lazy(() => import("./pages/Watch").then((m) => ({ default: m.Watch })));

export function App() {
  const route = useRoute();
  const auth = useAuth();
  const mainRef = useRef<HTMLElement>(null);

  useEffect(() => {
    // Move focus to the new page so screen readers announce it, as a full page load would.
    mainRef.current?.focus({ preventScroll: true });
    window.scrollTo?.(0, 0);
  }, [route.name, route.name === "watch" ? route.id : ""]);

  useEffect(() => {
    // Links to our own pages change the page in place (history routing), without a reload.
    document.addEventListener("click", followLink);
    return () => document.removeEventListener("click", followLink);
  }, []);

  const signedIn = auth.status === "signedIn";
  return (
    <>
      <a className="skip-link" href="#main" onClick={(e) => (e.preventDefault(), mainRef.current?.focus())}>
        Skip to content
      </a>
      <header className="topbar">
        <a className="brand" href="/" aria-label="VideoForge home">
          <span className="brand-mark" aria-hidden="true">▶</span> VideoForge
        </a>
        <nav aria-label="Main">
          <ul className="nav">
            {signedIn && <NavLink route={{ name: "home" }} current={route} label="My videos" />}
            {signedIn && <NavLink route={{ name: "upload" }} current={route} label="Upload" />}
            <NavLink route={{ name: "public" }} current={route} label="Public" />
            {auth.isAdmin && <NavLink route={{ name: "admin" }} current={route} label="Admin" />}
            {signedIn && <NavLink route={{ name: "webhooks" }} current={route} label="Webhooks" />}
            {signedIn && <NavLink route={{ name: "account" }} current={route} label="Account" />}
          </ul>
        </nav>
        <div className="account">
          {signedIn ? (
            <>
              <span className="account-email" data-testid="account-email">
                {auth.user?.email}
              </span>
              <button type="button" className="btn btn-small" onClick={auth.signOut} data-testid="sign-out">
                Sign out
              </button>
            </>
          ) : auth.status === "signedOut" && route.name !== "signin" ? (
            <a className="btn btn-small" href="/signin">
              Sign in
            </a>
          ) : null}
        </div>
      </header>
      <main id="main" ref={mainRef} tabIndex={-1}>
        {signedIn && route.name !== "verify" && <VerifyBanner />}
        <Page route={route} />
      </main>
    </>
  );
}

function NavLink({ route, current, label }: { route: Route; current: Route; label: string }) {
  const active = route.name === current.name;
  return (
    <li>
      <a href={routeHref(route)} aria-current={active ? "page" : undefined} className={active ? "active" : undefined}>
        {label}
      </a>
    </li>
  );
}

function Page({ route }: { route: Route }) {
  const { status } = useAuth();
  if (status === "loading") {
    return (
      <p className="muted" role="status">
        Loading…
      </p>
    );
  }
  const needsAuth =
    route.name === "home" || route.name === "upload" || route.name === "admin" || route.name === "account" ||
    route.name === "webhooks";
  if (needsAuth && status !== "signedIn") return <SignIn returnTo={window.location.pathname + window.location.search} />;
  switch (route.name) {
    case "home":
      return <MyVideos />;
    case "upload":
      return <Upload />;
    case "admin":
      return <Admin />;
    case "public":
      return <PublicGallery />;
    case "watch":
      return (
        <Suspense fallback={<p className="muted" role="status">Loading player…</p>}>
          <Watch key={route.id} id={route.id} />
        </Suspense>
      );
    case "signin": {
      const next = returnToFromSearch(window.location.search) ?? "/";
      if (status === "signedIn") return <Redirect to={next} />;
      return <SignIn returnTo={next} />;
    }
    case "signup":
      return <SignUp />;
    case "account":
      return <Account />;
    case "webhooks":
      return <Webhooks />;
    case "forgot":
      return <ForgotPassword />;
    case "reset":
      return <ResetPassword />;
    case "verify":
      return <VerifyEmail />;
    case "notFound":
      return <NotFound path={route.path} />;
  }
}

/** Goes to `to` once rendered (in place of the page being left, which history then skips). */
function Redirect({ to }: { to: string }) {
  useEffect(() => navigate(to, { replace: true }), [to]);
  return null;
}
