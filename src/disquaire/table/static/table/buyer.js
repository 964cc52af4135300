// The buyer of the sale being made (optional): their address, their consent to news (the
// wording shown goes with the sale), a fan's share code, and a claim secret whose link
// (/table/claim/<sale id>/<secret>/) gives the buyer the album once the sale has synced.
// Kept apart from app.js: app.js only asks buyerTake() for the sale's "fan" field.

import { qrDraw } from "./qr.js";
import { bindScanner } from "./scan.js";

const $ = (sel) => document.querySelector(sel);

function secret() {
  const bytes = crypto.getRandomValues(new Uint8Array(16));
  return [...bytes].map((b) => b.toString(16).padStart(2, "0")).join("");
}

// The "fan" field of a sale, then the form emptied; null when the sale sells no music
// and nothing was typed.
export function buyerTake({ music }) {
  const box = $("[data-buyer]");
  if (!box) return null;
  const email = box.querySelector("[data-buyer-email]").value.trim();
  const consent = box.querySelector("[data-buyer-consent]");
  const referral = box.querySelector("[data-buyer-referral]").value.trim();
  const wording = box.querySelector("[data-buyer-wording]").textContent.trim();
  const fan = {};
  if (email) fan.email = email;
  if (email && consent.checked) Object.assign(fan, { consent: true, wording });
  if (referral) fan.referral = referral;
  if (music) fan.claim = secret();
  for (const input of box.querySelectorAll("input")) {
    if (input.type === "checkbox") input.checked = false;
    else input.value = "";
  }
  box.open = false;
  return Object.keys(fan).length ? fan : null;
}

// After a sale of music: the link the buyer scans (a QR code drawn here, offline) or
// opens for their album.
export function buyerShow(sale) {
  const out = $("[data-buyer-claim]");
  if (!out || !sale.fan?.claim) return;
  const link = new URL(`/table/claim/${sale.id}/${sale.fan.claim}/`, location.href).href;
  const a = out.querySelector("a");
  a.href = link;
  a.textContent = link;
  qrDraw(out.querySelector("[data-buyer-claim-qr]"), link);
  out.hidden = false;
}

// A fan's share code read with the camera into the referral field (typing stays).
bindScanner({
  button: $("[data-scan]"),
  dialog: $('[data-dialog="scan"]'),
  input: $("[data-buyer-referral]"),
});
