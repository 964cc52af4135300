// Download page: choosing a format shows its files at once (the form submits itself).
// Without this script the "Show these files" button does the same.
document.documentElement.classList.add("js");

for (const form of document.querySelectorAll("form[data-autosubmit]")) {
  form.addEventListener("change", (event) => {
    if (event.target instanceof HTMLInputElement && event.target.type === "radio") {
      form.requestSubmit();
    }
  });
}
