import type { DashboardQuery, RegionProfileQuery } from "../generated/operations";
import { call } from "../api";
import { chart, PALETTE } from "../charts";
import { alert, h, select, table } from "../dom";
import { CATEGORY, CONTRACT_STATUS, FULFILMENT, num, latestResult, target, withUnit } from "../format";

type Region = NonNullable<DashboardQuery["region"]>;
type Contract = NonNullable<Region["resultContracts"]>["nodes"][number];
type Goal = Contract["goals"]["nodes"][number];

const OFFICE: Record<string, string> = { HEAD_OFFICE: "Hovedkontor", BRANCH: "Filial" };
const INITIATIVE_KIND: Record<string, string> = {
  CLIMATE_PARTNERSHIP_AGREEMENT: "Klimapartnerskabsaftale",
  DK2020_CLIMATE_PLAN: "DK2020-klimaplan",
  JOINT_CLIMATE_AMBITION: "Fælles klimaambition",
  NATURE_CLIMATE_PROGRAMME: "Natur- og klimaprogram",
  OTHER: "Andet",
};
const INITIATIVE_STATUS: Record<string, string> = { ACTIVE: "I gang", COMPLETED: "Afsluttet", PLANNED: "Planlagt" };

export function refusal(main: HTMLElement, slug: string): void {
  main.replaceChildren(
    h("h1", {}, "Ingen adgang"),
    alert(`Dit token giver ikke adgang til regionen “${slug}”, så der vises ingen data. Log ind med et token til regionen.`),
    h("p", {}, h("a", { href: "#/" }, "Til din forside")),
  );
}

/** The contract a region's page opens on: the newest signed (not draft) contract up to this year, else the
 * newest that is not a draft, else the newest. */
function currentContract(contracts: Contract[]): Contract | undefined {
  const sorted = [...contracts].sort((a, b) => b.year - a.year || a.businessHub.slug.localeCompare(b.businessHub.slug));
  const thisYear = new Date().getFullYear();
  return (
    sorted.find((c) => c.status !== "DRAFT" && c.year <= thisYear) ?? sorted.find((c) => c.status !== "DRAFT") ?? sorted[0]
  );
}

function fulfilmentBadge(status: keyof typeof FULFILMENT, pct: string | null): HTMLElement {
  const text = FULFILMENT[status] + (pct !== null && status !== "NOT_YET_REPORTED" ? ` (${num(pct)} %)` : "");
  return h("span", { class: `badge f-${status.toLowerCase().replace(/_/g, "-")}` }, text);
}

function goalRows(contract: Contract) {
  return contract.goals.nodes.flatMap((goal) =>
    goal.indicators.nodes.flatMap((indicator) =>
      indicator.targets.nodes.map((t) => ({
        rowHeader: true,
        attrs: { "data-goal": goal.code, "data-status": t.fulfilment.status },
        cells: [
          `${goal.code}. ${goal.title}`,
          indicator.name,
          t.periodLabel,
          target(t),
          latestResult(t),
          fulfilmentBadge(t.fulfilment.status, t.fulfilment.pct),
        ],
      })),
    ),
  );
}

function contractSection(region: Region, slug: string, writable: boolean): HTMLElement {
  const contracts = region.resultContracts?.nodes ?? [];
  const section = h("section", { "aria-labelledby": "contract-heading" }, h("h2", { id: "contract-heading" }, "Resultatkontrakt"));
  const body = h("div", {});
  const render = (contract: Contract) => {
    const s = contract.fulfilmentSummary;
    body.replaceChildren(
      ...[h(
        "p",
        { class: "summary", id: "fulfilment-summary" },
        `${contract.title} · ${CONTRACT_STATUS[contract.status] ?? contract.status} · ${s.targets} måltal: `,
        `${s.met} opfyldt, ${s.partlyMet} delvist opfyldt, ${s.notMet} ikke opfyldt, ${s.notYetReported} endnu ikke rapporteret`,
        s.notAssessable ? `, ${s.notAssessable} kan ikke vurderes` : "",
      ),
      writable
        ? h(
            "p",
            {},
            h(
              "a",
              { class: "button", href: `#/region/${slug}/edit/${contract.year}/${encodeURIComponent(contract.id)}` },
              "Rapportér resultater",
            ),
          )
        : null,
      table(`Mål og måltal, ${contract.title}`, ["Mål", "Indikator", "Periode", "Måltal", "Seneste resultat", "Opfyldelse"], goalRows(contract), {
        id: "goals-table",
      }),
      ].filter((x): x is HTMLElement => x !== null),
    );
  };
  const current = currentContract(contracts);
  if (!current) {
    section.append(h("p", {}, "Regionen har ingen resultatkontrakter."));
    return section;
  }
  const options = [...contracts]
    .sort((a, b) => b.year - a.year)
    .map((c) => ({ value: c.id, label: `${c.year}: ${c.title} (${CONTRACT_STATUS[c.status] ?? c.status})` }));
  section.append(
    select("contract", "Kontrakt", options, current.id, (id) => {
      const chosen = contracts.find((c) => c.id === id);
      if (chosen) render(chosen);
    }),
    body,
  );
  render(current);
  return section;
}

/** A goal's latest result per contract year: the first target with a numeric result. */
function goalSeries(contracts: Contract[], key: string) {
  const points: { year: number; hub: string; value: string; unit: string; target: string }[] = [];
  for (const contract of contracts) {
    const goal = contract.goals.nodes.find((g) => goalKey(g) === key);
    const t = goal?.indicators.nodes.flatMap((i) => i.targets.nodes).find((x) => x.latestResult?.value != null);
    if (goal && t?.latestResult?.value != null) {
      points.push({ year: contract.year, hub: contract.businessHub.slug, value: t.latestResult.value, unit: t.unit, target: target(t) });
    }
  }
  return points.sort((a, b) => a.year - b.year || a.hub.localeCompare(b.hub));
}

