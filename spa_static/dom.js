// Small DOM helpers shared by the views. Text goes in through `textContent` only, so
// user and server strings are never parsed as HTML.

export function fromTemplate(id) {
  return document.getElementById(id).content.firstElementChild.cloneNode(true);
}

export function byTestId(root, testId) {
  return root.querySelector(`[data-testid="${testId}"]`);
}

// Shows `text` in `el`, or hides `el` when there is nothing to say.
export function say(el, text) {
  el.textContent = text ?? "";
  el.hidden = !text;
}

// Fills a <dl> with [label, value] pairs.
export function renderFacts(dl, pairs) {
  dl.replaceChildren(
    ...pairs.flatMap(([label, value]) => {
      const dt = document.createElement("dt");
      dt.textContent = label;
      const dd = document.createElement("dd");
      dd.textContent = typeof value === "object" && value !== null ? JSON.stringify(value) : String(value ?? "");
      return [dt, dd];
    }),
  );
}
