// What every page shares: calling the JSON API from a signed-in page, building DOM, messages.

const CSRF = document.querySelector('meta[name="csrf-token"]')?.content || "";
const FLASH_KEY = "fuse-flash";
const PROPERTIES = new Set(["value", "checked", "selected"]);

/** An API answer that is not 2xx: `detail` as the message, `errors` as sent (field errors on a 422). */
export class ApiError extends Error {
  constructor(status, body) {
    super(body.detail || body.title || `the server answered ${status}`);
    this.status = status;
    this.body = body;
    this.fieldErrors = Array.isArray(body.errors) ? body.errors : [];
  }
}

/** Call /api/v1 with the session cookie and the CSRF token; the parsed JSON, or an ApiError. */
export async function api(method, path, body) {
  const headers = { Accept: "application/json", "X-CSRF-Token": CSRF };
  const init = { method, headers, credentials: "same-origin" };
  if (body !== undefined) {
    headers["Content-Type"] = "application/json";
    init.body = JSON.stringify(body);
  }
  const response = await fetch(`/api/v1${path}`, init);
  const text = await response.text();
  let data = null;
  try {
    data = text ? JSON.parse(text) : null;
  } catch {
    data = { detail: text.slice(0, 300) };
  }
  if (response.status === 401) {  // the session ended (or its user is gone): sign in again
    window.location.assign(`/login?next=${encodeURIComponent(location.pathname + location.search)}`);
  }
  if (!response.ok) throw new ApiError(response.status, data || {});
  return data;
}

/** An element: h("a", {href: "/x", class: "y", onclick: fn}, "text", child...). */
export function h(tag, attrs = {}, ...children) {
  const element = document.createElement(tag);
  for (const [name, value] of Object.entries(attrs || {})) {
    if (value === null || value === undefined || value === false) continue;
    if (name.startsWith("on")) element.addEventListener(name.slice(2), value);
    else if (PROPERTIES.has(name)) element[name] = value;
    else element.setAttribute(name, value === true ? "" : String(value));
  }
  element.append(...children.flat(Infinity).filter((c) => c !== null && c !== undefined && c !== false));
  return element;
}

/** Replace an element's content, and mark it as loaded. */
export function fill(element, ...children) {
  element.replaceChildren(...children.flat(Infinity).filter((c) => c !== null && c !== undefined));
  element.removeAttribute("aria-busy");
  return element;
}

/** Show (or hide, with no text) the page's error line. */
export function showPageError(text) {
  const element = document.getElementById("page-error");
  element.textContent = text || "";
  element.hidden = !text;
}

/** Keep a message (and a link to follow up) for the next page, which shows it once. */
export function flash(text, link) {
  sessionStorage.setItem(FLASH_KEY, JSON.stringify({ text, link }));
}

/** Show a message on this page now; `link` is {href, text}. */
export function say(text, link) {
  const more = link ? [" ", h("a", { href: link.href }, link.text)] : [];
  fill(document.getElementById("flash"), h("p", { class: "success" }, text, more));
}

function showFlash() {
  const kept = sessionStorage.getItem(FLASH_KEY);
  sessionStorage.removeItem(FLASH_KEY);
  if (kept) {
    const { text, link } = JSON.parse(kept);
    say(text, link);
  }
}

/** "2026-11-25T10:00:00Z" in the reader's local time. */
export function when(iso) {
  if (!iso) return "";
  const date = new Date(iso);
  return Number.isNaN(date.getTime()) ? iso : date.toLocaleString();
}

/** A JSON value as short text: strings as they are, everything else as JSON. */
export function show(value) {
  return typeof value === "string" ? value : JSON.stringify(value);
}

/** A table from column headings and rows of cells (text or elements). */
export function table(headings, rows, caption) {
  return h("table", {},
    caption ? h("caption", {}, caption) : null,
    h("thead", {}, h("tr", {}, headings.map((text) => h("th", { scope: "col" }, text)))),
    h("tbody", {}, rows.map((cells) => h("tr", {}, cells.map((cell) => h("td", {}, cell))))));
}

/** Variables as a two-column table, or a note when there are none. */
export function variablesTable(variables) {
  const entries = Object.entries(variables || {});
  if (!entries.length) return h("p", { class: "hint" }, "No variables.");
  return table(["Name", "Value"], entries.map(([name, value]) => [h("code", {}, name), show(value)]));
}

export const main = document.getElementById("main");
export const me = document.getElementById("user")?.dataset.user || "";
export const myGroups = (document.getElementById("user")?.dataset.groups || "").split(",").filter(Boolean);

/** The server's rule, to offer only what it will allow: the assignee, or while unassigned its candidates
 * (anyone, when it names none). */
export function mayWorkOn(task) {
  if (task.state !== "open") return false;
  if (task.assignee) return task.assignee === me;
  const users = task.candidate_users || [];
  const groups = task.candidate_groups || [];
  return (!users.length && !groups.length) || users.includes(me) || groups.some((g) => myGroups.includes(g));
}

showFlash();
