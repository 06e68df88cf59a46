import { useEffect, useRef, useState } from "preact/hooks";
import type { Api, HeldAsset, MyAssets } from "../api";
import { HolderText, holderAccounts, isOverdue } from "../components/Custody";
import { RequestQueue } from "../components/Requests";
import type { Formats } from "../format";
import { describe } from "../messages";
import { usePeople } from "../people";
import type { CustodyList } from "../query";
import { Bookings } from "./Bookings";
import { Kits } from "./Kits";
import { LicenceCompliance } from "./LicenceCompliance";
import { Restock } from "./Restock";

interface Props {
  api: Api;
  formats: Formats;
  list: CustodyList;
  /** The schema the page shows, for licence compliance. */
  schema?: string | null;
  /** The signed-in person, whom a booking is for unless another is chosen. */
  viewer?: string | null;
  onOpen: (key: string) => void;
}

type HeldList = Exclude<CustodyList, "licences" | "restock" | "kits" | "requests" | "bookings">;

const TITLES: Record<HeldList, string> = {
  mine: "My assets",
  overdue: "Overdue",
};

/** The lists beside the asset list and the dashboard, in one chunk fetched on demand. */
export function CustodyLists({ api, formats, list, schema, viewer, onOpen }: Props) {
  if (list === "bookings") {
    return schema === null || schema === undefined ? (
      <p class="amj-subtle">Choose a schema to see its bookings.</p>
    ) : (
      <Bookings
        api={api}
        schema={schema}
        formats={formats}
        viewer={viewer ?? null}
        onOpen={onOpen}
      />
    );
  }
  if (list === "licences") {
    return schema === null || schema === undefined ? (
      <p class="amj-subtle">Choose a schema to see its licences.</p>
    ) : (
      <LicenceCompliance api={api} schema={schema} formats={formats} onOpen={onOpen} />
    );
  }
  if (list === "kits") {
    return schema === null || schema === undefined ? (
      <p class="amj-subtle">Choose a schema to see its kits.</p>
    ) : (
      <Kits api={api} schema={schema} />
    );
  }
  if (list === "requests") {
    return schema === null || schema === undefined ? (
      <p class="amj-subtle">Choose a schema to see its requests.</p>
    ) : (
      <RequestQueue api={api} schema={schema} formats={formats} onOpen={onOpen} />
    );
  }
  if (list === "restock") {
    return schema === null || schema === undefined ? (
      <p class="amj-subtle">Choose a schema to see what to restock.</p>
    ) : (
      <Restock api={api} schema={schema} onOpen={onOpen} />
    );
  }
  return <HeldAssets api={api} formats={formats} list={list} onOpen={onOpen} />;
}

/**
 * "My assets" (what the signed-in person holds, with what rides on it) and the overdue list
 * (every schema, most overdue first, a page at a time).
 */
