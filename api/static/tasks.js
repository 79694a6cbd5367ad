// The task list: my tasks, and the unassigned tasks I may claim (mine or my groups').
import { api, fill, h, me, show, say, showPageError, table, when } from "./fuse.js";

const SHOWN_VARIABLES = 3;
// GET /tasks is paged; the page shows the oldest tasks and says how many more there are.
const PER_PAGE = 200;

function summary(variables) {
  const entries = Object.entries(variables || {}).slice(0, SHOWN_VARIABLES);
  return entries.map(([name, value]) => `${name}: ${show(value)}`).join(", ");
}

function taskLink(task) {
  return h("a", { href: `/tasks/${task.id}` }, task.name || task.activity_id);
}

async function claim(task, button) {
  button.disabled = true;
  try {
    await api("POST", `/tasks/${task.id}/claim`);
    await load();
    say(`You claimed “${task.name || task.activity_id}”. It is now in My tasks.`);
  } catch (err) {
    showPageError(err.message);
    button.disabled = false;
  }
}

function claimButton(task) {
  const label = `Claim ${task.name || task.activity_id}`;
  const button = h("button", { type: "button", "aria-label": label, onclick: () => claim(task, button) }, "Claim");
  return button;
}

function tasksTable(tasks, action, empty) {
  if (!tasks.length) return h("p", { class: "hint" }, empty);
  return table(["Task", "Details", "Created", "Due", "Candidates", ""], tasks.map((task) => [
    taskLink(task), summary(task.variables), when(task.created_at), when(task.due) || "—",
    (task.candidate_groups || []).concat(task.candidate_users || []).join(", ") || "anyone", action(task),
  ]));
}

async function load() {
  const page = await api("GET", `/tasks?per_page=${PER_PAGE}`);
  const tasks = page.items;
  showPageError("");
  const more = document.getElementById("more");
  more.hidden = page.total <= tasks.length;
  more.textContent = more.hidden ? "" : `Showing the oldest ${tasks.length} of ${page.total} tasks.`;
  const mine = tasks.filter((task) => task.assignee === me);
  const open = tasks.filter((task) => !task.assignee);
  fill(document.getElementById("mine"),
    tasksTable(mine, (task) => h("a", { href: `/tasks/${task.id}`, class: "button" }, "Open"),
      "Nothing assigned to you. Claim a task below."));
  fill(document.getElementById("open"), tasksTable(open, claimButton, "No open tasks for you or your groups."));
}

load().catch((err) => showPageError(err.message));
