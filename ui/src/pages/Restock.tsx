import { useEffect, useRef, useState } from "preact/hooks";
import type { Api, BelowMinimum } from "../api";
import { describe } from "../messages";

interface Props {
  api: Api;
  schema: string;
  onOpen: (key: string) => void;
}

/**
 * What to restock: every location holding less of an item than its minimum, with how many to
 * order to reach it, a page at a time. An item opens its page, where stock is received.
 */
export function Restock({ api, schema, onOpen }: Props) {
  const [items, setItems] = useState<BelowMinimum[] | null>(null);
  const [next, setNext] = useState<string | null>(null);
  const [failure, setFailure] = useState<string | null>(null);
  const [attempt, setAttempt] = useState(0);
  const heading = useRef<HTMLHeadingElement>(null);

  useEffect(() => {
    let current = true;
    setFailure(null);
    setItems(null);
    api
      .belowMinimum(schema)
      .then((page) => {
        if (current) {
          setItems(page.items);
          setNext(page.nextCursor);
        }
      })
      .catch((error: unknown) => current && setFailure(describe(error)));
    return () => {
      current = false;
    };
  }, [api, schema, attempt]);
  useEffect(() => heading.current?.focus(), []);
  const more = async () => {
    if (next === null) {
      return;
    }
    try {
      const page = await api.belowMinimum(schema, next);
      setItems((shown) => [...(shown ?? []), ...page.items]);
      setNext(page.nextCursor);
    } catch (error) {
      setFailure(describe(error));
    }
  };

  return (
    <section id="amj-restock" data-state={items ? "ready" : "loading"}>
      <h1 id="amj-restock-title" ref={heading} tabIndex={-1}>
        Restock
      </h1>
      {failure && (
        <div class="amj-error" role="alert">
          <p>Could not load what to restock: {failure}</p>
          <button type="button" class="amj-button" onClick={() => setAttempt((n) => n + 1)}>
            Retry
          </button>
        </div>
      )}
      {items === null && !failure && <p class="amj-subtle">Loading…</p>}
      {items !== null && items.length === 0 && (
        <p class="amj-subtle" id="amj-restock-empty">
          Nothing is below its minimum. Minimums are set per item and location, on the item's page.
        </p>
      )}
      {items !== null && items.length > 0 && (
        <table class="amj-table" id="amj-restock-table">
          <caption>Locations below their minimum</caption>
          <thead>
            <tr>
              <th scope="col">Item</th>
              <th scope="col">Location</th>
              <th scope="col">Quantity</th>
              <th scope="col">Minimum</th>
              <th scope="col">To order</th>
            </tr>
          </thead>
          <tbody>
            {items.map((row) => (
              <tr key={`${row.item}/${row.location}`} data-item={row.item}>
                <td>
                  <button
                    type="button"
                    class="amj-link-button"
                    data-open={row.item}
                    onClick={() => onOpen(row.item)}
                  >
                    {row.item}
                  </button>{" "}
                  {row.itemLabel}
                </td>
                <td>
                  {row.location} <span class="amj-subtle">{row.locationLabel}</span>
                </td>
                <td>{row.quantity}</td>
                <td>{row.minimum}</td>
                <td>{row.short}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      {next !== null && (
        <button type="button" class="amj-button" onClick={() => void more()}>
          Show more
        </button>
      )}
    </section>
  );
}
