// The start page: the latest version of each process definition, with its start form.
import { api, fill, flash, h, showPageError } from "./fuse.js";
import { loadForm, mountForm } from "./formview.js";

function started(definition, instance) {
  const where = (instance.active_activities || []).map((a) => a.name || a.activity_id).join(", ");
  flash(`Started “${definition.name || definition.key}”: ${instance.state}${where ? `, now at: ${where}` : ""}.`);
  location.assign(`/instances/${instance.id}`);
}

async function open(definition, card, button) {
  button.disabled = true;
  const businessKey = h("input", { id: `bk-${definition.id}`, name: "business_key", autocomplete: "off" });
  const form = h("form", { class: "card", novalidate: true },
    h("div", { class: "error-summary", role: "alert", tabindex: "-1", hidden: true }),
    h("div", { class: "field field-single" }, h("label", { for: businessKey.id }, "Business key (optional)"), businessKey),
    h("div", { class: "form-fields" }),
    h("button", { type: "submit", class: "primary" }, `Start ${definition.name || definition.key}`));
  try {
    const formPath = `/process-definitions/${encodeURIComponent(definition.id)}/start-form`;
    mountForm(form, await loadForm(formPath, showPageError), {
      submit: (variables) => api("POST", "/process-instances", {
        definition_id: definition.id, variables, ...(businessKey.value ? { business_key: businessKey.value } : {}),
      }),
      done: (instance) => started(definition, instance),
    });
    card.append(form);
    form.querySelector("input, textarea, select")?.focus();
  } catch (err) {
    showPageError(err.message);
    button.disabled = false;
  }
}

function definitionCard(definition) {
  const card = h("section", { class: "card", "aria-labelledby": `def-${definition.id}` });
  const button = h("button", { type: "button", onclick: () => open(definition, card, button) }, "Start…");
  card.append(h("h2", { id: `def-${definition.id}` }, definition.name || definition.key),
    h("p", { class: "hint" }, `${definition.key}, version ${definition.version}`), button);
  return card;
}

async function load() {
  const definitions = (await api("GET", "/process-definitions?latest=true&startable=true")).filter((d) => d.executable);
  fill(document.getElementById("definitions"), definitions.length ? definitions.map(definitionCard)
    : h("p", { class: "hint" }, "No process definitions are deployed yet."));
}

load().catch((err) => showPageError(err.message));
