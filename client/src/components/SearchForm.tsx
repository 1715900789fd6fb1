/** A search box whose words live in the address (`?q=`), so a search can be shared, bookmarked and gone back to. */
import { useEffect, useId, useState, type FormEvent } from "react";
import { navigate, withSearchParam } from "../router";

export function SearchForm({ query, label }: { query: string; label: string }) {
  const id = useId();
  const [text, setText] = useState(query);
  // Back and forward change the address: the box follows it.
  useEffect(() => setText(query), [query]);

  const go = (words: string) => navigate(withSearchParam(window.location.pathname + window.location.search, "q", words));
  const onSubmit = (e: FormEvent) => {
    e.preventDefault();
    go(text);
  };

  return (
    <form className="search" role="search" onSubmit={onSubmit} data-testid="search-form">
      <label className="visually-hidden" htmlFor={id}>
        {label}
      </label>
      <input
        id={id}
        type="search"
        name="q"
        value={text}
        placeholder="Titles, descriptions, captions"
        onChange={(e) => setText(e.target.value)}
        data-testid="search-input"
      />
      <button type="submit" className="btn">
        Search
      </button>
      {query && (
        <button type="button" className="btn btn-link" onClick={() => go("")}>
          Clear search
        </button>
      )}
    </form>
  );
}

/** "3 videos match “harbour”", for the status line under the box. */
export function resultsSummary(total: number, query: string): string {
  if (total === 0) return `No videos match “${query}”.`;
  return `${total} video${total === 1 ? "" : "s"} match${total === 1 ? "es" : ""} “${query}”.`;
}
