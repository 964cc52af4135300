// The "Embed" box of release and track pages (templates/storefront/includes/embed_box.html):
// the size radios swap the code and the preview, the button copies the code.
// No inline script anywhere: this module finds its box through data-* attributes.

function wire(box) {
  const code = box.querySelector("[data-embed-code]");
  const copy = box.querySelector("[data-embed-copy]");
  const status = box.querySelector("[data-embed-status]");
  const preview = box.querySelector("[data-embed-preview]");
  if (!code) return;

  for (const radio of box.querySelectorAll("[data-embed-size]")) {
    radio.addEventListener("change", () => {
      if (!radio.checked) return;
      code.value = radio.dataset.code;
      if (status) status.textContent = "";
      if (preview) {
        preview.height = radio.dataset.height;
        preview.src = radio.dataset.src;
      }
    });
  }

  if (!copy) return;
  copy.hidden = false;
  copy.addEventListener("click", async () => {
    code.focus();
    code.select();
    let done = false;
    try {
      await navigator.clipboard.writeText(code.value);
      done = true;
    } catch {
      // No clipboard API (or no permission): leave the code selected for Ctrl+C.
    }
    if (status) status.textContent = done ? copy.dataset.labelCopied : copy.dataset.labelFailed;
  });
}

export function init(doc = document) {
  for (const box of doc.querySelectorAll("[data-embed-box]")) wire(box);
}

if (typeof document !== "undefined") init();
