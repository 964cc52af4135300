// What the table app needs of the browser beyond its own state: time-ordered ids, the
// CSRF token, the unsent sales as a file, and the caches that keep it working offline.

export function hex(bytes) {
  return [...bytes].map((b) => b.toString(16).padStart(2, "0")).join("");
}

export function uuid7(now = Date.now()) {
  const b = new Uint8Array(16);
  crypto.getRandomValues(b);
  let ms = now;
  for (let i = 5; i >= 0; i--) {
    b[i] = ms % 256;
    ms = Math.floor(ms / 256);
  }
  b[6] = (b[6] & 0x0f) | 0x70;
  b[8] = (b[8] & 0x3f) | 0x80;
  const h = hex(b);
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`;
}

export function csrfToken() {
  const match = document.cookie.match(/(?:^|; )csrftoken=([^;]+)/);
  return match ? decodeURIComponent(match[1]) : "";
}

export async function exportSales(db, slug) {
  const all = await db.getAllFromIndex("sales", "artist_state", [slug, "unsent"]);
  const refused = await db.getAllFromIndex("sales", "artist_state", [slug, "refused"]);
  // Shows opened and counts made here, not yet taken by the server.
  const events = [
    ...(await db.getAllFromIndex("events", "artist_state", [slug, "unsent"])),
    ...(await db.getAllFromIndex("events", "artist_state", [slug, "refused"])),
  ];
  const exported = { artist: slug, exported_at: new Date().toISOString(), sales: [...all, ...refused], events };
  const blob = new Blob([JSON.stringify(exported, null, 2)], {
    type: "application/json",
  });
  const link = document.createElement("a");
  link.href = URL.createObjectURL(blob);
  link.download = `table-${slug}-${new Date().toISOString().slice(0, 19).replace(/:/g, "")}.json`;
  document.body.append(link);
  link.click();
  link.remove();
  setTimeout(() => URL.revokeObjectURL(link.href), 10_000);
}

export async function keepForOffline(urls) {
  if (!("serviceWorker" in navigator)) return;
  try {
    await navigator.serviceWorker.register(urls.sw, { scope: urls.scope });
    await navigator.serviceWorker.ready;
    // This first visit was not yet served by the worker: put the page and its files
    // in its caches now, so that the next one works without a network.
    const assets = performance
      .getEntriesByType("resource")
      .map((entry) => new URL(entry.name))
      .filter((url) => url.origin === location.origin && url.pathname.startsWith("/static/"))
      .map((url) => url.href);
    const modules = [...document.querySelectorAll("script[type=module], link[rel=stylesheet], link[rel=manifest]")].map(
      (el) => new URL(el.src || el.href, location.href).href,
    );
    const files = [...new Set([...assets, ...modules])];
    await (await caches.open("table-static")).addAll(files.filter((u) => u.includes("/static/")));
    await (await caches.open("table-shell")).addAll([location.pathname, ...files.filter((u) => !u.includes("/static/"))]);
    document.body.dataset.offlineReady = "1";
  } catch (error) {
    // No worker (private mode, old browser): the table still sells while the page is open.
  }
}
