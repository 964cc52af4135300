// "Pay on your phone": with a network, the cart becomes a checkout of the shop's
// providers (server side, an order tied to this sale); its link is shown as a QR code
// that the fan scans and pays on their own phone. The sale waits for the provider's
// confirmation; this page asks how it stands while the dialog is open. Offline the
// button is off, with the reason beside it.
import { qrDraw } from "./qr.js";
import { buyerShow } from "./buyer.js";

const POLL_MS = 3000;

// ctx: { catalogue(), cartTotal(), money(minor), build(), release(seq), keep(sale, put),
//        restore(lines), paid(), notice(text), csrf(), strings, urls }
export function bindPhonePay(ctx) {
  const button = document.querySelector("[data-pay-phone]");
  const reason = document.querySelector("[data-pay-phone-reason]");
  const dialog = document.querySelector('[data-dialog="phone"]');
  if (!button || !dialog) return;
  const t = ctx.strings;
  const state = dialog.querySelector("[data-phone-state]");
  let current = null; // { sale, timer }

  function offered() {
    return Boolean(ctx.catalogue()?.phone_pay);
  }

  function drawButton() {
    button.hidden = !offered();
    reason.hidden = !offered() || navigator.onLine;
    reason.textContent = t.phone_offline;
    if (!navigator.onLine) button.disabled = true;
  }

  function headers() {
    return { "Content-Type": "application/json", Accept: "application/json", "X-CSRFToken": ctx.csrf() };
  }

  function show(status) {
    dialog.dataset.phoneStatus = status;
    state.textContent = t[`phone_${status}`] || status;
    dialog.querySelector("[data-phone-cancel]").hidden = status !== "pending";
    if (status === "accepted" || status === "flagged") {
      dialog.querySelector("[data-phone-qr]").hidden = true;
      if (current) buyerShow(current.sale);
      ctx.paid(); // what the bag holds now
    }
  }

  async function poll() {
    if (!current || !navigator.onLine) return;
    try {
      const response = await fetch(ctx.urls.phone_status.replace("{id}", current.sale.id), {
        credentials: "same-origin",
        headers: { Accept: "application/json" },
      });
      if (response.ok) {
        const body = await response.json();
        show(body.status);
        if (body.status !== "pending") return stop();
      }
    } catch (error) {
      // No answer this time: the next poll asks again.
    }
    if (current) current.timer = setTimeout(poll, POLL_MS);
  }

  function stop() {
    if (current?.timer) clearTimeout(current.timer);
    if (current) current.timer = null;
  }

  button.addEventListener("click", async () => {
    if (!navigator.onLine || ctx.cartTotal() <= 0) return;
    button.disabled = true;
    const sale = await ctx.build();
    let answer = null;
    try {
      const response = await fetch(ctx.urls.checkout, {
        method: "POST",
        credentials: "same-origin",
        headers: headers(),
        body: JSON.stringify({ sale: (({ artist, state, ...rest }) => rest)(sale) }),
      });
      const body = await response.json().catch(() => ({}));
      if (response.ok) answer = body;
      else ctx.notice(body.message || t.phone_failed);
    } catch (error) {
      ctx.notice(t.phone_failed);
    }
    button.disabled = false;
    if (!answer) {
      await ctx.release(sale.device_seq);
      return;
    }
    // Recorded by the server already: kept here as sent (a replay answers the same).
    sale.state = "sent";
    sale.answer = answer;
    await ctx.keep(sale, true);
    const link = new URL(answer.pay, location.href).href;
    current = { sale, timer: null };
    dialog.querySelector("[data-due]").textContent = ctx.money(sale.total);
    qrDraw(dialog.querySelector("[data-phone-qr]"), link);
    const a = dialog.querySelector("[data-phone-link]");
    a.href = link;
    a.textContent = link;
    show(answer.status);
    dialog.showModal();
    poll();
  });

  dialog.querySelector("[data-phone-cancel]").addEventListener("click", async () => {
    if (!current) return;
    try {
      const response = await fetch(ctx.urls.phone_cancel.replace("{id}", current.sale.id), {
        method: "POST",
        credentials: "same-origin",
        headers: headers(),
      });
      const body = await response.json().catch(() => ({}));
      if (response.ok) {
        show(body.status);
        if (body.status === "cancelled") ctx.restore(current.sale.lines);
      } else ctx.notice(body.message || t.phone_failed);
    } catch (error) {
      ctx.notice(t.phone_failed);
    }
  });

  dialog.addEventListener("close", () => {
    stop();
    current = null;
  });

  window.addEventListener("online", drawButton);
  window.addEventListener("offline", drawButton);
  document.addEventListener("table:cart", drawButton);
  drawButton();
}
