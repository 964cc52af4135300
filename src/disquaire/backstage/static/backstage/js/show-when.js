// Parts of a form that belong to one choice: an element marked
// data-show-when="kind=physical,bundle" shows only while the form's control "kind" holds
// one of these values. Without JavaScript every part shows, and the server ignores the
// values that do not apply to the choice made.

function currentValue(form, name) {
  const control = form.elements.namedItem(name);
  if (!control) return null;
  return control.value; // a <select>, an <input>, or a RadioNodeList of radio buttons
}

function update(form) {
  for (const part of form.querySelectorAll("[data-show-when]")) {
    const [name, values] = part.dataset.showWhen.split("=");
    const value = currentValue(form, name);
    if (value === null) continue;
    part.hidden = !values.split(",").includes(value);
  }
}

for (const form of document.querySelectorAll("form")) {
  if (!form.querySelector("[data-show-when]")) continue;
  form.addEventListener("change", () => update(form));
  update(form);
}
