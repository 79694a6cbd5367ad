// A form on a page: load {schema, ui_schema, data}, render it, submit it, and show the server's verdict.
// Used by the task page (complete a task) and the start page (start an instance).
import { ApiError, api, h } from "./fuse.js";
import { renderForm } from "./forms.js";

/** The problem type of a refusal that a fresh sign-in (or a second factor) can lift. */
export const STEP_UP = "urn:fuse:problem:step-up-required";
const TYPED_KEY = "fuse-typed:";

/** Keep what the person typed into task `id` (this tab only) while they sign in again. */
export function keepTyped(id, values, reason) {
  sessionStorage.setItem(TYPED_KEY + id, JSON.stringify({ values, reason, back: true }));
}

/** What was kept for task `id` ({values, reason, back}: `back` only the first time it is read), or null. */
export function takeTyped(id) {
  const kept = sessionStorage.getItem(TYPED_KEY + id);
  if (!kept) return null;
  const parsed = JSON.parse(kept);
  sessionStorage.setItem(TYPED_KEY + id, JSON.stringify({ ...parsed, back: false }));
  return parsed;
}

/** The task is done: nothing typed into it is kept any longer. */
export function forgetTyped(id) {
  sessionStorage.removeItem(TYPED_KEY + id);
}

/** A form without a form definition: the variables to set, as a JSON object. */
export const JSON_FORM = {
  schema: { type: "object", properties: { variables: { type: "string" } } },
  ui_schema: {
    order: ["variables"],
    fields: { variables: { label: "Variables (JSON object)", widget: "textarea",
      description: 'No form is defined for this step. Enter the variables to set, e.g. {"approved": true}.' } },
  },
  data: {},
};

/** The form at `path` (GET, {schema, ui_schema, data}); JSON_FORM when there is none (404), or when the
 * form cannot be read (422: `onUnreadable` gets the server's detail; the server does not block the work). */
export async function loadForm(path, onUnreadable) {
  try {
    return await api("GET", path);
  } catch (err) {
    if (!(err instanceof ApiError) || ![404, 422].includes(err.status)) throw err;
    if (err.status === 422) onUnreadable(`The form cannot be shown: ${err.message}`);
    return JSON_FORM;
  }
}

/** Wire `formElement` (holding #…-fields and an error summary) to `submit(values)`; returns the form.
 * `stepUp(typed, err)`, when given, gets a step-up refusal with the values as typed (JSON form: its text). */
export function mountForm(formElement, form, { variables, submit, done, stepUp }) {
  const fields = formElement.querySelector(".form-fields");
  const summary = formElement.querySelector(".error-summary");
  const rendered = renderForm(fields, form, { variables });
  const button = formElement.querySelector("button[type=submit]");
  formElement.addEventListener("submit", async (event) => {
    event.preventDefault();
    showSummary(summary, null);
    rendered.clearErrors();
    let values;
    const typed = rendered.values();
    try {
      values = form === JSON_FORM ? parseJsonVariables(typed) : typed;
    } catch (err) {
      showSummary(summary, err.message, rendered.showErrors([{ field: "/variables", message: err.message }]));
      return;
    }
    button.disabled = true;
    try {
      done(await submit(values));
    } catch (err) {
      if (!(err instanceof ApiError)) throw err;
      if (stepUp && err.status === 403 && err.body.type === STEP_UP) {
        stepUp(typed, err);
        return;
      }
      const placed = rendered.showErrors(err.fieldErrors.map((e) => ({ ...e, field: jsonFormField(form, e.field) })));
      showSummary(summary, err.message, placed);
    } finally {
      button.disabled = false;
    }
  });
  return rendered;
}

function parseJsonVariables(values) {
  let parsed;
  try {
    parsed = JSON.parse(values.variables || "{}");
  } catch {
    throw new Error("This is not valid JSON.");
  }
  if (!parsed || typeof parsed !== "object" || Array.isArray(parsed)) throw new Error("Enter a JSON object.");
  return parsed;
}

/** In the JSON form every error belongs to the one text area. */
function jsonFormField(form, field) {
  return form === JSON_FORM ? "/variables" : field;
}

/** The error summary: the server's detail, then each field error linking to its field. */
function showSummary(summary, detail, errors = []) {
  if (!detail) {
    summary.replaceChildren();
    summary.hidden = true;
    return;
  }
  const items = errors.map((error) => h("li", {},
    error.id ? h("a", { href: `#${error.id}` }, error.label || error.field) : (error.field || "form"),
    `: ${error.message}`));
  summary.replaceChildren(h("p", {}, detail), items.length ? h("ul", {}, items) : null);
  summary.hidden = false;
  summary.focus();
}
