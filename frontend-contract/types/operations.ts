/** Internal type. DO NOT USE DIRECTLY. */
type Exact<T extends { [key: string]: unknown }> = { [K in keyof T]: T[K] };
/** Internal type. DO NOT USE DIRECTLY. */
export type Incremental<T> = T | { [P in keyof T]?: P extends ' $fragmentName' | '__typename' ? T[P] : never };
/** A dimension aggregate tables can be grouped and filtered by. */
export type AggregateDimension =
  /** Goal category: 'national' or 'common' (local goals never). */
  | 'GOAL_CATEGORY'
  /** Business hub, erhvervshus (slug). */
  | 'HUB'
  /** Indicator key of an observation, or 'population' / a municipality measure key. */
  | 'INDICATOR'
  /** National goal lineage (key): one goal across framework agreements and renumbered contract goals. */
  | 'LINEAGE'
  /** Period label as printed, e.g. '2020-09'. */
  | 'PERIOD'
  /** KKR region (slug). */
  | 'REGION'
  /** Canonical course type or customer segment (key; printed spellings mapped); no value when unmapped or none. */
  | 'SEGMENT'
  /** Unit of the figures, e.g. 'percent'. */
  | 'UNIT'
  /** Municipality class: 'city' (bykommune) or 'rural' (landkommune). */
  | 'URBAN_RURAL'
  /** Contract year, year of a municipality figure, or the year of an observation's period. */
  | 'YEAR';

/** A family of figures that can be aggregated. */
export type AggregateFamily =
  /** Published comparable figures per hub or region (awareness, NPS, SOSU places per KKR, ...), national figures left out; contributors are the hubs or regions.  Filter on `indicators` or group by INDICATOR. */
  | 'BENCHMARK_OBSERVATIONS'
  /** Reported results (latest revision) of those targets; contributors are the business hubs. */
  | 'CONTRACT_RESULTS'
  /** Targets (måltal) of national and common goals in the latest published version of each hub's contract per year; contributors are the business hubs. */
  | 'CONTRACT_TARGETS'
  /** Figures per municipality (kommune) and year: indicator 'population' (befolkning) and the municipality measures (DUT key, payments to Væksthus and the business hubs); contributors are the municipalities.  Filter on `indicators` or group by INDICATOR. */
  | 'MUNICIPALITY_FIGURES';

/** Only figures with these values (each field: any of its values; fields combined with AND).  Filtering happens in the database before aggregation.  Regions, hubs and the urban/rural class pick contributors and are no filters (group by them instead): the total of all minus the total of all but one would give that one away. */
export type AggregateFilter = {
  /** NATIONAL and/or COMMON (GOAL_CATEGORY); LOCAL is refused. */
  goalCategories?: Array<GoalCategory> | null | undefined;
  /** Indicator keys, 'population' or municipality measure keys (INDICATOR). */
  indicators?: Array<string> | null | undefined;
  /** National goal lineage keys (LINEAGE). */
  lineages?: Array<string> | null | undefined;
  /** Period labels as printed (PERIOD). */
  periods?: Array<string> | null | undefined;
  /** Canonical segment keys (SEGMENT). */
  segments?: Array<string> | null | undefined;
  /** Units, e.g. 'percent' (UNIT). */
  units?: Array<string> | null | undefined;
  /** Years (YEAR). */
  years?: Array<number> | null | undefined;
};

/** A measure of an aggregate cell. */
export type AggregateMeasure =
  /** Number of figures. */
  | 'COUNT'
  /** Largest figure. */
  | 'MAX'
  /** Mean of the figures (sum / count). */
  | 'MEAN'
  /** Median of the figures. */
  | 'MEDIAN'
  /** Smallest figure. */
  | 'MIN'
  /** Sum of the figures. */
  | 'SUM';

