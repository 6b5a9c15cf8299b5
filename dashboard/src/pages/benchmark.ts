import type { BenchmarkCatalogueQuery, BenchmarkSeriesQuery, BenchmarkTableQuery } from "../generated/operations";
import { call } from "../api";
import { chart, PALETTE } from "../charts";
import { alert, h, loading, select, table } from "../dom";
import { FULFILMENT, num, UNIT_NAME, withUnit } from "../format";

type Entry = BenchmarkCatalogueQuery["benchmarkCatalogue"][number];
type Measure = BenchmarkTableQuery["benchmarkComparison"]["measures"][number];

const FIGURE_STATUS: Record<string, string> = {
  REPORTED: "Rapporteret",
  NOT_REPORTED: "Ikke rapporteret",
  NO_PUBLISHED_CONTRACT: "Ingen offentliggjort kontrakt",
  NOT_IN_CONTRACT: "Ikke i kontrakten",
  NOT_PRINTED: "Ikke trykt",
};

const DEFAULT_GOAL = "2019-2020/1";

function measureSection(measure: Measure, index: number, subject: string): HTMLElement {
  const ranked = [...measure.figures].sort((a, b) => (a.rank ?? 99) - (b.rank ?? 99) || a.area.name.localeCompare(b.area.name, "da"));
  const national = measure.nationalFigure?.value ?? measure.nationalTargets[0]?.value ?? null;
  const nationalLabel = measure.nationalFigure ? "Nationalt tal" : "National målsætning";
  const unit = measure.unit;
  const heading = [subject, measure.segment.printed ?? measure.segment.name].filter(Boolean).join(" – ");
  return h(
    "section",
    { class: "measure", "aria-labelledby": `measure-${index}` },
    h("h3", { id: `measure-${index}` }, heading, unit ? ` (${UNIT_NAME[unit]})` : ""),
    national !== null ? h("p", { class: "national", "data-national": national }, `${nationalLabel}: ${withUnit(national, unit)}`) : null,
    chart(`benchmark-chart-${index}`, "Erhvervshusene side om side", `Søjler: resultat pr. erhvervshus; linje: ${nationalLabel.toLowerCase()}.`, {
      type: "bar",
      data: {
        labels: ranked.map((f) => f.area.name),
        datasets: [
          { type: "bar", label: "Resultat", data: ranked.map((f) => (f.result !== null ? Number(f.result) : null)), backgroundColor: PALETTE[0] },
          ...(national !== null
            ? [{ type: "line" as const, label: nationalLabel, data: ranked.map(() => Number(national)), borderColor: PALETTE[1], backgroundColor: PALETTE[1], pointRadius: 0 }]
            : []),
        ],
      },
    }),
    table(
      `Rangliste: ${heading}`,
      ["Rang", "Erhvervshus", "Resultat", "Måltal", "Opfyldelse", "Andel af måltal", "Status"],
      ranked.map((f) => ({
        attrs: { "data-hub": f.area.slug },
        cells: [
          f.rank !== null ? String(f.rank) : "–",
          f.area.name,
          f.result !== null ? withUnit(f.result, unit) : (f.resultText ?? "–"),
          f.target?.value != null ? withUnit(f.target.value, unit) : (f.target?.text ?? "–"),
          f.fulfilment ? FULFILMENT[f.fulfilment.status] : "–",
          f.shareOfTarget.value !== null ? `${num(f.shareOfTarget.value)} %` : "–",
          FIGURE_STATUS[f.status] ?? f.status,
        ],
      })),
      { class: "ranking" },
    ),
  );
}

