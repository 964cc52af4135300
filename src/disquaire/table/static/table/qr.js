// QR codes drawn on the phone, offline: uqr (vendored from npm, package.json) makes the
// SVG; the link stays written beside it for whoever cannot scan.
import { renderSVG } from "./vendor/uqr.js";

// Draw ``text`` as a QR code in ``box`` (an element with role="img" and a label).
export function qrDraw(box, text) {
  // uqr builds the SVG from the text's modules only: no markup of ours goes into it.
  box.innerHTML = renderSVG(text, { ecc: "M", border: 2, pixelSize: 8, whiteColor: "#fff", blackColor: "#000" });
  box.dataset.qr = text;
  box.hidden = false;
}