/** Which subtotals (grouping sets) an aggregate returns besides the full grouping. */
export type AggregateSubtotals =
  /** Subtotals of every combination of the dimensions and the grand total (SQL CUBE). */
  | 'CUBE'
  /** Plus the grand total. */
  | 'GRAND_TOTAL'
  /** Only the cells of all grouped dimensions. */
  | 'NONE'
  /** Hierarchical subtotals in groupBy order and the grand total (SQL ROLLUP). */
  | 'ROLLUP';

/** Kind of area a figure is for. */
export type BenchmarkAreaKind =
  /** A business hub (erhvervshus); six in all. */
  | 'BUSINESS_HUB'
  /** A KKR region; five in all. */
  | 'REGION';

/** Whether a hub's figure is there, and if not why. */
export type BenchmarkFigureStatus =
  /** The hub's published contract has no target for this goal, period and segment. */
  | 'NOT_IN_CONTRACT'
  /** The papers print no observation for this area. */
  | 'NOT_PRINTED'
  /** The published contract has the target, but no result has been reported. */
  | 'NOT_REPORTED'
  /** The hub has no published contract for the year (drafts are never shown); the national target stands in where there is one. */
  | 'NO_PUBLISHED_CONTRACT'
  /** A result (or observation) is reported. */
  | 'REPORTED';

/** What a comparison or series is about. */
export type BenchmarkSubjectKind =
  /** A goal lineage: one national (or common) goal across framework agreements and renumbered contract goals. */
  | 'GOAL_LINEAGE'
  /** One national goal of one framework agreement. */
  | 'NATIONAL_GOAL'
  /** A benchmark observation indicator printed per hub or region (e.g. awareness, September 2020). */
  | 'OBSERVATION_INDICATOR';

/** Kind of climate initiative. */
export type ClimateInitiativeKind =
  /** Klimasamarbejdsaftale. */
  | 'CLIMATE_PARTNERSHIP_AGREEMENT'
  /** DK2020 climate plan. */
  | 'DK2020_CLIMATE_PLAN'
  /** Joint climate ambition. */
  | 'JOINT_CLIMATE_AMBITION'
  /** Nature and climate programme. */
  | 'NATURE_CLIMATE_PROGRAMME'
  /** Any other kind. */
  | 'OTHER';

/** How a reported value is compared with a target value. */
export type Comparator =
  /** Met when the result is at least the target (mindst). */
  | 'AT_LEAST'
  /** Met when the result is at most the target (højst). */
  | 'AT_MOST'
  /** Met when the result equals the target. */
  | 'EXACTLY'
  /** Met when the result lies between value and valueMax. */
  | 'RANGE';

/** Life cycle of a result contract. */
export type ContractStatus =
  /** Godkendt (adopted by the KKR). */
  | 'ADOPTED'
  /** Udkast. */
  | 'DRAFT'
  /** Afrapporteret (results reported). */
  | 'REPORTED'
  /** Underskrevet. */
  | 'SIGNED';

/** A new result contract (resultatkontrakt): a draft, version 1, of a hub and year. */
export type CreateResultContractInput = {
  /** The business hub (erhvervshus) the contract is with; its region owns the contract. */
  businessHubId: string | number;
  /** The framework agreement (rammeaftale) the contract follows; the year must lie within it. */
  frameworkAgreementId?: string | number | null | undefined;
  /** The contract's own fulfilment rule, as printed. */
  fulfilmentRule?: string | null | undefined;
  /** A note on the record, e.g. a discrepancy in the source kept as printed. */
  note?: string | null | undefined;
  /** Whether the contract is visible beyond the region (default false). */
  published?: boolean | null | undefined;
  /** Overall fulfilment in percent (0-100) as printed. */
  reportedFulfilmentPct?: string | null | undefined;
  /** Key of the source document, e.g. 'seed-002'. */
  sourceDocument?: string | null | undefined;
  /** Line range ('L240-332') or page ('p. 4') in the source document. */
  sourceLocator?: string | null | undefined;
  /** Title, e.g. 'Resultatkontrakt 2022'. */
  title: string;
  /** The contract year (2000-2100); one contract per hub and year. */
  year: number;
};

