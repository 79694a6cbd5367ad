// The task page: details, claim / give back, the task's form, completing it.
import { api, fill, flash, h, main, mayWorkOn, me, say, showPageError, variablesTable, when } from "./fuse.js";
import { forgetTyped, keepTyped, loadForm, mountForm, takeTyped } from "./formview.js";

const taskId = main.dataset.taskId;
const path = `/tasks/${encodeURIComponent(taskId)}`;

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

/** What completing the task asks of the person (task.step_up), so they know before they type. */
function stepUpNote(stepUp) {
  if (!stepUp) return null;
  const asks = [];
  if (stepUp.max_auth_age_minutes) asks.push(`a sign-in within the last ${stepUp.max_auth_age_minutes} minutes`);
  if (stepUp.second_factor) asks.push("a second factor (an authenticator app code)");
  if (stepUp.groups.length) asks.push(`membership of ${stepUp.groups.join(" or ")}`);
  if (stepUp.policy) asks.push(`what the policy ${stepUp.policy} asks`);
  return h("p", { id: "step-up-note", class: "help" },
    `Completing this task asks for ${asks.join(", ")}. If you lack it, you are asked to sign in again and come `
    + "back here with what you typed kept.");
}

/** A step-up refusal: keep what was typed and go sign in again; the sign-in sends the person back here. */
function stepUp(typed, err) {
  keepTyped(taskId, typed, err.message);
  location.assign(err.body.reauthenticate);
}

async function load() {
  const task = await api("GET", path);
  document.title = `${task.name || task.activity_id} · Fuse`;
  document.getElementById("task-title").textContent = task.name || task.activity_id;
  fill(document.getElementById("task-details"), details(task));
  fill(document.getElementById("task-actions"), actions(task), stepUpNote(task.step_up),
    h("details", {}, h("summary", {}, "All variables of the instance"), variablesTable(task.variables)));
  if (!mayWorkOn(task)) return;
  let form = await loadForm(`${path}/form`, showPageError);
  const kept = task.state === "open" ? takeTyped(taskId) : null;
  if (kept) {
    form = { ...form, data: { ...form.data, ...kept.values } };
    if (kept.back) {
      say(`You signed in again because this task asked for it (${kept.reason}). What you typed is kept: `
        + "check it and complete the task.");
    }
  }
  document.getElementById("task-form-section").hidden = false;
  mountForm(document.getElementById("task-form"), form, {
    variables: task.variables,
    submit: (variables) => api("POST", `${path}/complete`, { variables }),
    stepUp,
    done: (instance) => {
      forgetTyped(taskId);
      flash(outcome(task, instance), { href: `/instances/${instance.id}`, text: "See the process instance." });
      location.assign("/");
    },
  });
}

load().catch((err) => showPageError(err.message));
