// Renders {schema, ui_schema, data} (JSON Schema 2020-12 plus UI hints) as an HTML form, reads its
// values back typed as the schema says, and shows the server's field errors (JSON pointers) next to
// the fields they name.
//
// ui_schema = {order: [keys], fields: {key: {label, description, widget, readonly, placeholder, options,
// options_from, children...}}}; keys are dotted variable paths ("address.city"); inside a dynamic list
// the item's fields are "items[].qty". Read-only fields are shown but not sent: the server has them.
import { h } from "./fuse.js";
import { WIDGETS, defaultWidget, frame } from "./widgets.js";

/** Render `form` into `container`; returns {values(), showErrors(errors), clearErrors()}. */
export function renderForm(container, form, { variables = {} } = {}) {
  const state = { fields: form.ui_schema?.fields || {}, variables, slots: [], ids: 0 };
  const root = scope(state, form.schema || {}, form.data || {}, "", () => "");
  const order = form.ui_schema?.order || Object.keys(form.schema?.properties || {});
  container.replaceChildren(...renderKeys(order, root));
  return {
    values: () => collect(root),
    showErrors: (errors) => showErrors(state, errors),
    clearErrors: () => state.slots.forEach((slot) => slot.clear()),
  };
}

/** Where fields go: an object schema and its data, with the UI prefix and JSON pointer of that object. */
function scope(state, schema, data, prefix, pointer) {
  return { state, schema, data: data || {}, prefix, pointer, values: [] };
}

function renderKeys(keys, where) {
  return keys.map((key) => renderField(key, where)).filter(Boolean);
}

function renderField(key, where) {
  const ui = where.state.fields[key] || {};
  const parts = relativeParts(key, where.prefix);
  const prop = schemaAt(where.schema, parts) || {};
  const widget = ui.widget || defaultWidget(prop);
  const spec = {
    key, ui, prop, parts, id: `field-${++where.state.ids}`, label: ui.label || prop.title || parts.at(-1) || "",
    help: ui.description || prop.description, readonly: Boolean(ui.readonly || prop.readOnly),
    required: ui.required ?? isRequired(where.schema, parts), value: valueAt(where.data, parts) ?? prop.default,
    options: optionsFor(ui, prop, where.state.variables),
  };
  spec.describedBy = `${spec.id}-help ${spec.id}-error`;
  const build = CONTAINERS[widget] || WIDGETS[widget] || WIDGETS.text;
  const built = build(spec, where);
  if (built.element) return built.element;
  const { element, error } = frame(spec, built);
  if (!spec.readonly) where.values.push({ parts, read: built.read });
  where.state.slots.push(errorSlot(spec, element, error, () => where.pointer() + pointer(parts)));
  return element;
}

// --- containers: they render other fields ----------------------------------------------------------

/** Fields in a fieldset; a group with a path (an object in the data) also shows errors about that object. */
function group(spec, where) {
  const legend = spec.label ? h("legend", {}, spec.label) : null;
  const help = spec.help ? h("p", { class: "help" }, spec.help) : null;
  const error = h("p", { class: "field-error", hidden: true });
  const element = h("fieldset", { class: "group", id: spec.id }, legend, help,
    renderKeys(spec.ui.children || [], where), error);
  if (spec.prop.type === "object") {
    where.state.slots.push(errorSlot(spec, element, error, () => where.pointer() + pointer(spec.parts)));
  }
  return { element };
}

