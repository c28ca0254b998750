// Shared by the pages: the token (kept for this browser tab only), GraphQL calls, escaping.
const TOKEN_KEY = "rectify-token";

export function token() {
  return sessionStorage.getItem(TOKEN_KEY) || "";
}

export function tokenForm(onChange) {
  const form = document.getElementById("token-form");
  const input = form.querySelector("input");
  input.value = token();
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    sessionStorage.setItem(TOKEN_KEY, input.value.trim());
    onChange();
  });
}

export async function gql(query, variables = {}) {
  const response = await fetch("/graphql", {
    method: "POST",
    headers: { "Content-Type": "application/json", Authorization: `Bearer ${token()}` },
    body: JSON.stringify({ query, variables }),
  });
  if (response.status === 401) throw new Error("令牌无效或已过期 / the token is missing, invalid or expired");
  const body = await response.json();
  if (body.errors) throw new Error(body.errors.map((e) => e.message).join("; "));
  return body.data;
}

export function esc(value) {
  return String(value ?? "").replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

export function show(id, html) {
  document.getElementById(id).innerHTML = html;
}

export function fail(error) {
  show("error", `<p class="error">${esc(error.message)}</p>`);
}

export function daysBetween(isoDate, today) {
  return Math.round((Date.parse(today) - Date.parse(isoDate)) / 86400000);
}

export function todayInChina() {
  return new Date(Date.now() + 8 * 3600000).toISOString().slice(0, 10);
}

export async function allIssues(filter) {
  const query = `query($f: IssueFilter, $after: String) {
    issues(filter: $f, first: 200, after: $after) {
      pageInfo { hasNextPage endCursor }
      edges { node { id number problem status overdue
        leadAgency { name } coAgencies { name } deadline { kind dueDate text } } } } }`;
  const nodes = [];
  let after = null;
  do {
    const page = (await gql(query, { f: filter, after })).issues;
    nodes.push(...page.edges.map((e) => e.node));
    after = page.pageInfo.hasNextPage ? page.pageInfo.endCursor : null;
  } while (after);
  return nodes;
}

export const STATUS = { OPEN: "整改中", SUBMITTED: "待核验", CLOSED: "已销号" };

// Live updates: a graphql-transport-ws subscription whose notices only say "refetch".
// Reconnects with backoff; a refused token stops it until the user pastes a new one.
export function live(field, onChange) {
  let socket = null;
  let retry = 0;
  let timer = null;
  let reconnect = null; // the pending reconnection, so a restart cannot open a second socket
  const refetch = () => { clearTimeout(timer); timer = setTimeout(onChange, 300); };
  function open() {
    if (!token()) return;
    const scheme = location.protocol === "https:" ? "wss" : "ws";
    socket = new WebSocket(`${scheme}://${location.host}/graphql`, "graphql-transport-ws");
    socket.onopen = () => socket.send(JSON.stringify(
      { type: "connection_init", payload: { Authorization: `Bearer ${token()}` } }));
    socket.onmessage = (event) => {
      const message = JSON.parse(event.data);
      if (message.type === "connection_ack") {
        if (retry) refetch(); // notices may have been missed while disconnected
        retry = 0;
        socket.send(JSON.stringify({ id: "live", type: "subscribe",
          payload: { query: `subscription { ${field} { position kinds } }` } }));
      } else if (message.type === "ping") {
        socket.send(JSON.stringify({ type: "pong" }));
      } else if (message.type === "next") {
        refetch();
      } else if (message.type === "error" || message.type === "complete") {
        socket.close(); // e.g. the token expired: reconnect below with the current token
      }
    };
    socket.onclose = (event) => {
      if (event.code === 4403) return; // token refused: wait for a new one (tokenForm)
      retry += 1;
      reconnect = setTimeout(open, Math.min(30000, 500 * 2 ** Math.min(retry, 6)));
    };
  }
  open();
  return {
    restart() {
      clearTimeout(reconnect);
      retry = 0;
      if (socket) { socket.onclose = null; socket.close(); }
      open();
    },
  };
}