/** What a normalised figure is divided by. */
export type DenominatorKind =
  /** Number of municipalities of the area. */
  | 'MUNICIPALITIES'
  /** Inhabitants of the area's municipalities in the figure's year, in thousands (per 1,000 inhabitants). */
  | 'POPULATION'
  /** The target value (share of target, in percent). */
  | 'TARGET';

/** Kind of problem with a mutation, for a front-end to act on. */
export type ErrorCode =
  /** The contract is signed, reported or superseded; create a new version to change it. */
  | 'CONTRACT_LOCKED'
  /** Results can be reported only once the contract is signed. */
  | 'CONTRACT_NOT_SIGNED'
  /** Another object already has this unique value. */
  | 'DUPLICATE'
  /** The caller may not change this region's data (needs region:<slug>:write). */
  | 'FORBIDDEN'
  /** The value is not allowed (format, range, combination). */
  | 'INVALID'
  /** The status change is not allowed (draft → adopted → signed → reported). */
  | 'INVALID_TRANSITION'
  /** The object is still referred to or has reported results. */
  | 'IN_USE'
  /** No object with this id exists in a region the caller can see. */
  | 'NOT_FOUND'
  /** A required value is missing or empty. */
  | 'REQUIRED'
  /** Someone changed the object since it was read; reload it and try again. */
  | 'STALE_VERSION';

/** Fulfilment of a target by its latest result (computed, never stored). */
export type FulfilmentStatus =
  /** The target is met (opfyldt). */
  | 'MET'
  /** Target or result is printed as text only; read it and the paper's fulfilment. */
  | 'NOT_ASSESSABLE'
  /** The target is not met (ikke opfyldt). */
  | 'NOT_MET'
  /** No result has been reported yet. */
  | 'NOT_YET_REPORTED'
  /** The partial rule is met (delvist opfyldt). */
  | 'PARTLY_MET';

/** Category of a contract goal. */
export type GoalCategory =
  /** Fælles indsatsmål, shared by the hubs. */
  | 'COMMON'
  /** Lokalt/regionalt mål of this KKR and hub. */
  | 'LOCAL'
  /** Nationalt mål, set by the framework agreement. */
  | 'NATIONAL';

/** Status of a climate initiative. */
export type InitiativeStatus =
  /** Igangværende. */
  | 'ACTIVE'
  /** Afsluttet. */
  | 'COMPLETED'
  /** Planlagt. */
  | 'PLANNED';

/** Kind of business-hub office. */
export type OfficeKind =
  /** Filial. */
  | 'BRANCH'
  /** Hovedsæde. */
  | 'HEAD_OFFICE';

/** A result (resultat) for a target of a signed contract: the next revision. */
export type ReportResultInput = {
  /** The latest revision you saw (0 for none); if someone reported since, STALE_VERSION is returned. */
  expectedRevision?: number | null | undefined;
  /** Date the value was measured (opgjort pr.), within the target's period. */
  measuredAt?: string | null | undefined;
  /** A note on the record, e.g. a discrepancy in the source kept as printed. */
  note?: string | null | undefined;
  /** Key of the source document, e.g. 'seed-002'. */
  sourceDocument?: string | null | undefined;
  /** Line range ('L240-332') or page ('p. 4') in the source document. */
  sourceLocator?: string | null | undefined;
  /** The target the result is for. */
  targetId: string | number;
  /** The measured value; or give valueText. */
  value?: string | null | undefined;
  /** The result as printed when it is not a plain number. */
  valueText?: string | null | undefined;
};

/** Why a cell is suppressed (national statistics offices print '..'). */
export type SuppressionReason =
  /** The n largest contributors hold more than k % of the sum ((n,k) rule, primary suppression). */
  | 'DOMINANCE'
  /** Fewer contributors than the minimum (primary suppression). */
  | 'FEW_CONTRIBUTORS'
  /** Suppressed so that no primary suppressed cell can be recovered from the published cells and subtotals. */
  | 'SECONDARY';

/** Where a hub's target comes from. */
export type TargetSource =
  /** The hub's published result contract. */
  | 'CONTRACT'
  /** The framework agreement's national target (the hub has no published contract target for this goal and period). */
  | 'FRAMEWORK_AGREEMENT';

