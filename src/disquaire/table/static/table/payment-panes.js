// Payment panes beyond cash, card and free: a SEPA transfer from the fan's banking app.
// The EPC QR code (EPC069-12) is drawn by the server while the phone is online (the
// amount changes with every cart, so nothing can be drawn in advance); offline, the pane
// shows the account, the amount and the reference as text for the fan to type. The sale
// stays "pending payment" until the band sees the money and marks it received.

// The sale's short reference, as the server writes it (table/epc.py: sale_reference):
// the random tail of its UUIDv7.
export function saleReference(id) {
  return "MT-" + id.replace(/-/g, "").slice(-8).toUpperCase();
}

function groups(iban) {
  return iban.replace(/(.{4})/g, "$1 ").trim();
}

// ctx: { catalogue(), cartTotal(), money(minor), newId(), record(payment, extra), urls }
export function bindPaymentPanes(ctx) {
  const dialog = document.querySelector('[data-dialog="bank"]');
  const button = document.querySelector('[data-pay-bank]');
  if (!dialog || !button) return;
  let saleId = null;

  // Only when the band gave its bank details (kept in the catalogue for offline use).
  button.hidden = !ctx.catalogue()?.bank;

  button.addEventListener("click", () => {
    const bank = ctx.catalogue()?.bank;
    const due = ctx.cartTotal();
    if (!bank || due <= 0) return;
    saleId = ctx.newId();
    const reference = saleReference(saleId);
    dialog.querySelector("[data-due]").textContent = ctx.money(due);
    dialog.querySelector("[data-bank-holder]").textContent = bank.holder;
    dialog.querySelector("[data-bank-iban]").textContent = groups(bank.iban);
    dialog.querySelector("[data-bank-bic]").textContent = bank.bic || "—";
    dialog.querySelector("[data-bank-reference]").textContent = reference;
    const img = dialog.querySelector("[data-bank-qr]");
    img.hidden = !navigator.onLine;
    img.onerror = () => {
      img.hidden = true;
    };
    if (navigator.onLine) {
      const query = new URLSearchParams({ sale: saleId, amount: String(due) });
      img.src = `${ctx.urls.epc}?${query}`;
    } else {
      img.removeAttribute("src");
    }
    dialog.showModal();
  });

  dialog.addEventListener("close", () => {
    if (dialog.returnValue !== "ok" || !saleId) return;
    ctx.record("bank", { id: saleId, reference: saleReference(saleId) });
    saleId = null;
  });
}
