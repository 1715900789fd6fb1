/** Any route the app does not know: says so, in the tab's title too. */
import { useDocumentTitle } from "../hooks";

export function NotFound({ path }: { path: string }) {
  useDocumentTitle("Page not found");
  return (
    <section aria-labelledby="not-found-heading">
      <h1 id="not-found-heading">Page not found</h1>
      <p>
        Nothing lives at <code>{path}</code>. <a href="/">Go home</a> or <a href="/public">browse public videos</a>.
      </p>
    </section>
  );
}
