// Danish labels and number formats.
import type { Comparator, FulfilmentStatus, Unit } from "./generated/operations";

const number = new Intl.NumberFormat("da-DK", { maximumFractionDigits: 6 });
const date = new Intl.DateTimeFormat("da-DK", { dateStyle: "long", timeZone: "UTC" });

/** A decimal of the API ("6.04", "600") in Danish notation ("6,04", "1.200"). */
export function num(value: string | number | null | undefined): string {
  if (value === null || value === undefined || value === "") return "–";
  const n = typeof value === "number" ? value : Number(value);
  return Number.isFinite(n) ? number.format(n) : String(value);
}

export function isoDate(value: string | null | undefined): string {
  return value ? date.format(new Date(`${value}T00:00:00Z`)) : "–";
}

export const UNIT: Record<Unit, string> = {
  COUNT: "",
  PERCENT: " %",
  PERCENTAGE_POINTS: " pct.-point",
  NPS: " (NPS)",
  DKK: " kr.",
  RATIO: "",
  DELIVERABLE: "",
};

export const UNIT_NAME: Record<Unit, string> = {
  COUNT: "antal",
  PERCENT: "procent",
  PERCENTAGE_POINTS: "procentpoint",
  NPS: "NPS",
  DKK: "kroner",
  RATIO: "forholdstal",
  DELIVERABLE: "leverance",
};

export const REGION_NAMES: Record<string, string> = {
  hovedstaden: "Hovedstaden",
  sjaelland: "Sjælland",
  syddanmark: "Syddanmark",
  midtjylland: "Midtjylland",
  nordjylland: "Nordjylland",
};

export function withUnit(value: string | null | undefined, unit: Unit | null | undefined): string {
  const text = num(value);
  return text === "–" || !unit ? text : `${text}${UNIT[unit]}`;
}

const COMPARATOR: Record<Comparator, string> = { AT_LEAST: "mindst", AT_MOST: "højst", EXACTLY: "", RANGE: "" };

export function target(t: {
  comparator: Comparator;
  value: string | null;
  valueMax?: string | null;
  valueText: string | null;
  unit: Unit;
}): string {
  if (t.value === null) return t.valueText ?? "–";
  if (t.comparator === "RANGE" && t.valueMax) return `${num(t.value)}–${withUnit(t.valueMax, t.unit)}`;
  return [COMPARATOR[t.comparator], withUnit(t.value, t.unit)].filter(Boolean).join(" ");
}

/** A target's latest reported result as shown in the tables ("–" when none is reported). */
export function latestResult(t: {
  unit: Unit;
  latestResult: { value: string | null; valueText: string | null } | null;
}): string {
  if (!t.latestResult) return "–";
  return t.latestResult.value !== null ? withUnit(t.latestResult.value, t.unit) : (t.latestResult.valueText ?? "–");
}

export const FULFILMENT: Record<FulfilmentStatus, string> = {
  MET: "Opfyldt",
  PARTLY_MET: "Delvist opfyldt",
  NOT_MET: "Ikke opfyldt",
  NOT_YET_REPORTED: "Endnu ikke rapporteret",
  NOT_ASSESSABLE: "Kan ikke vurderes",
};

export const CONTRACT_STATUS: Record<string, string> = {
  DRAFT: "Kladde",
  ADOPTED: "Vedtaget",
  SIGNED: "Underskrevet",
  REPORTED: "Afrapporteret",
};

export const CATEGORY: Record<string, string> = { NATIONAL: "National", COMMON: "Fælles", LOCAL: "Lokal" };
