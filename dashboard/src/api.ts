// The dashboard's only way to the API: registered operations of frontend-contract/, sent by documentId.
import documentIds from "virtual:kkr-documents";
import type * as Ops from "./generated/operations";

/** Every operation the dashboard sends: name -> [data, variables]. */
export interface Operations {
  Viewer: [Ops.ViewerQuery, Ops.ViewerQueryVariables];
  Dashboard: [Ops.DashboardQuery, Ops.DashboardQueryVariables];
  RegionProfile: [Ops.RegionProfileQuery, Ops.RegionProfileQueryVariables];
  ContractEditor: [Ops.ContractEditorQuery, Ops.ContractEditorQueryVariables];
  ReportResult: [Ops.ReportResultMutation, Ops.ReportResultMutationVariables];
  BenchmarkCatalogue: [Ops.BenchmarkCatalogueQuery, Ops.BenchmarkCatalogueQueryVariables];
  BenchmarkTable: [Ops.BenchmarkTableQuery, Ops.BenchmarkTableQueryVariables];
  BenchmarkSeries: [Ops.BenchmarkSeriesQuery, Ops.BenchmarkSeriesQueryVariables];
  AggregatePull: [Ops.AggregatePullQuery, Ops.AggregatePullQueryVariables];
}

export interface ApiError {
  message: string;
  extensions?: { code?: string };
}

export interface Answer<T> {
  data: T | null;
  errors: ApiError[];
}

const TOKEN_KEY = "kkr-dashboard-token";

export function token(): string | null {
  return sessionStorage.getItem(TOKEN_KEY);
}

export function setToken(value: string | null): void {
  if (value) sessionStorage.setItem(TOKEN_KEY, value);
  else sessionStorage.removeItem(TOKEN_KEY);
}

function authorization(): Record<string, string> {
  const t = token();
  return t ? { Authorization: `Bearer ${t}` } : {};
}

export async function call<N extends keyof Operations>(
  name: N,
  variables: Operations[N][1],
): Promise<Answer<Operations[N][0]>> {
  const documentId = documentIds[name];
  if (!documentId) throw new Error(`${name} is not a registered operation`);
  const response = await fetch("/graphql", {
    method: "POST",
    headers: { "Content-Type": "application/json", Accept: "application/json", ...authorization() },
    body: JSON.stringify({ documentId, variables }),
  });
  let body: { data?: Operations[N][0] | null; errors?: ApiError[] } = {};
  try {
    body = (await response.json()) as typeof body;
  } catch {
    body = { errors: [{ message: `Serveren svarede ${response.status}` }] };
  }
  const errors = body.errors ?? [];
  if (!response.ok && errors.length === 0) errors.push({ message: `Serveren svarede ${response.status}` });
  return { data: body.data ?? null, errors };
}

/** A file download with the bearer token (a link cannot carry the Authorization header). */
export async function download(path: string, filename: string): Promise<void> {
  const response = await fetch(path, { headers: authorization() });
  if (!response.ok) throw new Error(`Download fejlede (${response.status})`);
  const url = URL.createObjectURL(await response.blob());
  const link = document.createElement("a");
  link.href = url;
  link.download = filename;
  document.body.append(link);
  link.click();
  link.remove();
  setTimeout(() => URL.revokeObjectURL(url), 1000);
}

export interface DemoRole {
  role: string;
  label: string;
  scopes: string[];
}

/** The development server's demo roles (404 in production: no buttons). */
export async function demoRoles(): Promise<DemoRole[]> {
  try {
    const response = await fetch("/dev/roles");
    if (!response.ok) return [];
    return ((await response.json()) as { roles: DemoRole[] }).roles;
  } catch {
    return [];
  }
}

export async function mintDemoToken(role: string): Promise<string> {
  const response = await fetch("/dev/token", {
    method: "POST",
    headers: { "Content-Type": "application/json" },
    body: JSON.stringify({ role }),
  });
  if (!response.ok) throw new Error(`Kunne ikke udstede et udviklingstoken (${response.status})`);
  return ((await response.json()) as { token: string }).token;
}
