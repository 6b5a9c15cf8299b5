import type { ContractEditorQuery } from "../generated/operations";
import { call } from "../api";
import { alert, h, loading, table } from "../dom";
import { CONTRACT_STATUS, FULFILMENT, num, latestResult, target } from "../format";
import { refusal } from "./region";

type Contract = NonNullable<NonNullable<ContractEditorQuery["region"]>["resultContracts"]>["nodes"][number];
type Target = Contract["goals"]["nodes"][number]["indicators"]["nodes"][number]["targets"]["nodes"][number];

const STALE =
  "Resultatet blev ikke gemt: en anden har rapporteret et nyere resultat for dette måltal, siden du åbnede siden. " +
  "Siden viser nu det nyeste resultat – kontrollér det, og rapportér igen.";

function today(): string {
  return new Date().toISOString().slice(0, 10);
}

function defaultDate(t: Target): string {
  const now = today();
  if (t.periodEnd && now > t.periodEnd) return t.periodEnd;
  if (t.periodStart && now < t.periodStart) return t.periodStart;
  return now;
}

/** The contract editor: report a result for a target, see its fulfilment change. */
export async function editorPage(main: HTMLElement, slug: string, year: number, contractId: string, notice?: HTMLElement): Promise<void> {
  main.replaceChildren(loading());
  const answer = await call("ContractEditor", { region: slug, year });
  const region = answer.data?.region;
  if (answer.errors.length || !region) {
    refusal(main, slug);
    return;
  }
  const contract = region.resultContracts?.nodes.find((c) => c.id === contractId);
  if (!contract) {
    main.replaceChildren(h("h1", {}, "Kontrakten findes ikke"), alert("Kontrakten findes ikke, eller du har ikke adgang til den."));
    return;
  }
  const message = h("div", { id: "editor-message", "aria-live": "polite" });
  if (notice) message.append(notice);
  const reload = (n: HTMLElement) => editorPage(main, slug, year, contractId, n);

  const form = (goalTitle: string, indicator: string, t: Target) => {
    const id = t.id.replace(/[^A-Za-z0-9]/g, "");
    const value = h("input", { id: `value-${id}`, name: "value", inputmode: "decimal", required: true, autocomplete: "off", size: 8 });
    const date = h("input", { id: `date-${id}`, name: "measuredAt", type: "date", value: defaultDate(t), required: true });
    const revision = t.latestResult?.revision ?? 0;
    return h(
      "form",
      {
        class: "report",
        "data-target-id": t.id,
        onsubmit: async (event: Event) => {
          event.preventDefault();
          const raw = value.value.trim().replace(/\./g, "").replace(",", ".");
          const reported = await call("ReportResult", {
            input: { targetId: t.id, value: raw, measuredAt: date.value, expectedRevision: revision },
          });
          const errors = [...reported.errors, ...(reported.data?.reportResult.errors ?? [])];
          if (errors.some((e) => ("code" in e ? e.code : e.extensions?.code) === "STALE_VERSION")) {
            await reload(alert(STALE));
          } else if (errors.length || !reported.data?.reportResult.result) {
            message.replaceChildren(alert(`Resultatet blev ikke gemt: ${errors.map((e) => e.message).join(" ") || "ukendt fejl"}`));
          } else {
            await reload(alert(`Resultatet ${num(raw)} for “${indicator}” (${t.periodLabel}) er gemt.`, "info"));
          }
        },
      },
      h("label", { for: `value-${id}` }, "Resultat", h("span", { class: "visually-hidden" }, ` for ${goalTitle}, ${indicator}, ${t.periodLabel}`)),
      value,
      h("label", { for: `date-${id}` }, "Opgjort pr."),
      date,
      h("button", { type: "submit" }, "Rapportér"),
    );
  };

  const rows = contract.goals.nodes.flatMap((goal) =>
    goal.indicators.nodes.flatMap((indicator) =>
      indicator.targets.nodes.map((t) => ({
        rowHeader: true,
        attrs: { "data-target-id": t.id, "data-status": t.fulfilment.status },
        cells: [
          `${goal.code}. ${goal.title}`,
          indicator.name,
          t.periodLabel,
          target(t),
          latestResult(t),
          h("span", { class: `badge f-${t.fulfilment.status.toLowerCase().replace(/_/g, "-")}` }, FULFILMENT[t.fulfilment.status]),
          contract.status === "DRAFT" ? "Kontrakten er en kladde" : form(`${goal.code}. ${goal.title}`, indicator.name, t),
        ],
      })),
    ),
  );
  const s = contract.fulfilmentSummary;
  main.replaceChildren(
    h("p", {}, h("a", { href: `#/region/${slug}` }, `← ${region.name}`)),
    h("h1", {}, `Rapportér resultater: ${contract.title}`),
    h("p", { class: "summary", id: "fulfilment-summary" },
      `${contract.businessHub.name} · ${CONTRACT_STATUS[contract.status] ?? contract.status} · ${s.targets} måltal: `,
      `${s.met} opfyldt, ${s.partlyMet} delvist opfyldt, ${s.notMet} ikke opfyldt, ${s.notYetReported} endnu ikke rapporteret`),
    message,
    contract.goals.nodes.length
      ? table(`Måltal i ${contract.title}`, ["Mål", "Indikator", "Periode", "Måltal", "Seneste resultat", "Opfyldelse", "Nyt resultat"], rows, { id: "editor-table" })
      : h("p", {}, "Kontrakten har ingen mål endnu."),
  );
  if (notice) {
    notice.setAttribute("tabindex", "-1");
    notice.focus();
  }
}
