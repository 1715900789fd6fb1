/**
 * What the last action did, in a polite live region. The region stays in the page while it is empty (hidden, taking
 * no room) so that screen readers announce the next message.
 */
export function StatusNote({ message }: { message: string }) {
  return (
    <p role="status" className={message ? "muted small" : "visually-hidden"}>
      {message}
    </p>
  );
}
