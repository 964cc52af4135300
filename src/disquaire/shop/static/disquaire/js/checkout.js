// Checkout: when the buyer picks a country (or between shipping and pick-up), ask the
// server for that shipping and total (the server's computation is the only one) and show
// them, with the exact amount on the Pay button (store credit taken off, when the fan
// spends theirs; with cash on collection the button orders and says what is paid then).
// Without this script the page shows the total after a first press of the button
// ("Show the total"), and the server refuses any other amount.
const form = document.querySelector("form[data-quote-url]");
if (form) {
  const country = form.querySelector("select[name=country]");
  const deliveries = form.querySelectorAll("input[name=delivery]");
  const shown = form.querySelector("input[name=total_shown]");
  const button = form.querySelector("[data-pay]");
  const shipping = document.querySelector("[data-shipping]");
  const total = document.querySelector("[data-total]");
  const problem = document.querySelector("[data-quote-error]");
  const useCredit = form.querySelector("[data-use-credit]");
  const creditRow = document.querySelector("[data-credit-row]");
  const credit = document.querySelector("[data-credit]");
  let asked = 0;

  async function quote() {
    const mine = ++asked;
    const url = new URL(form.dataset.quoteUrl, window.location.href);
    if (country) url.searchParams.set("country", country.value);
    url.searchParams.set("delivery", delivery());
    if (useCredit) url.searchParams.set("credit", useCredit.checked ? "1" : "0");
    let data;
    try {
      const response = await fetch(url, { headers: { Accept: "application/json" } });
      data = await response.json();
    } catch {
      return; // the page keeps what it showed; the server still checks the total
    }
    if (mine !== asked) return; // an answer for a country chosen before the last one
    if (shipping) shipping.textContent = data.shipping;
    if (total) total.textContent = data.total;
    if (button) {
      button.dataset.payNow = data.pay;
      button.dataset.payOnCollection = data.pay_on_collection;
      showPayLabel();
    }
    if (credit) credit.textContent = data.credit || "";
    if (creditRow) creditRow.hidden = !data.credit_minor;
    if (shown) shown.value = data.total_minor === null ? "" : String(data.total_minor);
    if (problem) {
      problem.textContent = data.error || "";
      problem.hidden = !data.error;
    }
  }

  // The server gives both words; the way to pay chosen picks one (cash is paid later).
  function showPayLabel() {
    if (!button) return;
    const chosen = form.querySelector("input[name=provider]:checked");
    const later = chosen && chosen.closest("[data-needs-pickup]");
    const words = later ? button.dataset.payOnCollection : button.dataset.payNow;
    if (words) button.textContent = words;
  }

  // Pick-up: no postal address to give, and cash on collection becomes possible;
  // shipping: the address fields come back and cash is not offered.
  function delivery() {
    const chosen = form.querySelector("input[name=delivery]:checked");
    return chosen ? chosen.value : "";
  }

  function showDelivery() {
    if (!deliveries.length) return;
    const pickup = delivery() === "pickup";
    for (const field of form.querySelectorAll("[data-ship-field]")) {
      field.hidden = pickup;
      for (const input of field.querySelectorAll("input, select, textarea")) {
        input.required = !pickup && input.name !== "postcode";
      }
    }
    for (const label of form.querySelectorAll("[data-needs-pickup]")) {
      const input = label.querySelector("input");
      label.hidden = !pickup;
      if (input) {
        input.disabled = !pickup;
        if (!pickup) input.checked = false;
      }
    }
  }

  if (country) country.addEventListener("change", quote);
  for (const input of deliveries) {
    input.addEventListener("change", () => {
      showDelivery();
      showPayLabel();
      quote();
    });
  }
  for (const input of form.querySelectorAll("input[name=provider]")) {
    input.addEventListener("change", showPayLabel);
  }
  showDelivery();
  showPayLabel();
  if (useCredit) useCredit.addEventListener("change", quote);
}
