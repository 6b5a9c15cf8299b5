// Builds the dashboard into platform/static/dashboard/ (KKR_DASHBOARD_OUT overrides it: the staleness test
// builds into a temporary folder and compares).  File names carry no content hash, so a build is a pure
// function of the sources, the lock file and the frontend contract's manifest.
import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { defineConfig, type Plugin } from "vite";

const here = fileURLToPath(new URL(".", import.meta.url));
const manifestPath = `${here}../frontend-contract/trusted-documents.json`;
const VIRTUAL = "virtual:kkr-documents";

/** `import documentIds from "virtual:kkr-documents"`: operation name -> trusted-document id of the manifest. */
function trustedDocuments(): Plugin {
  return {
    name: "kkr-trusted-documents",
    resolveId: (id) => (id === VIRTUAL ? `\0${VIRTUAL}` : null),
    load(id) {
      if (id !== `\0${VIRTUAL}`) return null;
      this.addWatchFile(manifestPath);
      const manifest = JSON.parse(readFileSync(manifestPath, "utf-8")) as Record<string, string>;
      const ids: Record<string, string> = {};
      for (const [documentId, text] of Object.entries(manifest)) {
        const name = /^\s*(?:query|mutation)\s+([A-Za-z_][A-Za-z0-9_]*)/m.exec(text)?.[1];
        if (!name) throw new Error(`trusted document ${documentId} has no named operation`);
        ids[name] = documentId;
      }
      const sorted = Object.fromEntries(Object.entries(ids).sort(([a], [b]) => (a < b ? -1 : 1)));
      return `export default ${JSON.stringify(sorted)};`;
    },
  };
}

const LICENCES =
  "/*! KKR dashboard (MIT). Bundles Chart.js 4.5.1, (c) 2025 Chart.js Contributors, MIT License, " +
  "https://www.chartjs.org; @kurkle/color, (c) Jukka Kurkela, MIT License. */\n";

/** The bundled libraries' licence notice at the top of the (minified) script. */
function licenceNotice(): Plugin {
  return {
    name: "kkr-licence-notice",
    generateBundle(_options, bundle) {
      for (const chunk of Object.values(bundle)) if (chunk.type === "chunk") chunk.code = LICENCES + chunk.code;
    },
  };
}

export default defineConfig({
  base: "/dashboard/",
  plugins: [trustedDocuments(), licenceNotice()],
  build: {
    outDir: process.env.KKR_DASHBOARD_OUT ?? `${here}../platform/static/dashboard`,
    emptyOutDir: true,
    target: "es2022",
    sourcemap: false,
    modulePreload: false,
    chunkSizeWarningLimit: 1000,
    rollupOptions: {
      output: {
        entryFileNames: "assets/dashboard.js",
        chunkFileNames: "assets/[name].js",
        assetFileNames: "assets/[name][extname]",
        inlineDynamicImports: true,
      },
    },
  },
});
