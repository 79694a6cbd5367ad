// The task page: details, claim / give back, the task's form, completing it.
import { api, fill, flash, h, main, mayWorkOn, me, showPageError, variablesTable, when } from "./fuse.js";
import { loadForm, mountForm } from "./formview.js";

const path = `/tasks/${encodeURIComponent(main.dataset.taskId)}`;

function candidates(task) {
  const names = [...(task.candidate_groups || []).map((g) => `group ${g}`), ...(task.candidate_users || [])];
  return names.length ? names.join(", ") : "anyone";
}

function details(task) {
  const rows = [
    ["State", task.state],
    ["Assignee", task.assignee || `unassigned (candidates: ${candidates(task)})`],
    ["Due", when(task.due) || "—"],
    ["Priority", task.priority ?? "—"],
    ["Created", when(task.created_at)],
    ["Process instance", h("a", { href: `/instances/${task.process_instance_id}` }, task.process_instance_id)],
  ];
  return rows.map(([term, value]) => [h("dt", {}, term), h("dd", {}, value)]);
}

function actions(task) {
  const act = (verb, label) => h("button", { type: "button", onclick: () => change(verb) }, label);
  if (task.state !== "open") return h("p", {}, "This task is no longer open.");
  if (task.assignee === me) return h("p", {}, "You are working on this task. ", act("unclaim", "Give back"));
  if (task.assignee) return h("p", {}, `${task.assignee} is working on this task.`);
  if (!mayWorkOn(task)) return h("p", {}, `This task is for ${candidates(task)}; you cannot work on it.`);
  return h("p", {}, "Claim this task so others know you are working on it. ", act("claim", "Claim"));
}

async function change(verb) {
  try {
    await api("POST", `${path}/${verb}`);
    flash(verb === "claim" ? "You claimed this task." : "You gave this task back.");
    location.reload();
  } catch (err) {
    showPageError(err.message);
  }
}

function outcome(task, instance) {
  if (instance.state === "completed") return `Completed “${task.name}”. The process has finished.`;
  const next = (instance.active_activities || []).map((a) => a.name || a.activity_id).join(", ");
  return `Completed “${task.name}”. The process is ${instance.state}${next ? `, now at: ${next}` : ""}.`;
}

async function load() {
  const task = await api("GET", path);
  document.title = `${task.name || task.activity_id} · Fuse`;
  document.getElementById("task-title").textContent = task.name || task.activity_id;
  fill(document.getElementById("task-details"), details(task));
  fill(document.getElementById("task-actions"), actions(task),
    h("details", {}, h("summary", {}, "All variables of the instance"), variablesTable(task.variables)));
  if (!mayWorkOn(task)) return;
  const form = await loadForm(`${path}/form`, showPageError);
  document.getElementById("task-form-section").hidden = false;
  mountForm(document.getElementById("task-form"), form, {
    variables: task.variables,
    submit: (variables) => api("POST", `${path}/complete`, { variables }),
    done: (instance) => {
      flash(outcome(task, instance), { href: `/instances/${instance.id}`, text: "See the process instance." });
      location.assign("/");
    },
  });
}

load().catch((err) => showPageError(err.message));