function HeldAssets({
  api,
  formats,
  list,
  onOpen,
}: {
  api: Api;
  formats: Formats;
  list: HeldList;
  onOpen: (key: string) => void;
}) {
  const [items, setItems] = useState<HeldAsset[] | null>(null);
  // "My assets" only: the seats and stock the person has besides check-outs.
  const [extras, setExtras] = useState<Pick<MyAssets, "seats" | "stock">>({ seats: [], stock: [] });
  const [next, setNext] = useState<string | null>(null);
  const [failure, setFailure] = useState<string | null>(null);
  const [attempt, setAttempt] = useState(0);
  const heading = useRef<HTMLHeadingElement>(null);
  const [loadingMore, setLoadingMore] = useState(false);
  // Which list a "Show more" answer belongs to: one that comes back after a switch is dropped.
  const shown = useRef(list);
  shown.current = list;

  useEffect(() => {
    let current = true;
    setItems(null);
    setFailure(null);
    const load =
      list === "mine"
        ? api.myAssets().then((found) => {
            if (current) {
              setExtras({ seats: found.seats, stock: found.stock });
            }
            return { items: found.items, nextCursor: null };
          })
        : api.overdue();
    load
      .then((page) => {
        if (current) {
          setItems(page.items);
          setNext(page.nextCursor);
        }
      })
      .catch((error: unknown) => {
        if (current) {
          setFailure(`Could not load ${TITLES[list].toLowerCase()}: ${describe(error)}`);
        }
      });
    return () => {
      current = false;
    };
  }, [api, list, attempt]);
  useEffect(() => heading.current?.focus(), [list]);
  const people = usePeople(
    api,
    (items ?? []).flatMap((i) => [...holderAccounts([i.custody.holder]), i.custody.by]),
  );
  const more = async () => {
    if (next === null || loadingMore) {
      return;
    }
    const asked = list;
    setLoadingMore(true);
    try {
      const page = await api.overdue(next);
      if (shown.current === asked) {
        setItems((current) => [...(current ?? []), ...page.items]);
        setNext(page.nextCursor);
      }
    } catch (error) {
      setFailure(`Could not load more: ${describe(error)}`);
    } finally {
      setLoadingMore(false);
    }
  };

  return (
    <section id="amj-custody-list" data-list={list} data-state={items ? "ready" : "loading"}>
      <h1 id="amj-custody-list-title" ref={heading} tabIndex={-1}>
        {TITLES[list]}
      </h1>
      {failure && (
        <div class="amj-error" role="alert">
          <p>{failure}</p>
          <button type="button" class="amj-button" onClick={() => setAttempt((n) => n + 1)}>
            Retry
          </button>
        </div>
      )}
      {items === null && !failure && <p class="amj-subtle">Loading…</p>}
      {items !== null &&
        items.length === 0 &&
        (list !== "mine" || extras.seats.length + extras.stock.length === 0) && (
          <p class="amj-subtle" id="amj-custody-empty">
            {list === "mine" ? "You hold no assets." : "Nothing is overdue."}
          </p>
        )}
      {items !== null && items.length > 0 && (
        <table class="amj-table" id="amj-custody-table">
          <caption class="amj-visually-hidden">{TITLES[list]}</caption>
          <thead>
            <tr>
              <th scope="col">Asset</th>
              <th scope="col">Holder</th>
              <th scope="col">Since</th>
              <th scope="col">Due</th>
              <th scope="col">Issue</th>
            </tr>
          </thead>
          <tbody>
            {items.map((item) => (
              <tr key={item.asset} data-asset={item.asset}>
                <td>
                  <button
                    type="button"
                    class="amj-link-button"
                    data-open={item.asset}
                    onClick={() => onOpen(item.asset)}
                  >
                    {item.asset}
                  </button>{" "}
                  {item.label}
                </td>
                <td>
                  <HolderText holder={item.custody.holder} people={people} />
                </td>
                <td>{formats.dateTime(item.custody.since)}</td>
                <td>
                  {item.custody.due ?? <span class="amj-subtle">—</span>}
                  {isOverdue(item.custody.due) && (
                    <>
                      {" "}
                      <span class="amj-lozenge amj-status-retired">Overdue</span>
                    </>
                  )}
                </td>
                <td>{item.custody.issue ?? <span class="amj-subtle">—</span>}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      {list === "mine" && items !== null && extras.seats.length > 0 && (
        <table class="amj-table" id="amj-my-seats">
          <caption>Licence seats</caption>
          <thead>
            <tr>
              <th scope="col">Licence</th>
              <th scope="col">Since</th>
            </tr>
          </thead>
          <tbody>
            {extras.seats.map((seat) => (
              <tr key={seat.licence} data-asset={seat.licence}>
                <td>
                  <button
                    type="button"
                    class="amj-link-button"
                    data-open={seat.licence}
                    onClick={() => onOpen(seat.licence)}
                  >
                    {seat.licence}
                  </button>{" "}
                  {seat.label}
                </td>
                <td>{formats.dateTime(seat.assignedAt)}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      {list === "mine" && items !== null && extras.stock.length > 0 && (
        <table class="amj-table" id="amj-my-stock">
          <caption>Lent to you</caption>
          <thead>
            <tr>
              <th scope="col">Item</th>
              <th scope="col">Quantity</th>
              <th scope="col">Since</th>
            </tr>
          </thead>
          <tbody>
            {extras.stock.map((lent) => (
              <tr key={lent.item} data-asset={lent.item}>
                <td>
                  <button
                    type="button"
                    class="amj-link-button"
                    data-open={lent.item}
                    onClick={() => onOpen(lent.item)}
                  >
                    {lent.item}
                  </button>{" "}
                  {lent.label}
                </td>
                <td>{lent.quantity}</td>
                <td>{formats.dateTime(lent.since)}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      {next !== null && (
        <button
          type="button"
          id="amj-custody-more"
          class="amj-button"
          disabled={loadingMore}
          onClick={() => void more()}
        >
          Show more
        </button>
      )}
    </section>
  );
}
