// Artist page: add link rows, live theme preview with the colours the site will really use.
import { debounce, request } from "./common.js";

function setupFormset(root) {
  const rows = root.querySelector("[data-formset-rows]");
  const template = root.querySelector("template[data-formset-template]");
  const add = root.querySelector("[data-formset-add]");
  const total = root.querySelector("input[name$='-TOTAL_FORMS']");
  if (!rows || !template || !add || !total) return;
  add.addEventListener("click", () => {
    const index = Number(total.value);
    const html = template.innerHTML.replaceAll("__prefix__", String(index));
    rows.insertAdjacentHTML("beforeend", html);
    total.value = String(index + 1);
    const first = rows.lastElementChild && rows.lastElementChild.querySelector("input");
    if (first) first.focus();
  });
}

function setupTheme(root) {
  const pane = root.querySelector("[data-theme-pane]");
  const inputs = {
    bg: root.querySelector("input[name=theme_background]"),
    fg: root.querySelector("input[name=theme_text]"),
    accent: root.querySelector("input[name=theme_accent]"),
  };
  if (!pane || !inputs.bg || !inputs.fg || !inputs.accent) return;
  const message = root.querySelector("[data-nudge-message]");
  const apply = (colours) => {
    pane.style.setProperty("--bg", colours.bg);
    pane.style.setProperty("--fg", colours.fg);
    pane.style.setProperty("--accent", colours.accent);
    pane.style.setProperty("--accent-fg", colours.accent_fg || colours.bg);
  };
  const report = (data) => {
    for (const key of ["fg", "accent"]) {
      const used = root.querySelector(`[data-used=${key}]`);
      const ratio = root.querySelector(`[data-ratio=${key}]`);
      if (used) used.textContent = data[key];
      if (ratio) ratio.textContent = String(data.ratios[key]);
      let note = root.querySelector(`[data-nudged=${key}]`);
      if (data.nudged[key] && !note && used && message) {
        note = document.createElement("strong");
        note.dataset.nudged = key;
        note.textContent = message.textContent;
        used.parentElement.append(" — ", note);
      } else if (!data.nudged[key] && note) {
        note.remove();
      }
    }
  };
  const refresh = debounce(async () => {
    const query = new URLSearchParams({ bg: inputs.bg.value, fg: inputs.fg.value, accent: inputs.accent.value });
    const { ok, data } = await request(`${root.dataset.url}?${query}`);
    if (ok) {
      apply(data);
      report(data);
    }
  }, 150);
  const immediate = () => {
    // Show the raw choice at once; the nudged colours follow from the server.
    apply({ bg: inputs.bg.value, fg: inputs.fg.value, accent: inputs.accent.value });
    refresh();
  };
  for (const input of Object.values(inputs)) input.addEventListener("input", immediate);
  immediate();
}

for (const root of document.querySelectorAll("[data-formset]")) setupFormset(root);
for (const root of document.querySelectorAll("[data-theme-preview]")) setupTheme(root);
