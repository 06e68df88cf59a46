import { Fragment } from "preact";
import { useEffect, useRef, useState } from "preact/hooks";
import {
  type Api,
  ApiError,
  type Licence,
  type ProductCompliance,
  type ReclaimableSeat,
} from "../api";
import { complianceChart } from "../charts";
import { ChartView } from "../components/ChartView";
import { complianceText, GapLozenge } from "../components/Licence";
import type { Formats } from "../format";
import { describe } from "../messages";

interface Props {
  api: Api;
  schema: string;
  formats: Formats;
  onOpen: (key: string) => void;
}

const NO_TARGET = () => {};

/**
 * Licence compliance for a schema: per product, seats entitled, assigned and installed and the
 * gap, as a chart and a table; a product's licences on demand; and, for admins, the seats of
 * people Jira marks inactive, freed in one action.
 */
export function LicenceCompliance({ api, schema, formats, onOpen }: Props) {
  const [products, setProducts] = useState<ProductCompliance[] | null>(null);
  const [failure, setFailure] = useState<string | null>(null);
  const [open, setOpen] = useState<{ product: string; licences: Licence[] | null } | null>(null);
  // `null`: not an admin (or not known); the section is left out then.
  const [reclaimable, setReclaimable] = useState<ReclaimableSeat[] | null>(null);
  const [status, setStatus] = useState("");
  const [busy, setBusy] = useState(false);
  const [attempt, setAttempt] = useState(0);
  const heading = useRef<HTMLHeadingElement>(null);

  useEffect(() => {
    let current = true;
    setFailure(null);
    api
      .licenceProducts(schema)
      .then((found) => current && setProducts(found))
      .catch((error: unknown) => current && setFailure(describe(error)));
    api
      .reclaimable(schema)
      .then((found) => current && setReclaimable(found))
      .catch((error: unknown) => {
        // Only asset admins reclaim; anyone else simply does not see the section.
        if (current && !(error instanceof ApiError && error.status === 403)) {
          setStatus(`The seats of people who left could not be read: ${describe(error)}`);
        }
      });
    return () => {
      current = false;
    };
  }, [api, schema, attempt]);
  useEffect(() => heading.current?.focus(), []);

  const show = async (product: string) => {
    if (open?.product === product) {
      setOpen(null);
      return;
    }
    setOpen({ product, licences: null });
    try {
      const page = await api.licences(schema, product);
      setOpen({ product, licences: page.items });
    } catch (error) {
      setOpen(null);
      setFailure(describe(error));
    }
  };
  const reclaim = async () => {
    if (reclaimable === null || reclaimable.length === 0) {
      return;
    }
    setBusy(true);
    try {
      const people = [...new Set(reclaimable.map((r) => r.accountId))];
      const freed = await api.reclaim(schema, people);
      setStatus(`Freed ${formats.count(freed)} ${freed === 1 ? "seat" : "seats"}.`);
      setAttempt((n) => n + 1);
    } catch (error) {
      setStatus(`Could not free the seats: ${describe(error)}`);
    } finally {
      setBusy(false);
    }
  };

  return (
    <section id="amj-licences" data-state={products ? "ready" : "loading"}>
      <h1 id="amj-licences-title" ref={heading} tabIndex={-1}>
        Licences
      </h1>
      {failure && (
        <div class="amj-error" role="alert">
          <p>Could not load the licences: {failure}</p>
          <button type="button" class="amj-button" onClick={() => setAttempt((n) => n + 1)}>
            Retry
          </button>
        </div>
      )}
      {products === null && !failure && <p class="amj-subtle">Loading…</p>}
      {products !== null && products.length === 0 && (
        <p class="amj-subtle" id="amj-licences-empty">
          No licences in this schema yet. Mark a type as licences in the settings, then set a
          licence's entitled seats on its page.
        </p>
      )}
      {products !== null && products.length > 0 && (
        <>
          <ChartView
            id="amj-compliance-chart"
            spec={complianceChart(products, formats)}
            formats={formats}
            onOpen={NO_TARGET}
          />
          <table class="amj-table" id="amj-compliance-table">
            <caption>Compliance per product</caption>
            <thead>
              <tr>
                <th scope="col">Product</th>
                <th scope="col">Licences</th>
                <th scope="col">Seats</th>
                <th scope="col">Gap</th>
              </tr>
            </thead>
            <tbody>
              {products.map((p) => (
                <Fragment key={p.product}>
                  <tr data-product={p.product}>
                    <th scope="row">
                      <button
                        type="button"
                        class="amj-link-button"
                        aria-expanded={open?.product === p.product}
                        onClick={() => void show(p.product)}
                      >
                        {p.product}
                      </button>
                    </th>
                    <td>{formats.count(p.licences)}</td>
                    <td>{complianceText(p.compliance)}</td>
                    <td>
                      {formats.count(p.compliance.gap)} <GapLozenge compliance={p.compliance} />
                    </td>
                  </tr>
                  {open?.product === p.product && (
                    <tr>
                      <td colSpan={4}>
                        {open.licences === null ? (
                          <span class="amj-subtle">Loading…</span>
                        ) : (
                          <ul aria-label={`Licences of ${p.product}`}>
                            {open.licences.map((l) => (
                              <li key={l.asset} data-licence={l.asset}>
                                <button
                                  type="button"
                                  class="amj-link-button"
                                  onClick={() => onOpen(l.asset)}
                                >
                                  {l.asset}
                                </button>{" "}
                                {l.label}: {complianceText(l.compliance)}
                                {l.expired && " · expired"}
                                {l.terms.expires && !l.expired && ` · expires ${l.terms.expires}`}
                              </li>
                            ))}
                          </ul>
                        )}
                      </td>
                    </tr>
                  )}
                </Fragment>
              ))}
            </tbody>
          </table>
        </>
      )}
      {reclaimable !== null && (
        <section aria-labelledby="amj-reclaim-heading" id="amj-reclaim">
          <h2 id="amj-reclaim-heading">Seats of people who left</h2>
          {reclaimable.length === 0 ? (
            <p class="amj-subtle" id="amj-reclaim-empty">
              Every seat is held by someone active in Jira.
            </p>
          ) : (
            <>
              <table class="amj-table" id="amj-reclaim-table">
                <caption class="amj-visually-hidden">
                  Seats held by people Jira marks inactive
                </caption>
                <thead>
                  <tr>
                    <th scope="col">Person</th>
                    <th scope="col">Licence</th>
                    <th scope="col">Since</th>
                  </tr>
                </thead>
                <tbody>
                  {reclaimable.map((r) => (
                    <tr key={`${r.accountId}-${r.licence}`}>
                      <td>{r.displayName}</td>
                      <td>
                        {r.licence} {r.licenceLabel}
                      </td>
                      <td>{formats.dateTime(r.assignedAt)}</td>
                    </tr>
                  ))}
                </tbody>
              </table>
              <button
                type="button"
                id="amj-reclaim-all"
                class="amj-button"
                disabled={busy}
                onClick={() => void reclaim()}
              >
                Free these {formats.count(reclaimable.length)} seats
              </button>
            </>
          )}
        </section>
      )}
      <output id="amj-licences-status" class="amj-subtle amj-status-line">
        {status}
      </output>
    </section>
  );
}
