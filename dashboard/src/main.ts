// The KKR reference dashboard: hash routes, one page per audience, every request a registered operation.
import "./style.css";
import type { ViewerQuery } from "./generated/operations";
import { call, setToken, token } from "./api";
import { alert, h, loading } from "./dom";
import { REGION_NAMES } from "./format";
import { benchmarkPage } from "./pages/benchmark";
import { editorPage } from "./pages/editor";
import { ministryPage } from "./pages/ministry";
import { refusal, regionPage } from "./pages/region";
import { signIn } from "./pages/signin";

type Viewer = ViewerQuery["viewer"];

const main = document.getElementById("main") as HTMLElement;
const nav = document.getElementById("nav") as HTMLElement;
let viewer: Viewer | null = null;


function links(v: Viewer): { href: string; label: string }[] {
  const out = v.readableRegions.map((slug) => ({ href: `#/region/${slug}`, label: `KKR ${REGION_NAMES[slug] ?? slug}` }));
  if (v.scopes.includes("benchmark:read")) out.push({ href: "#/benchmark", label: "Benchmark" });
  if (v.scopes.includes("aggregates:read") || v.scopes.includes("benchmark:read")) out.push({ href: "#/ministry", label: "Aggregater" });
  return out;
}

function renderNav(): void {
  if (!viewer) {
    nav.replaceChildren();
    return;
  }
  const current = location.hash || "#/";
  nav.replaceChildren(
    h(
      "ul",
      {},
      links(viewer).map((l) => h("li", {}, h("a", { href: l.href, "aria-current": current.startsWith(l.href) ? "page" : null }, l.label))),
      h("li", { class: "who" }, h("span", { id: "signed-in-as" }, viewer.subject)),
      h("li", {}, h("button", { type: "button", id: "sign-out", onclick: () => signOut() }, "Log ud")),
    ),
  );
}

function signOut(): void {
  setToken(null);
  viewer = null;
  location.hash = "#/";
  void route();
}

async function loadViewer(): Promise<string | null> {
  if (!token()) return null;
  const answer = await call("Viewer", {});
  if (answer.errors.length || !answer.data || answer.data.viewer.isAnonymous) {
    setToken(null);
    viewer = null;
    return answer.errors[0]?.message ?? "Tokenet blev ikke godkendt.";
  }
  viewer = answer.data.viewer;
  return null;
}

async function signedIn(): Promise<void> {
  const problem = await loadViewer();
  if (problem) {
    await signIn(main, signedIn, `Log ind mislykkedes: ${problem}`);
    return;
  }
  const first = viewer ? links(viewer)[0] : undefined;
  if (first && location.hash !== first.href) location.hash = first.href;
  else await route();
}

async function route(): Promise<void> {
  main.replaceChildren(loading());
  if (token() && !viewer) {
    const problem = await loadViewer();
    if (problem) {
      renderNav();
      await signIn(main, signedIn, problem);
      return;
    }
  }
  renderNav();
  if (!viewer) {
    await signIn(main, signedIn);
    document.title = "Log ind – KKR-dashboard";
    return;
  }
  const path = (location.hash.replace(/^#/, "") || "/").split("/").filter(Boolean);
  try {
    if (path[0] === "region" && path[1] && path[2] === "edit" && path[3] && path[4] && viewer.writableRegions.includes(path[1])) {
      await editorPage(main, path[1], Number(path[3]), decodeURIComponent(path[4]));
    } else if (path[0] === "region" && path[1] && !viewer.readableRegions.includes(path[1])) {
      refusal(main, path[1]);
    } else if (path[0] === "region" && path[1]) {
      await regionPage(main, path[1], viewer.writableRegions.includes(path[1]));
    } else if (path[0] === "benchmark") {
      await benchmarkPage(main);
    } else if (path[0] === "ministry") {
      await ministryPage(main);
    } else {
      const first = links(viewer)[0];
      if (first) {
        location.hash = first.href;
        return;
      }
      main.replaceChildren(h("h1", {}, "Ingen sider"), alert("Dit token giver ikke adgang til nogen af dashboardets sider."));
    }
  } catch (error) {
    main.replaceChildren(h("h1", {}, "Fejl"), alert(`Siden kunne ikke vises: ${String(error)}`));
  }
  const heading = main.querySelector("h1")?.textContent ?? "KKR";
  document.title = `${heading} – KKR-dashboard`;
  main.setAttribute("data-ready", "true");
}

window.addEventListener("hashchange", () => {
  main.removeAttribute("data-ready");
  void route();
});
void route();
