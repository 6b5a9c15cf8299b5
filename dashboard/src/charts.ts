// Chart.js, registered once with what the dashboard draws (bars, lines), without animation.
import {
  BarController,
  BarElement,
  CategoryScale,
  Chart,
  type ChartConfiguration,
  Legend,
  LinearScale,
  LineController,
  LineElement,
  PointElement,
  Tooltip,
} from "chart.js";
import { h } from "./dom";

Chart.register(BarController, BarElement, CategoryScale, LinearScale, LineController, LineElement, PointElement, Legend, Tooltip);
Chart.defaults.animation = false;
Chart.defaults.locale = "da-DK";
Chart.defaults.color = "#1f2933";

export const PALETTE = ["#1d4e89", "#b5451b", "#2f7d32", "#6a3d9a", "#8a6d00", "#00727d", "#a3195b"];

/** A chart in a figure with a caption; the canvas is an image described by `description`. */
export function chart(id: string, title: string, description: string, config: ChartConfiguration): HTMLElement {
  const canvas = h("canvas", { id, role: "img", "aria-label": `${title}. ${description}` }, description);
  const figure = h(
    "figure",
    { class: "chart" },
    h("figcaption", {}, title),
    h("div", { class: "chart-box" }, canvas),
  );
  requestAnimationFrame(() => {
    Chart.getChart(canvas)?.destroy();
    new Chart(canvas, { ...config, options: { responsive: true, maintainAspectRatio: false, ...config.options } });
  });
  return figure;
}
