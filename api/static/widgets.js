// One function per form widget, looked up in WIDGETS by the UI hint's `widget` name.
//
// A value widget gets a field spec ({id, key, label, help, required, readonly, value, options, prop, ui,
// describedBy}) and returns {control, read, layout}: `read()` gives the value typed as the schema says,
// or undefined for "no value"; `layout` says how the field frame labels it ("single" by <label for>,
// "group" by a <fieldset> legend, "inline" with the label after a checkbox). Display widgets return
// {element}. The hints (maxlength, min, pattern...) only guide: the form is `novalidate`, the server
// decides and its errors are shown next to the fields.
import { h } from "./fuse.js";

const SAFE_TAGS = new Set(["P", "BR", "B", "I", "EM", "STRONG", "U", "S", "SMALL", "SUB", "SUP", "CODE", "PRE",
  "BLOCKQUOTE", "UL", "OL", "LI", "H1", "H2", "H3", "H4", "H5", "H6", "HR", "SPAN", "DIV", "A", "TABLE", "THEAD",
  "TBODY", "TR", "TH", "TD"]);
const DROPPED_TAGS = new Set(["SCRIPT", "STYLE", "TEMPLATE", "IFRAME", "OBJECT", "EMBED", "NOSCRIPT", "SVG", "MATH"]);

/** Attributes every input shares. */
function common(spec) {
  return {
    id: spec.id, name: spec.key, "aria-describedby": spec.describedBy, placeholder: spec.ui.placeholder,
    "aria-required": spec.required ? "true" : null, readonly: spec.readonly,
  };
}

/** A JSON Schema pattern matches anywhere; an HTML pattern must match the whole value. */
function htmlPattern(pattern) {
  return pattern ? `[\\s\\S]*(?:${pattern})[\\s\\S]*` : null;
}

function textHints(prop) {
  return { maxlength: prop.maxLength, minlength: prop.minLength, pattern: htmlPattern(prop.pattern) };
}

function adorned(spec, control) {
  const { prefix, suffix } = spec.ui;
  if (!prefix && !suffix) return control;
  return h("span", { class: "adorned" }, prefix ? h("span", { class: "adorner" }, prefix) : null, control,
    suffix ? h("span", { class: "adorner" }, suffix) : null);
}

const textOrNothing = (element) => () => (element.value === "" ? undefined : element.value);

function input(type) {
  return (spec) => {
    const element = h("input", { ...common(spec), ...textHints(spec.prop), type, value: spec.value ?? "" });
    return { control: adorned(spec, element), read: textOrNothing(element), layout: "single" };
  };
}

function textarea(spec) {
  const element = h("textarea", { ...common(spec), ...textHints(spec.prop), rows: 4, value: spec.value ?? "" });
  if (!spec.prop.maxLength) return { control: element, read: textOrNothing(element), layout: "single" };
  const counter = h("span", { class: "counter", "aria-live": "polite" });
  const count = () => { counter.textContent = `${element.value.length} / ${spec.prop.maxLength}`; };
  element.addEventListener("input", count);
  count();
  return { control: h("div", {}, element, counter), read: textOrNothing(element), layout: "single" };
}

function number(spec) {
  const { prop, ui } = spec;
  const step = ui.step ?? prop.multipleOf ?? (prop.type === "integer" ? 1 : "any");
  const element = h("input", {
    ...common(spec), type: "number", min: prop.minimum, max: prop.maximum, step, value: spec.value ?? "",
  });
  const read = () => {
    if (element.validity.badInput) return "";  // not a number: send it so the server says so
    if (element.value === "") return undefined;
    return ui.serialize_to_string ? element.value : Number(element.value);
  };
  return { control: adorned(spec, element), read, layout: "single" };
}

function checkbox(spec) {
  const element = h("input", { ...common(spec), type: "checkbox", readonly: null, disabled: spec.readonly,
    checked: spec.value === true });
  return { control: element, read: () => element.checked, layout: "inline" };
}

const same = (a, b) => JSON.stringify(a) === JSON.stringify(b);

/** Radio buttons or checkboxes, one per option; the value of option i is options[i].value, JSON type kept. */
function choices(spec, type) {
  const chosen = type === "radio" ? [spec.value] : (Array.isArray(spec.value) ? spec.value : []);
  const inputs = spec.options.map((option, i) => h("input", {
    type, id: i === 0 ? spec.id : `${spec.id}-${i}`, name: spec.id, value: String(i),
    checked: chosen.some((value) => same(value, option.value)), disabled: spec.readonly,
    "aria-describedby": spec.describedBy,
  }));
  const control = h("div", { class: "choices" }, spec.options.map((option, i) =>
    h("span", { class: "choice" }, inputs[i], h("label", { for: inputs[i].id }, option.label))));
  const picked = () => inputs.filter((element) => element.checked).map((element) => spec.options[+element.value].value);
  return { control, read: picked, layout: "group" };
}

function radio(spec) {
  if (!spec.options.length) return input("text")(spec);
  const built = choices(spec, "radio");
  return { ...built, read: () => built.read()[0] };
}

function checklist(spec) {
  if (!spec.options.length) return input("text")(spec);
  return choices(spec, "checkbox");
}

