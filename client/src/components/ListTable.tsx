/**
 * A list shown as a table: nothing while it loads, a line of its own when it is empty, else a heading a column and a
 * row an item. The last column holds each row's buttons; its heading is for screen readers only.
 */
import type { ReactNode } from "react";

export function ListTable<T>({
  items,
  empty,
  columns,
  testId,
  row,
  footer,
}: {
  /** null while the list loads. */
  items: T[] | null | undefined;
  /** Said instead of the table when there is nothing to list. */
  empty: ReactNode;
  /** The headings of the columns before the buttons'. */
  columns: string[];
  testId: string;
  /** One item's <tr>, with its key. */
  row: (item: T) => ReactNode;
  /** Under the table, e.g. that it shows only the newest. */
  footer?: ReactNode;
}) {
  if (!items) return null;
  if (items.length === 0) return <p className="muted">{empty}</p>;
  return (
    <div className="table-wrap">
      <table className="table" data-testid={testId}>
        <thead>
          <tr>
            {columns.map((heading) => (
              <th scope="col" key={heading}>
                {heading}
              </th>
            ))}
            <th scope="col">
              <span className="visually-hidden">Actions</span>
            </th>
          </tr>
        </thead>
        <tbody>{items.map((item) => row(item))}</tbody>
      </table>
      {footer}
    </div>
  );
}
