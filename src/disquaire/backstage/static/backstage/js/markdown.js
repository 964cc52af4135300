// News editor: preview the Markdown as the public page will show it (sanitised by the server).
import { debounce, request } from "./common.js";

const form = document.querySelector("[data-markdown-form]");
const source = form && form.querySelector("[data-markdown-source]");
const preview = document.querySelector("[data-markdown-preview]");
if (form && source && preview) {
  const refresh = debounce(async () => {
    const body = new URLSearchParams({ text: source.value });
    const { ok, data } = await request(form.dataset.previewUrl, {
      method: "POST",
      body,
      headers: { "Content-Type": "application/x-www-form-urlencoded" },
    });
    // The HTML comes from the server's allow-list sanitiser (nh3), never from the textarea.
    if (ok) preview.innerHTML = data.html;
  }, 300);
  source.addEventListener("input", refresh);
}