function select(spec) {
  if (!spec.options.length) return input("text")(spec);
  const element = h("select", { ...common(spec), readonly: null, disabled: spec.readonly },
    h("option", { value: "" }, spec.ui.placeholder || "— choose —"),
    spec.options.map((option, i) => h("option", { value: String(i), selected: same(option.value, spec.value) },
      option.label)));
  const read = () => (element.value === "" ? undefined : spec.options[+element.value].value);
  return { control: element, read, layout: "single" };
}

/** An ISO date-time shown in a datetime-local input (local time), and read back as UTC. */
function datetime(spec) {
  const date = spec.value ? new Date(spec.value) : null;
  const local = date && !Number.isNaN(date.getTime())
    ? new Date(date.getTime() - date.getTimezoneOffset() * 60000).toISOString().slice(0, 16) : "";
  const element = h("input", { ...common(spec), type: "datetime-local", value: local });
  const read = () => (element.value === "" ? undefined : new Date(element.value).toISOString());
  return { control: element, read, layout: "single" };
}

/** Plain text; blank lines separate paragraphs, and a paragraph starting with "#" is a heading. */
function textDisplay(spec) {
  const paragraphs = String(spec.ui.text || "").split(/\n\s*\n/).filter((text) => text.trim());
  return { element: h("div", { class: "display" }, paragraphs.map((text) => (/^#{1,6}\s/.test(text)
    ? h("h3", {}, text.replace(/^#+\s*/, "")) : h("p", {}, text)))) };
}

/** A copy of the HTML with only harmless tags and http(s)/mailto links. */
function sanitized(node) {
  const out = document.createDocumentFragment();
  for (const child of node.childNodes) {
    if (child.nodeType === Node.TEXT_NODE) out.append(child.textContent);
    if (child.nodeType !== Node.ELEMENT_NODE || DROPPED_TAGS.has(child.tagName)) continue;
    if (!SAFE_TAGS.has(child.tagName)) {
      out.append(sanitized(child));
      continue;
    }
    const copy = document.createElement(child.tagName);
    const href = child.getAttribute("href") || "";
    if (child.tagName === "A" && /^(https?:|mailto:)/i.test(href)) {
      copy.setAttribute("href", href);
      copy.setAttribute("rel", "noopener noreferrer");
    }
    copy.append(sanitized(child));
    out.append(copy);
  }
  return out;
}

function html(spec) {
  const parsed = new DOMParser().parseFromString(String(spec.ui.content || ""), "text/html");
  return { element: h("div", { class: "display" }, sanitized(parsed.body)) };
}

function image(spec) {
  const source = String(spec.ui.source || "");
  if (!/^(https?:|data:image\/|\/)/i.test(source)) return { element: h("p", { class: "hint" }, spec.ui.alt || "") };
  return { element: h("img", { src: source, alt: spec.ui.alt || "" }) };
}

function spacer(spec) {
  const element = h("div", { class: "spacer" });
  element.style.height = `${Number(spec.ui.height) || 16}px`;
  return { element };
}

export const WIDGETS = {
  text: input("text"), email: input("email"), phone: input("tel"), date: input("date"), time: input("time"),
  datetime, textarea, number, checkbox, radio, select, checklist, taglist: checklist,
  "text-display": textDisplay, html, image, spacer, separator: () => ({ element: h("hr") }),
};

/** The widget for a schema property that has no UI hint. */
export function defaultWidget(prop) {
  if (prop.enum) return "select";
  if (prop.type === "array" && prop.items?.enum) return "checklist";
  return { boolean: "checkbox", number: "number", integer: "number" }[prop.type] || "text";
}

/** What the schema asks, in words (shown with the help text). */
export function constraintHint(prop) {
  const hints = [];
  if (prop.minimum !== undefined && prop.maximum !== undefined) hints.push(`from ${prop.minimum} to ${prop.maximum}`);
  else if (prop.minimum !== undefined) hints.push(`at least ${prop.minimum}`);
  else if (prop.maximum !== undefined) hints.push(`at most ${prop.maximum}`);
  if (prop.maxLength !== undefined) hints.push(`up to ${prop.maxLength} characters`);
  if (prop.format === "email") hints.push("an e-mail address");
  return hints.join(", ").replace(/^./, (c) => c.toUpperCase());
}

/** The frame of a value field: label (with a required marker), help, the control, and its error line. */
export function frame(spec, built) {
  const marker = spec.required ? h("span", { class: "required", title: "required" }, " *") : null;
  const hints = [spec.ui.pattern_hint ? `Format: ${spec.ui.pattern_hint}` : "", constraintHint(spec.prop)];
  const sentence = spec.help && !/[.!?:]$/.test(spec.help) ? `${spec.help}.` : spec.help;
  const help = [sentence, hints.filter(Boolean).join("; ")].filter(Boolean).join(" ");
  const helpLine = help ? h("p", { id: `${spec.id}-help`, class: "help" }, help) : null;
  const error = h("p", { id: `${spec.id}-error`, class: "field-error", hidden: true });
  const attrs = { class: `field field-${built.layout}`, "data-key": spec.key };
  let element;
  if (built.layout === "group") {
    element = h("fieldset", attrs, h("legend", {}, spec.label, marker), helpLine, built.control, error);
  } else if (built.layout === "inline") {
    element = h("div", attrs, built.control, h("label", { for: spec.id }, spec.label, marker), helpLine, error);
  } else {
    element = h("div", attrs, h("label", { for: spec.id }, spec.label, marker), helpLine, built.control, error);
  }
  return { element, error };
}
