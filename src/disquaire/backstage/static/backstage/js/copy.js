// A "Copy" button next to a read-only field: copies the field's value.
for (const button of document.querySelectorAll("[data-copy]")) {
  const source = document.getElementById(button.getAttribute("aria-controls"));
  if (!source) continue;
  button.addEventListener("click", async () => {
    source.select();
    try {
      await navigator.clipboard.writeText(source.value);
      button.textContent = button.dataset.msgCopied;
    } catch {
      document.execCommand("copy");
    }
  });
}