function goalKey(goal: Goal): string {
  return `${goal.category}:${goal.code}`;
}

function historySection(region: Region): HTMLElement {
  const contracts = region.resultContracts?.nodes ?? [];
  const goals = new Map<string, string>();
  for (const c of [...contracts].sort((a, b) => a.year - b.year)) {
    for (const g of c.goals.nodes) goals.set(goalKey(g), `${CATEGORY[g.category] ?? g.category} mål ${g.code}: ${g.title}`);
  }
  // The goals with reported results, the one with the most years first.
  const keys = [...goals.keys()]
    .map((k) => ({ k, n: goalSeries(contracts, k).length }))
    .filter((x) => x.n > 0)
    .sort((a, b) => b.n - a.n || (a.k < b.k ? -1 : a.k > b.k ? 1 : 0))
    .map((x) => x.k);
  const section = h("section", { "aria-labelledby": "history-heading" }, h("h2", { id: "history-heading" }, "Et mål over årene"));
  if (keys.length === 0) {
    section.append(h("p", {}, "Ingen rapporterede resultater endnu."));
    return section;
  }
  const body = h("div", {});
  const render = (key: string) => {
    const points = goalSeries(contracts, key);
    const years = [...new Set(points.map((p) => p.year))].sort();
    const hubs = [...new Set(points.map((p) => p.hub))];
    body.replaceChildren(
      chart("history-chart", goals.get(key) ?? key, "Seneste resultat pr. kontraktår; tallene står i tabellen under.", {
        type: "line",
        data: {
          labels: years.map(String),
          datasets: hubs.map((hub, i) => ({
            label: hub,
            data: years.map((y) => {
              const p = points.find((x) => x.year === y && x.hub === hub);
              return p ? Number(p.value) : null;
            }),
            borderColor: PALETTE[i % PALETTE.length],
            backgroundColor: PALETTE[i % PALETTE.length],
            spanGaps: true,
          })),
        },
      }),
      table("Resultater over årene", ["År", "Erhvervshus", "Resultat", "Måltal"], points.map((p) => ({
        rowHeader: true,
        cells: [String(p.year), p.hub, withUnit(p.value, p.unit as never), p.target],
      })), { id: "history-table" }),
    );
  };
  section.append(select("history-goal", "Mål", keys.map((k) => ({ value: k, label: goals.get(k) ?? k })), keys[0], render), body);
  render(keys[0]);
  return section;
}

function hubsSection(region: Region): HTMLElement {
  return h(
    "section",
    { "aria-labelledby": "hubs-heading" },
    h("h2", { id: "hubs-heading" }, "Erhvervshuse og filialer"),
    region.businessHubs.nodes.map((hub) =>
      h(
        "div",
        { class: "hub" },
        h("h3", {}, hub.name),
        h("ul", { class: "offices" }, (hub.offices?.nodes ?? []).map((o) => h("li", {}, `${OFFICE[o.kind] ?? o.kind}: ${o.town}`))),
      ),
    ),
  );
}

function profileSections(profile: NonNullable<RegionProfileQuery["region"]>): HTMLElement[] {
  const teams = profile.growthTeams?.nodes ?? [];
  const initiatives = profile.climateInitiatives?.nodes ?? [];
  return [
    h(
      "section",
      { "aria-labelledby": "teams-heading" },
      h("h2", { id: "teams-heading" }, "Vækstteam"),
      teams.length
        ? table("Regionens vækstteams", ["Navn", "Geografi", "Fokusområder", "Frist", "Medlemmer"], teams.map((t) => ({
            rowHeader: true,
            cells: [t.name, t.geography, t.focusAreas.join(", ") || "–", t.deadlineLabel ?? "–", num(t.members?.totalCount ?? 0)],
          })), { id: "teams-table" })
        : h("p", {}, "Regionen har intet vækstteam registreret."),
    ),
    h(
      "section",
      { "aria-labelledby": "climate-heading" },
      h("h2", { id: "climate-heading" }, "Klimaindsatser"),
      initiatives.length
        ? table("Regionens klimaindsatser", ["Navn", "Type", "Status", "Budget", "Periode"], initiatives.map((c) => ({
            rowHeader: true,
            cells: [
              c.name,
              INITIATIVE_KIND[c.kind] ?? c.kind,
              INITIATIVE_STATUS[c.status] ?? c.status,
              c.budgetDkk !== null ? withUnit(c.budgetDkk, "DKK") : "–",
              c.startYear ? `${c.startYear}–${c.endYear ?? ""}` : "–",
            ],
          })), { id: "climate-table" })
        : h("p", {}, "Regionen har ingen klimaindsatser registreret."),
    ),
  ];
}

export async function regionPage(main: HTMLElement, slug: string, writable: boolean): Promise<void> {
  const [dashboard, profile] = await Promise.all([call("Dashboard", { region: slug, year: null }), call("RegionProfile", { region: slug })]);
  const region = dashboard.data?.region;
  const extra = profile.data?.region;
  if (dashboard.errors.length || !region || profile.errors.length || !extra) {
    refusal(main, slug);
    return;
  }
  main.replaceChildren(
    h("h1", {}, region.kkrName),
    h("p", { class: "lead", id: "region-name" }, `Region: ${region.name}`),
    hubsSection(region),
    contractSection(region, slug, writable),
    historySection(region),
    ...profileSections(extra),
  );
}
