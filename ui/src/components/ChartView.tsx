import { useEffect, useRef, useState } from "preact/hooks";
import type { ChartSpec } from "../charts";
import type { Formats } from "../format";

/**
 * A chart, and the same figures as a list of links beneath it: the canvas is for the eye and the
 * mouse, the list for the keyboard and screen readers, and both open the list of a bar's assets.
 * Chart.js is fetched when the first chart is drawn, not with the page.
 */
export function ChartView({
  id,
  spec,
  formats,
  onOpen,
}: {
  id: string;
  spec: ChartSpec;
  formats: Formats;
  onOpen: (aql: string) => void;
}) {
  const canvas = useRef<HTMLCanvasElement>(null);
  const [drawn, setDrawn] = useState<"drawing" | "drawn" | "failed">("drawing");
  useEffect(() => {
    let chart: { destroy(): void } | null = null;
    let cancelled = false;
    import("../chartjs")
      .then(({ draw }) => {
        if (!cancelled && canvas.current) {
          chart = draw(canvas.current, spec, onOpen);
          setDrawn("drawn");
        }
      })
      .catch(() => setDrawn("failed"));
    return () => {
      cancelled = true;
      chart?.destroy();
    };
  }, [spec, onOpen]);
  const height = spec.horizontal ? Math.max(120, spec.labels.length * 28 + 40) : 220;
  return (
    <div class="amj-chart" id={id} data-chart={drawn}>
      {drawn !== "failed" && (
        <div class="amj-chart-canvas" style={{ height: `${height}px` }}>
          <canvas ref={canvas} role="img" aria-label={spec.summary} />
        </div>
      )}
      {spec.series.map((series, s) => (
        <ul class="amj-chart-legend" key={series.label} aria-label={series.label}>
          {spec.labels.map((label, i) => {
            const aql = spec.targets[s]?.[i] ?? null;
            const count = formats.count(series.values[i] ?? 0);
            const name =
              spec.series.length > 1 ? `${label} (${series.label.toLowerCase()})` : label;
            return (
              <li key={label}>
                {aql ? (
                  <button
                    type="button"
                    class="amj-link-button"
                    data-aql={aql}
                    onClick={() => onOpen(aql)}
                  >
                    {name}
                  </button>
                ) : (
                  <span>{name}</span>
                )}{" "}
                <span class="amj-count">{count}</span>
              </li>
            );
          })}
        </ul>
      ))}
    </div>
  );
}
