// A fan's share QR code read with the phone's camera: the browser's BarcodeDetector
// where there is one, else jsQR (vendored from npm, package.json), loaded only then.
// What it reads goes into the referral field, where the code can still be typed.

// The share code in what was read: a share link (/fans/r/<code>/) or the code alone.
export function shareCode(text) {
  const found = /\/r\/([A-Za-z0-9]{4,40})\/?/.exec(text);
  if (found) return found[1];
  const bare = text.trim();
  return /^[A-Za-z0-9]{4,40}$/.test(bare) ? bare : "";
}

async function reader() {
  if ("BarcodeDetector" in window) {
    try {
      const formats = await window.BarcodeDetector.getSupportedFormats();
      if (formats.includes("qr_code")) {
        const detector = new window.BarcodeDetector({ formats: ["qr_code"] });
        return async (video) => (await detector.detect(video))[0]?.rawValue || "";
      }
    } catch (error) {
      // Fall back to jsQR below.
    }
  }
  await import("./vendor/jsQR.js");
  const canvas = document.createElement("canvas");
  const context = canvas.getContext("2d", { willReadFrequently: true });
  return async (video) => {
    if (!video.videoWidth) return "";
    canvas.width = video.videoWidth;
    canvas.height = video.videoHeight;
    context.drawImage(video, 0, 0);
    const image = context.getImageData(0, 0, canvas.width, canvas.height);
    return self.jsQR(image.data, image.width, image.height)?.data || "";
  };
}

// { button, dialog, input }: the button opens the dialog (a <video> and a status line).
export function bindScanner({ button, dialog, input }) {
  if (!button || !dialog || !input) return;
  const video = dialog.querySelector("video");
  const status = dialog.querySelector("[data-scan-status]");
  let stream = null;
  let running = false;
  button.hidden = !navigator.mediaDevices?.getUserMedia;

  function stop() {
    running = false;
    for (const track of stream?.getTracks() || []) track.stop();
    stream = null;
    video.srcObject = null;
  }

  button.addEventListener("click", async () => {
    status.textContent = status.dataset.looking;
    dialog.showModal();
    try {
      stream = await navigator.mediaDevices.getUserMedia({ video: { facingMode: "environment" }, audio: false });
    } catch (error) {
      status.textContent = status.dataset.denied;
      return;
    }
    video.srcObject = stream;
    await video.play().catch(() => {});
    const read = await reader();
    running = true;
    const tick = async () => {
      if (!running) return;
      const code = shareCode(await read(video).catch(() => ""));
      if (code) {
        input.value = code;
        dialog.close("ok");
        input.focus();
        return;
      }
      requestAnimationFrame(tick);
    };
    tick();
  });

  dialog.addEventListener("close", stop);
}
