/* The KKR platform's GraphiQL page script: it replaces the inline script of Strawberry's page
 * (platform/graphiql.py) and is otherwise the same, except that:
 *
 * - the schema is fetched again whenever the Headers editor changes (once it holds valid JSON), so the
 *   documentation explorer shows the part of the schema the pasted token may use, without a click on
 *   "Re-fetch GraphQL schema";
 * - `/graphql#token=<JWT>` prefills the Headers editor with {"Authorization": "Bearer <JWT>"}; the fragment
 *   never reaches the server and is removed from the address bar at once (headers are never read from the
 *   query string, which servers and proxies log);
 * - no WebSocket: the platform has no subscriptions.
 */
(function () {
  "use strict";

  const WELCOME = `# KKR platform GraphiQL (development)
#
# Without a token you are anonymous: the documentation shows only \`viewer\`.
# Put a token in the Headers tab below, e.g.
#     {"Authorization": "Bearer eyJ..."}
# (kkr mint-token --scope region:sjaelland:read prints one), or open
# /graphql#token=eyJ... . The documentation (the book icon, top left) then
# shows what that token may use; the schema is fetched again by itself.
#
# Run a query: Ctrl-Enter (or the play button).

query WhoAmI {
  viewer { subject clientId scopes readableRegions writableRegions isAnonymous }
}
`;

  // ?q=...&variables=... share a query and its variables, as on Strawberry's page.
  const parameters = {};
  for (const entry of window.location.search.slice(1).split("&")) {
    const eq = entry.indexOf("=");
    if (eq >= 0) {
      parameters[decodeURIComponent(entry.slice(0, eq))] = decodeURIComponent(entry.slice(eq + 1));
    }
  }

  function updateURL(data) {
    Object.assign(parameters, data);
    const search = Object.keys(parameters)
      .filter((key) => key !== "headers" && Boolean(parameters[key]))
      .map((key) => encodeURIComponent(key) + "=" + encodeURIComponent(parameters[key]))
      .join("&");
    history.replaceState(null, "", window.location.pathname + (search ? "?" + search : ""));
  }

  /** The token of `#token=...` (with or without "Bearer "), removed from the address bar; null without one. */
  function takeTokenFromFragment() {
    const token = new URLSearchParams(window.location.hash.slice(1)).get("token");
    if (token === null) {
      return null;
    }
    history.replaceState(null, "", window.location.pathname + window.location.search);
    return token.replace(/^Bearer\s+/i, "").trim() || null;
  }

  /** The headers as a canonical string, or null while the text is not a JSON object (being typed). */
  function headersKey(text) {
    if (!text || !text.trim()) {
      return "{}";
    }
    try {
      const parsed = JSON.parse(text);
      return parsed && typeof parsed === "object" && !Array.isArray(parsed) ? JSON.stringify(parsed) : null;
    } catch (error) {
      return null;
    }
  }

  const token = takeTokenFromFragment();
  const initialHeaders = token ? JSON.stringify({ Authorization: "Bearer " + token }, null, 2) : undefined;
  const fetchURL = window.location.origin + window.location.pathname;
  const REFETCH_DELAY_MS = 400;

  function KkrGraphiQL() {
    const [query, setQuery] = React.useState(parameters.q || WELCOME);
    const [variables, setVariables] = React.useState(parameters.variables);
    const [headers, setHeaders] = React.useState(initialHeaders);
    const [schemaHeaders, setSchemaHeaders] = React.useState(headersKey(initialHeaders) || "{}");
    const timer = React.useRef(null);
    const plugins = React.useMemo(() => [GraphiQLPluginExplorer.explorerPlugin()], []);

    // GraphiQL introspects again whenever its fetcher changes, sending the Headers editor's current headers:
    // a new fetcher per distinct set of headers refetches the schema when the token changes.
    const fetcher = React.useMemo(
      () => GraphiQL.createFetcher({ url: fetchURL }),
      [schemaHeaders],
    );

    function onEditQuery(newQuery) {
      setQuery(newQuery);
      updateURL({ q: newQuery });
    }

    function onEditVariables(newVariables) {
      setVariables(newVariables);
      updateURL({ variables: newVariables });
    }

    function onEditHeaders(newHeaders) {
      setHeaders(newHeaders);
      clearTimeout(timer.current);
      timer.current = setTimeout(() => {
        const key = headersKey(newHeaders);
        if (key !== null) {
          setSchemaHeaders(key);
        }
      }, REFETCH_DELAY_MS);
    }

    return React.createElement(GraphiQL, {
      fetcher: fetcher,
      defaultEditorToolsVisibility: true,
      plugins: plugins,
      query: query,
      variables: variables,
      headers: headers,
      onEditQuery: onEditQuery,
      onEditVariables: onEditVariables,
      onEditHeaders: onEditHeaders,
      inputValueDeprecation: true,
      isHeadersEditorEnabled: true,
      shouldPersistHeaders: true,
    });
  }

  ReactDOM.createRoot(document.getElementById("graphiql")).render(React.createElement(KkrGraphiQL));
})();