function seriesSection(series: BenchmarkSeriesQuery["benchmarkSeries"]): HTMLElement {
  const hubs = [...new Map(series.points.map((p) => [p.area.slug, p.area.name])).entries()];
  const years = series.years;
  const value = (slug: string, year: number) => series.points.find((p) => p.area.slug === slug && p.year === year);
  return h(
    "section",
    { "aria-labelledby": "series-heading" },
    h("h2", { id: "series-heading" }, "Tidsserie"),
    chart("series-chart", series.subject.name, "Resultat pr. erhvervshus og år; tallene står i tabellen under.", {
      type: "line",
      data: {
        labels: years.map(String),
        datasets: hubs.map(([slug, name], i) => ({
          label: name,
          data: years.map((y) => {
            const p = value(slug, y);
            return p?.result != null ? Number(p.result) : null;
          }),
          borderColor: PALETTE[i % PALETTE.length],
          backgroundColor: PALETTE[i % PALETTE.length],
          spanGaps: true,
        })),
      },
    }),
    table(
      `Tidsserie: ${series.subject.name}`,
      ["Erhvervshus", ...years.map(String)],
      hubs.map(([slug, name]) => ({
        rowHeader: true,
        attrs: { "data-hub": slug },
        cells: [name, ...years.map((y) => {
          const p = value(slug, y);
          return p?.result != null ? withUnit(p.result, p.unit) : (p?.resultText ?? "–");
        })],
      })),
      { id: "series-table" },
    ),
  );
}

export async function benchmarkPage(main: HTMLElement): Promise<void> {
  main.replaceChildren(h("h1", {}, "Benchmark af erhvervshusene"), loading());
  const catalogue = await call("BenchmarkCatalogue", { kind: "NATIONAL_GOAL" });
  const entries = (catalogue.data?.benchmarkCatalogue ?? []).filter((e) => e.frameworkAgreement && e.nationalGoalCode && e.periods.length);
  if (catalogue.errors.length || entries.length === 0) {
    main.replaceChildren(h("h1", {}, "Benchmark af erhvervshusene"), alert(catalogue.errors[0]?.message ?? "Dit token giver ikke adgang til benchmark."));
    return;
  }
  let entry: Entry = entries.find((e) => e.key === DEFAULT_GOAL) ?? entries[0];
  let period = entry.periods.includes("2020") ? "2020" : entry.periods[0];
  const periodBox = h("div", {});
  const renderPeriods = () =>
    periodBox.replaceChildren(
      select("benchmark-period", "Periode", entry.periods.map((p) => ({ value: p, label: p })), period, (p) => {
        period = p;
        void load();
      }),
    );
  const controls = h(
    "div",
    { class: "controls" },
    select("benchmark-goal", "Nationalt mål", entries.map((e) => ({ value: e.key, label: `${e.key}: ${e.name}` })), entry.key, (key) => {
      entry = entries.find((e) => e.key === key) ?? entry;
      period = entry.periods.includes(period) ? period : entry.periods[0];
      renderPeriods();
      void load();
    }),
    periodBox,
  );
  const results = h("div", { id: "benchmark-results", "aria-live": "polite" });
  const load = async () => {
    results.replaceChildren(loading());
    const variables = { agreement: entry.frameworkAgreement, code: entry.nationalGoalCode };
    const [comparison, series] = await Promise.all([
      call("BenchmarkTable", { ...variables, period }),
      call("BenchmarkSeries", variables),
    ]);
    const c = comparison.data?.benchmarkComparison;
    const s = series.data?.benchmarkSeries;
    if (!c || !s) {
      results.replaceChildren(alert([...comparison.errors, ...series.errors].map((e) => e.message).join(" ") || "Ingen data."));
      return;
    }
    results.replaceChildren(
      h("h2", { id: "comparison-heading" }, `${c.subject.name}, ${c.period}`),
      ...(c.measures.length ? c.measures.map((m, i) => measureSection(m, i, c.subject.name)) : [h("p", {}, "Ingen tal for perioden.")]),
      seriesSection(s),
    );
  };
  main.replaceChildren(h("h1", {}, "Benchmark af erhvervshusene"), controls, results);
  renderPeriods();
  await load();
}