/** Unit of a target or result value. */
export type Unit =
  /** A number of things (antal). */
  | 'COUNT'
  /** A deliverable described in text. */
  | 'DELIVERABLE'
  /** Danish kroner. */
  | 'DKK'
  /** Net Promoter Score. */
  | 'NPS'
  /** Percent (80 means 80 %). */
  | 'PERCENT'
  /** Procentpoint. */
  | 'PERCENTAGE_POINTS'
  /** A ratio, e.g. return per krone. */
  | 'RATIO';

/** Changes to a result contract's own fields (a signed one: only its reporting). */
export type UpdateResultContractInput = {
  /** The framework agreement (rammeaftale) the contract follows; the year must lie within it. */
  frameworkAgreementId?: string | number | null | undefined;
  /** The contract's own fulfilment rule, as printed. */
  fulfilmentRule?: string | null | undefined;
  /** The result contract to change. */
  id: string | number;
  /** A note on the record, e.g. a discrepancy in the source kept as printed. */
  note?: string | null | undefined;
  /** Whether the contract is visible beyond the region. */
  published?: boolean | null | undefined;
  /** Overall fulfilment in percent (0-100) as printed. */
  reportedFulfilmentPct?: string | null | undefined;
  /** The object's rowVersion as you last read it; a stale one is refused with STALE_VERSION. */
  rowVersion: number;
  /** Key of the source document, e.g. 'seed-002'. */
  sourceDocument?: string | null | undefined;
  /** Line range ('L240-332') or page ('p. 4') in the source document. */
  sourceLocator?: string | null | undefined;
  /** Title, e.g. 'Resultatkontrakt 2022'. */
  title?: string | null | undefined;
  /** The contract year (2000-2100); one contract per hub and year. */
  year?: number | null | undefined;
};

export type ViewerQueryVariables = Exact<{ [key: string]: never; }>;


export type ViewerQuery = { viewer: { subject: string, clientId: string | null, scopes: Array<string>, readableRegions: Array<string>, writableRegions: Array<string>, isAnonymous: boolean } };

export type BenchmarkCatalogueQueryVariables = Exact<{
  kind?: BenchmarkSubjectKind | null | undefined;
}>;


export type BenchmarkCatalogueQuery = { benchmarkCatalogue: Array<{ kind: BenchmarkSubjectKind, key: string, name: string, units: Array<string>, periods: Array<string>, frameworkAgreement: string | null, nationalGoalCode: string | null, lineages: Array<string> }> };

export type BenchmarkSeriesQueryVariables = Exact<{
  lineage?: string | null | undefined;
  agreement?: string | null | undefined;
  code?: string | null | undefined;
  segment?: string | null | undefined;
  hubs?: Array<string> | string | null | undefined;
}>;


export type BenchmarkSeriesQuery = { benchmarkSeries: { years: Array<number>, subject: { kind: BenchmarkSubjectKind, key: string, name: string }, points: Array<{ year: number | null, unit: Unit | null, result: string | null, resultText: string | null, area: { kind: BenchmarkAreaKind, slug: string, name: string }, target: { value: string | null, period: string, comparator: Comparator, text: string | null } | null, fulfilment: { status: FulfilmentStatus, pct: string | null } | null }> } };

export type BenchmarkTableQueryVariables = Exact<{
  lineage?: string | null | undefined;
  agreement?: string | null | undefined;
  code?: string | null | undefined;
  indicator?: string | null | undefined;
  period: string;
  segment?: string | null | undefined;
}>;


