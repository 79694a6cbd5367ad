// An instance's BPMN diagram, drawn by bpmn-js (shipped in /static/vendor/bpmn-js, loaded by the page as the
// global BpmnJS), with each activity marked by where it stands and badges counting what happened there.
import { fill, h } from "./fuse.js";

// The counts worth a badge, in the order they show; the class colours them like the state of the same name.
const BADGES = ["completed", "active", "failed", "compensated"];
const BADGE_POSITION = { bottom: 10, left: -8 };

function badges(marks) {
  const shown = BADGES.filter((count) => marks[count] > 0);
  if (!shown.length) return null;
  return h("div", { class: "fuse-badges" }, shown.map((count) =>
    h("span", { class: `fuse-badge fuse-${count}`, "data-count": count, title: `${count}: ${marks[count]}` },
      String(marks[count]))));
}

/** Draw `diagram` ({bpmn, activities} from GET /process-instances/{id}/diagram) into `container`. */
export async function drawDiagram(container, diagram) {
  const viewer = new window.BpmnJS({ container });
  await viewer.importXML(diagram.bpmn);
  const canvas = viewer.get("canvas");
  const registry = viewer.get("elementRegistry");
  const overlays = viewer.get("overlays");
  for (const [id, marks] of Object.entries(diagram.activities)) {
    if (!registry.get(id)) continue;  // an activity of a called process, or one the file has no shape for
    canvas.addMarker(id, `fuse-${marks.state.replace("_", "-")}`);
    const html = badges(marks);
    if (html) overlays.add(id, "fuse-counts", { position: BADGE_POSITION, html });
  }
  canvas.zoom("fit-viewport", "auto");
  container.removeAttribute("aria-busy");
  return viewer;
}

/** The diagram, or a note saying why there is none (a file without layout, an unreadable file). */
export async function showDiagram(container, diagram) {
  try {
    return await drawDiagram(container, diagram);
  } catch (err) {
    const why = /no diagram to display/i.test(err.message)
      ? "This process's file has no diagram layout (BPMN DI), so there is nothing to draw."
      : `The diagram could not be drawn: ${err.message}`;
    fill(container, h("p", { class: "hint" }, why));
    container.classList.add("empty");
    return null;
  }
}
