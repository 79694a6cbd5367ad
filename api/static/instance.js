// The instance page: state, its diagram, where it waits, its variables and its history.
import { showDiagram } from "./diagram.js";
import { api, fill, h, main, show, showPageError, table, variablesTable, when } from "./fuse.js";

const path = `/process-instances/${encodeURIComponent(main.dataset.instanceId)}`;

function details(instance) {
  const rows = [
    ["State", h("span", { class: `state ${instance.state}` }, instance.state)],
    ["Process", `${instance.definition_key} (${instance.definition_id})`],
    ["Business key", instance.business_key || "—"],
    ["Started", when(instance.created_at)],
    ["Ended", when(instance.ended_at) || "—"],
  ];
  if (instance.error) rows.push(["Error", show(instance.error)]);
  return rows.map(([term, value]) => [h("dt", {}, term), h("dd", {}, value)]);
}

function waiting(instance) {
  const tasks = new Map((instance.open_tasks || []).map((task) => [task.activity_id, task]));
  const activities = instance.active_activities || [];
  if (!activities.length) return h("p", { class: "hint" }, "Nothing: the instance is not waiting anywhere.");
  return h("ul", {}, activities.map((activity) => {
    const task = tasks.get(activity.activity_id);
    const name = activity.name || activity.activity_id;
    return h("li", {}, task ? h("a", { href: `/tasks/${task.id}` }, name) : name,
      activity.type ? h("small", {}, ` (${activity.type})`) : null,
      task ? h("small", {}, task.assignee ? ` — ${task.assignee}` : " — unassigned") : null);
  }));
}

function historyTable(events) {
  return table(["#", "At", "Type", "Activity", "Actor", "Data"], events.map((event) => [
    String(event.seq), when(event.at), event.type, event.activity_name || event.activity_id || "",
    event.actor || "", event.data && Object.keys(event.data).length ? h("code", {}, JSON.stringify(event.data)) : "",
  ]));
}

async function load() {
  const [instance, events] = await Promise.all([api("GET", path), api("GET", `${path}/history`)]);
  document.getElementById("instance-title").textContent = `${instance.definition_key}: ${instance.state}`;
  fill(document.getElementById("instance-details"), details(instance));
  fill(document.getElementById("active"), waiting(instance));
  fill(document.getElementById("variables"), variablesTable(instance.variables));
  fill(document.getElementById("history"), historyTable(events));
}

async function loadDiagram() {
  const container = document.getElementById("diagram");
  await showDiagram(container, await api("GET", `${path}/diagram`));
}

load().catch((err) => showPageError(err.message));
loadDiagram().catch((err) => showPageError(err.message));