export type BenchmarkTableQuery = { benchmarkComparison: { period: string, subject: { kind: BenchmarkSubjectKind, key: string, name: string, lineages: Array<string> }, notReported: Array<{ slug: string }>, measures: Array<{ unit: Unit | null, segment: { key: string | null, name: string | null, printed: string | null }, nationalTargets: Array<{ value: string | null, period: string, measure: string | null, sourceKind: TargetSource, segment: { printed: string | null, key: string | null } }>, nationalFigure: { value: string, unit: Unit | null, source: { documentKey: string | null, locator: string | null } } | null, notReported: Array<{ slug: string }>, figures: Array<{ year: number | null, status: BenchmarkFigureStatus, goalCode: string | null, goalCategory: GoalCategory | null, frameworkAgreement: string | null, nationalGoalCode: string | null, measure: string | null, unit: Unit | null, result: string | null, resultText: string | null, rank: number | null, ranked: number, note: string | null, area: { kind: BenchmarkAreaKind, slug: string, name: string }, segment: { printed: string | null, key: string | null, name: string | null }, target: { sourceKind: TargetSource, value: string | null, period: string, comparator: Comparator, text: string | null, source: { documentKey: string | null, locator: string | null } } | null, fulfilment: { status: FulfilmentStatus, pct: string | null, explanation: string } | null, shareOfTarget: { value: string | null, unavailableReason: string | null, denominator: { kind: DenominatorKind, value: string | null } }, resultPerThousandInhabitants: { value: string | null, unavailableReason: string | null, denominator: { kind: DenominatorKind, value: string | null, year: number | null } } }> }> } };

export type BenchmarkFigureRowFragment = { year: number | null, status: BenchmarkFigureStatus, goalCode: string | null, goalCategory: GoalCategory | null, frameworkAgreement: string | null, nationalGoalCode: string | null, measure: string | null, unit: Unit | null, result: string | null, resultText: string | null, rank: number | null, ranked: number, note: string | null, area: { kind: BenchmarkAreaKind, slug: string, name: string }, segment: { printed: string | null, key: string | null, name: string | null }, target: { sourceKind: TargetSource, value: string | null, period: string, comparator: Comparator, text: string | null, source: { documentKey: string | null, locator: string | null } } | null, fulfilment: { status: FulfilmentStatus, pct: string | null, explanation: string } | null, shareOfTarget: { value: string | null, unavailableReason: string | null, denominator: { kind: DenominatorKind, value: string | null } }, resultPerThousandInhabitants: { value: string | null, unavailableReason: string | null, denominator: { kind: DenominatorKind, value: string | null, year: number | null } } };

export type AggregatePullQueryVariables = Exact<{
  family: AggregateFamily;
  groupBy?: Array<AggregateDimension> | AggregateDimension | null | undefined;
  measures?: Array<AggregateMeasure> | AggregateMeasure | null | undefined;
  filter?: AggregateFilter | null | undefined;
  subtotals?: AggregateSubtotals;
}>;


export type AggregatePullQuery = { aggregate: { family: AggregateFamily, groupBy: Array<AggregateDimension>, measures: Array<AggregateMeasure>, contributor: string, rules: { minContributors: number, protectionPercent: number, dominance: Array<{ n: number, k: number }> }, cells: Array<{ contributors: number | null, count: number | null, sum: string | null, mean: string | null, median: string | null, min: string | null, max: string | null, suppressed: boolean, reason: SuppressionReason | null, orderStatisticsWithheld: boolean, coordinates: Array<{ dimension: AggregateDimension, value: string | null, total: boolean }> }> } };

export type ContractEditorQueryVariables = Exact<{
  region: string;
  year: number;
}>;


export type ContractEditorQuery = { region: { slug: string, name: string, resultContracts: { nodes: Array<{ id: string, year: number, version: number, title: string, status: ContractStatus, rowVersion: number, businessHub: { slug: string, name: string }, fulfilmentSummary: { targets: number, met: number, partlyMet: number, notMet: number, notYetReported: number, notAssessable: number }, goals: { nodes: Array<{ id: string, code: string, category: GoalCategory, title: string, indicators: { nodes: Array<{ id: string, name: string, targets: { nodes: Array<{ id: string, periodLabel: string, periodStart: string | null, periodEnd: string | null, unit: Unit, comparator: Comparator, value: string | null, valueMax: string | null, valueText: string | null, latestResult: { value: string | null, valueText: string | null, measuredAt: string | null, revision: number } | null, fulfilment: { status: FulfilmentStatus, pct: string | null, explanation: string } }> } }> } }> } }> } | null } | null };

