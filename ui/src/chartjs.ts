/**
 * Draws a {@link ChartSpec} with Chart.js. Only the dashboard imports this module, and only
 * dynamically, so the chart library is a chunk of its own that the list never loads.
 * Chart.js is registered piece by piece (bars and doughnuts only) to keep that chunk small.
 */
import {
  ArcElement,
  BarController,
  BarElement,
  CategoryScale,
  Chart,
  DoughnutController,
  Legend,
  LinearScale,
  Tooltip,
} from "chart.js";
import { axisLabel, type ChartSpec, resolveToken } from "./charts";

Chart.register(
  ArcElement,
  BarController,
  BarElement,
  CategoryScale,
  DoughnutController,
  Legend,
  LinearScale,
  Tooltip,
);

export interface Drawn {
  destroy(): void;
}

/** Draws `spec` on `canvas`; a click on a bar or slice opens its list. */
export function draw(
  canvas: HTMLCanvasElement,
  spec: ChartSpec,
  onOpen: (aql: string) => void,
): Drawn {
  const style = getComputedStyle(canvas);
  const color = (token: string) => resolveToken(token, (name) => style.getPropertyValue(name));
  const text = color("--amj-chart-text");
  const grid = color("--amj-chart-grid");
  const axis = {
    ticks: { color: text, precision: 0 },
    grid: { color: grid },
    beginAtZero: true,
  };
  return new Chart(canvas, {
    type: spec.kind,
    data: {
      labels: spec.labels.map((l) => axisLabel(l)),
      datasets: spec.series.map((s) => ({
        label: s.label,
        data: s.values,
        backgroundColor: Array.isArray(s.colors) ? s.colors.map(color) : color(s.colors),
        borderWidth: 0,
      })),
    },
    options: {
      responsive: true,
      maintainAspectRatio: false,
      animation: false,
      indexAxis: spec.horizontal ? "y" : "x",
      plugins: {
        legend: {
          display: spec.kind === "doughnut" || spec.series.length > 1,
          labels: { color: text },
        },
      },
      scales: spec.kind === "bar" ? { x: axis, y: axis } : {},
      onHover: (event, elements) => {
        const target = event.native?.target as HTMLElement | undefined;
        if (target) {
          const element = elements[0];
          const aql = element ? spec.targets[element.datasetIndex]?.[element.index] : null;
          target.style.cursor = aql ? "pointer" : "default";
        }
      },
      onClick: (_event, elements) => {
        const element = elements[0];
        const aql = element ? spec.targets[element.datasetIndex]?.[element.index] : null;
        if (aql) {
          onOpen(aql);
        }
      },
    },
  });
}
