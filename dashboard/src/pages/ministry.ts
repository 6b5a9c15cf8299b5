import type {
  AggregateDimension,
  AggregateFamily,
  AggregateMeasure,
  AggregatePullQuery,
} from "../generated/operations";
import { call, download } from "../api";
import { alert, h, loading, select, table } from "../dom";
import { num, REGION_NAMES } from "../format";

type Cell = AggregatePullQuery["aggregate"]["cells"][number];

interface Preset {
  key: string;
  label: string;
  family: AggregateFamily;
  groupBy: AggregateDimension[];
  measures: AggregateMeasure[];
  indicators?: string[];
}

export const PRESETS: Preset[] = [
  {
    key: "awareness",
    label: "Kendskab til erhvervshusene, september 2020, pr. KKR",
    family: "BENCHMARK_OBSERVATIONS",
    groupBy: ["REGION"],
    measures: ["COUNT", "SUM", "MEAN", "MEDIAN", "MIN", "MAX"],
    indicators: ["hub-awareness-2020-09"],
  },
  {
    key: "payments",
    label: "Kommunernes betaling til erhvervshusene pr. KKR og år",
    family: "MUNICIPALITY_FIGURES",
    groupBy: ["REGION", "YEAR"],
    measures: ["COUNT", "SUM"],
    indicators: ["payment-business-hub"],
  },
  {
    key: "results",
    label: "Rapporterede resultater pr. kontraktår",
    family: "CONTRACT_RESULTS",
    groupBy: ["YEAR"],
    measures: ["COUNT", "SUM", "MEAN"],
  },
];

const DIMENSION: Record<string, string> = {
  GOAL_CATEGORY: "Målkategori", HUB: "Erhvervshus", INDICATOR: "Indikator", LINEAGE: "Målslægt", PERIOD: "Periode",
  REGION: "KKR", SEGMENT: "Segment", UNIT: "Enhed", URBAN_RURAL: "By/land", YEAR: "År",
};
const MEASURE: Record<AggregateMeasure, string> = {
  COUNT: "Antal", SUM: "Sum", MEAN: "Gennemsnit", MEDIAN: "Median", MIN: "Mindste", MAX: "Største",
};
export const REASON: Record<string, string> = {
  FEW_CONTRIBUTORS: "for få bidragydere (primær diskretionering)",
  DOMINANCE: "de største bidragydere dominerer summen (primær diskretionering)",
  SECONDARY: "skjult, så en anden diskretioneret celle ikke kan regnes ud (sekundær diskretionering)",
};

function value(cell: Cell, measure: AggregateMeasure): string {
  if (cell.suppressed) return "..";
  const raw = { COUNT: cell.count, SUM: cell.sum, MEAN: cell.mean, MEDIAN: cell.median, MIN: cell.min, MAX: cell.max }[measure];
  if (raw === null && cell.orderStatisticsWithheld && ["MEDIAN", "MIN", "MAX"].includes(measure)) return "(tilbageholdt)";
  return num(raw);
}

function status(cell: Cell): string {
  if (cell.suppressed) return `Diskretioneret: ${REASON[cell.reason ?? ""] ?? cell.reason ?? "ukendt grund"}`;
  if (cell.orderStatisticsWithheld) return "Median, mindste og største tilbageholdt: en celle heri er diskretioneret";
  return "Offentliggjort";
}

function query(preset: Preset): string {
  const params = new URLSearchParams({ family: preset.family, groupBy: preset.groupBy.join(","), measures: preset.measures.join(",") });
  if (preset.indicators) params.set("indicators", preset.indicators.join(","));
  return params.toString();
}

export async function ministryPage(main: HTMLElement): Promise<void> {
  let preset = PRESETS[0];
  const results = h("div", { id: "aggregate-results", "aria-live": "polite" });
  const message = h("div", {});
  const load = async () => {
    results.replaceChildren(loading());
    const answer = await call("AggregatePull", {
      family: preset.family,
      groupBy: preset.groupBy,
      measures: preset.measures,
      filter: preset.indicators ? { indicators: preset.indicators } : null,
    });
    const aggregate = answer.data?.aggregate;
    if (!aggregate) {
      results.replaceChildren(alert(answer.errors.map((e) => e.message).join(" ") || "Ingen data."));
      return;
    }
    const rows = aggregate.cells.map((cell) => ({
      rowHeader: true,
      attrs: { class: cell.suppressed ? "suppressed" : null, "data-suppressed": String(cell.suppressed) },
      cells: [
        aggregate.groupBy.length
          ? aggregate.groupBy
              .map((d) => {
                const c = cell.coordinates.find((x) => x.dimension === d);
                if (c?.total) return "I alt";
                return d === "REGION" && c?.value ? (REGION_NAMES[c.value] ?? c.value) : (c?.value ?? "–");
              })
              .join(" · ")
          : "I alt",
        num(cell.contributors),
        ...preset.measures.map((m) => value(cell, m)),
        status(cell),
      ],
    }));
    const suppressed = aggregate.cells.filter((c) => c.suppressed).length;
    results.replaceChildren(
      h("p", { class: "summary" }, `${aggregate.cells.length} celler, heraf ${suppressed} diskretioneret. Regler: mindst ${aggregate.rules.minContributors} bidragydere (${aggregate.contributor}).`),
      table(preset.label, [aggregate.groupBy.map((d) => DIMENSION[d] ?? d).join(" · ") || "Celle", "Bidragydere", ...preset.measures.map((m) => MEASURE[m]), "Status"], rows, {
        id: "aggregate-table",
      }),
      h(
        "p",
        { class: "legend", id: "suppression-legend" },
        h("span", { class: "badge suppressed" }, ".."),
        " betyder diskretioneret: værdien offentliggøres ikke (statistisk diskretionering), og grunden står i kolonnen Status.",
      ),
    );
  };
  const downloadButton = (format: "csv" | "json", label: string) =>
    h("button", {
      type: "button",
      id: `download-${format}`,
      onclick: async () => {
        try {
          await download(`/aggregates.${format}?${query(preset)}`, `${preset.key}.${format}`);
          message.replaceChildren(alert(`${label} er hentet.`, "info"));
        } catch (error) {
          message.replaceChildren(alert(String(error)));
        }
      },
    }, label);
  main.replaceChildren(
    h("h1", {}, "Aggregerede tal"),
    h("p", { class: "lead" }, "Tal med statistisk diskretionering til ministerierne."),
    h(
      "div",
      { class: "controls" },
      select("aggregate-preset", "Tabel", PRESETS.map((p) => ({ value: p.key, label: p.label })), preset.key, (key) => {
        preset = PRESETS.find((p) => p.key === key) ?? preset;
        void load();
      }),
      h("div", { class: "downloads" }, downloadButton("csv", "Hent CSV"), downloadButton("json", "Hent JSON-stat")),
    ),
    message,
    results,
  );
  await load();
}