export type ContractForEditingQueryVariables = Exact<{
  id: string | number;
}>;


export type ContractForEditingQuery = { node:
    | { id: string, year: number, version: number, title: string, status: ContractStatus, published: boolean, adoptedOn: string | null, signedOn: string | null, reportedFulfilmentPct: string | null, rowVersion: number, businessHub: { slug: string, name: string }, goals: { nodes: Array<{ id: string, code: string, category: GoalCategory, title: string, rowVersion: number, indicators: { nodes: Array<{ id: string, name: string, rowVersion: number, targets: { nodes: Array<{ id: string, periodLabel: string, unit: Unit, comparator: Comparator, value: string | null, valueMax: string | null, valueText: string | null, rowVersion: number, latestResult: { value: string | null, valueText: string | null, measuredAt: string | null, revision: number } | null }> } }> } }> } }
    | Record<PropertyKey, never>
   | null };

export type CreateResultContractMutationVariables = Exact<{
  input: CreateResultContractInput;
}>;


export type CreateResultContractMutation = { createResultContract: { resultContract: { id: string, year: number, version: number, title: string, status: ContractStatus, rowVersion: number } | null, errors: Array<{ field: Array<string | number>, code: ErrorCode, message: string }> } };

export type DashboardQueryVariables = Exact<{
  region: string;
  year?: number | null | undefined;
}>;


export type DashboardQuery = { region: { name: string, kkrName: string, businessHubs: { nodes: Array<{ name: string, offices: { totalCount: number, nodes: Array<{ kind: OfficeKind, town: string }> } | null }> }, resultContracts: { totalCount: number, nodes: Array<{ id: string, year: number, version: number, title: string, status: ContractStatus, reportedFulfilmentPct: string | null, businessHub: { slug: string }, fulfilmentSummary: { targets: number, met: number, partlyMet: number, notMet: number, notYetReported: number, notAssessable: number }, goals: { totalCount: number, nodes: Array<{ code: string, category: GoalCategory, title: string, reportedFulfilmentPct: string | null, source: { documentKey: string | null, locator: string | null }, indicators: { nodes: Array<{ name: string, targets: { nodes: Array<{ periodLabel: string, unit: Unit, comparator: Comparator, value: string | null, valueMax: string | null, valueText: string | null, partialThreshold: string | null, partialFulfilmentPct: string | null, latestResult: { value: string | null, valueText: string | null, measuredAt: string | null, revision: number } | null, fulfilment: { status: FulfilmentStatus, pct: string | null, explanation: string } }> } }> } }> } }> } | null } | null };

export type RegionProfileQueryVariables = Exact<{
  region: string;
}>;


export type RegionProfileQuery = { region: { slug: string, name: string, growthTeams: { totalCount: number, nodes: Array<{ name: string, geography: string, mandate: string | null, focusAreas: Array<string>, deadlineLabel: string | null, members: { totalCount: number } }> } | null, climateInitiatives: { totalCount: number, nodes: Array<{ kind: ClimateInitiativeKind, name: string, status: InitiativeStatus, budgetDkk: string | null, startYear: number | null, endYear: number | null }> } | null } | null };

export type ReportResultMutationVariables = Exact<{
  input: ReportResultInput;
}>;


export type ReportResultMutation = { reportResult: { result: { id: string, value: string | null, valueText: string | null, measuredAt: string | null, revision: number } | null, errors: Array<{ field: Array<string | number>, code: ErrorCode, message: string }> } };

export type UpdateResultContractMutationVariables = Exact<{
  input: UpdateResultContractInput;
}>;


export type UpdateResultContractMutation = { updateResultContract: { resultContract: { id: string, title: string, published: boolean, reportedFulfilmentPct: string | null, rowVersion: number } | null, errors: Array<{ field: Array<string | number>, code: ErrorCode, message: string }> } };