/** A list of repeated items, each an object with the list's child fields; add and remove unless read-only. */
function dynamiclist(spec, where) {
  const itemSchema = spec.prop.items || {};
  const prefix = `${spec.key}[]`;
  const listPointer = () => where.pointer() + pointer(spec.parts);
  const items = [];
  const list = h("ol", { class: "items" });
  const editable = !spec.readonly && spec.ui.allow_add_remove !== false;
  const add = (data) => {
    const item = scope(where.state, itemSchema, data, prefix, () => `${listPointer()}/${items.indexOf(item)}`);
    const remove = editable ? h("button", { type: "button", class: "link", onclick: () => {
      items.splice(items.indexOf(item), 1);
      element.remove();
    } }, "Remove") : null;
    const element = h("li", {}, renderKeys(spec.ui.children || [], item), remove);
    items.push(item);
    list.append(element);
  };
  const initial = Array.isArray(spec.value) ? spec.value : [];
  initial.forEach(add);
  for (let i = initial.length; i < (spec.ui.default_repetitions || 0); i++) add({});
  const more = editable ? h("button", { type: "button", onclick: () => add({}) }, "Add") : null;
  return { control: h("div", {}, list, more), read: () => items.map(collect), layout: "group" };
}

const CONTAINERS = { group, dynamiclist };

// --- values ----------------------------------------------------------------------------------------

function collect(where) {
  const out = {};
  for (const field of where.values) {
    const value = field.read();
    if (value !== undefined) setAt(out, field.parts, value);
  }
  return out;
}

function relativeParts(key, prefix) {
  const rest = prefix && key.startsWith(`${prefix}.`) ? key.slice(prefix.length + 1) : key;
  return rest.split(".").filter(Boolean);
}

function schemaAt(schema, parts) {
  return parts.reduce((node, part) => node?.properties?.[part], schema);
}

function isRequired(schema, parts) {
  const parent = schemaAt(schema, parts.slice(0, -1));
  return Boolean(parent?.required?.includes(parts.at(-1)));
}

function valueAt(data, parts) {
  return parts.reduce((node, part) => (node && typeof node === "object" ? node[part] : undefined), data);
}

function setAt(data, parts, value) {
  const last = parts.at(-1);
  for (const part of parts.slice(0, -1)) {
    if (!data[part] || typeof data[part] !== "object") data[part] = {};
    data = data[part];
  }
  data[last] = value;
}

/** Options as [{value, label}]: from the UI hints, a variable named by `options_from`, or the enum. */
function optionsFor(ui, prop, variables) {
  const given = ui.options?.length ? ui.options
    : ui.options_from ? variables[ui.options_from] : prop.enum || prop.items?.enum;
  if (!Array.isArray(given)) return [];
  return given.map((option) => (option && typeof option === "object" && "value" in option
    ? { value: option.value, label: String(option.label ?? option.value) }
    : { value: option, label: String(option) }));
}

// --- errors ----------------------------------------------------------------------------------------

/** An RFC 6901 pointer to a data location. */
function pointer(parts) {
  return parts.map((part) => `/${String(part).replaceAll("~", "~0").replaceAll("/", "~1")}`).join("");
}

function errorSlot(spec, element, error, where) {
  return {
    where, element, id: spec.id, label: spec.label,
    show(message) {
      error.textContent = error.hidden ? message : `${error.textContent} ${message}`;
      error.hidden = false;
      element.classList.add("invalid");
      element.querySelectorAll("input, select, textarea").forEach((c) => c.setAttribute("aria-invalid", "true"));
    },
    clear() {
      error.textContent = "";
      error.hidden = true;
      element.classList.remove("invalid");
      element.querySelectorAll("[aria-invalid]").forEach((c) => c.removeAttribute("aria-invalid"));
    },
  };
}

/** Show each error at its field (or the nearest enclosing one); returns them all for a summary,
 * each with the `id` of the field it was shown at (null when no field matched). */
function showErrors(state, errors) {
  const live = state.slots.filter((slot) => slot.element.isConnected);
  live.forEach((slot) => slot.clear());
  return (errors || []).map((error) => {
    const slot = slotFor(live, String(error.field ?? ""));
    slot?.show(error.message);
    return { ...error, id: slot?.id ?? null, label: slot?.label ?? null };
  });
}

function slotFor(slots, target) {
  for (let at = target; at; at = at.slice(0, at.lastIndexOf("/"))) {
    const slot = slots.find((candidate) => candidate.where() === at);
    if (slot) return slot;
  }
  return null;
}
