// The merch table on a phone: sells with or without a network.
// Everything it needs is in IndexedDB (the catalogue, the queue of sales); the service
// worker (/table/sw.js) serves the page and its files offline. A sale is an event made
// here: a time-ordered id (UUIDv7), this phone's id and sequence number, its clock.
import { openDB } from "./vendor/idb.js";
import { bindPaymentPanes } from "./payment-panes.js";
import { buyerShow, buyerTake } from "./buyer.js";
import { bindPhonePay } from "./phone-pay.js";
import { csrfToken, exportSales, hex, keepForOffline, uuid7 } from "./device.js";
import { bindShowEvents, unsentEvents } from "./show-events.js";

export { uuid7 };

const urls = JSON.parse(document.getElementById("table-urls").textContent);
const t = JSON.parse(document.getElementById("table-strings").textContent);
const slug = location.pathname.split("/").filter(Boolean)[1];
const lang = document.documentElement.lang || "en";
const $ = (sel) => document.querySelector(sel);
const fill = (text, values) => text.replace(/\{(\w+)\}/g, (_, k) => String(values[k] ?? ""));

const dbReady = openDB("disquaire-table", 2, {
  upgrade(db, oldVersion) {
    if (oldVersion < 1) {
      db.createObjectStore("meta");
      db.createObjectStore("catalogue");
      const sales = db.createObjectStore("sales", { keyPath: "id" });
      sales.createIndex("artist_state", ["artist", "state"]);
    }
    if (oldVersion < 2) {
      // Shows opened and counts made on this phone (show-events.js).
      const events = db.createObjectStore("events", { keyPath: "id" });
      events.createIndex("artist_state", ["artist", "state"]);
    }
  },
});

let catalogue = null;
let cart = new Map(); // product id → quantity
let syncing = null;

async function deviceId() {
  const db = await dbReady;
  let id = await db.get("meta", "device_id");
  if (!id) {
    id = hex(crypto.getRandomValues(new Uint8Array(16))).replace(
      /^(.{8})(.{4})(.{4})(.{4})(.{12})$/,
      "$1-$2-$3-$4-$5",
    );
    await db.put("meta", id, "device_id");
  }
  return id;
}

// -- money

function digits(currency) {
  return new Intl.NumberFormat(lang, { style: "currency", currency }).resolvedOptions()
    .maximumFractionDigits;
}

function money(minor) {
  const currency = catalogue?.artist.currency || "EUR";
  return new Intl.NumberFormat(lang, { style: "currency", currency }).format(
    minor / 10 ** digits(currency),
  );
}

function toMinor(text) {
  const value = Number.parseFloat(String(text).replace(",", ".").replace(/\s/g, ""));
  if (!Number.isFinite(value) || value < 0) return null;
  return Math.round(value * 10 ** digits(catalogue.artist.currency));
}

// -- the catalogue

async function catalogueLoad() {
  const db = await dbReady;
  try {
    const response = await fetch(urls.catalogue, { credentials: "same-origin" });
    if (response.status === 403) {
      const body = await response.json();
      notice(body.error === "revoked" ? t.revoked : t.signin);
    } else if (response.ok) {
      const fresh = await response.json();
      // A show opened here and not yet on the server stays the phone's show.
      const kept = (await db.get("catalogue", slug))?.show;
      const opened = kept?.local ? await db.get("events", kept.id) : null;
      if (opened?.state === "unsent") {
        fresh.show = kept;
      } else if (fresh.show && kept?.counted_in) {
        // The count in made here stays what the count out offers, once the show is
        // the server's (its number in the open event's answer).
        const same = kept.local ? opened?.answer?.show === fresh.show.id : kept.id === fresh.show.id;
        if (same) fresh.show.counted_in = kept.counted_in;
      }
      catalogue = fresh;
      await db.put("catalogue", catalogue, slug);
    }
  } catch (error) {
    // Offline: the copy kept from the last time.
  }
  if (!catalogue) catalogue = (await db.get("catalogue", slug)) || null;
}

async function unsentSales() {
  const db = await dbReady;
  return db.getAllFromIndex("sales", "artist_state", [slug, "unsent"]);
}

async function unitsQueued() {
  const queued = new Map();
  for (const sale of await unsentSales()) {
    for (const line of sale.lines) {
      queued.set(line.product, (queued.get(line.product) || 0) + line.quantity);
    }
  }
  return queued;
}

// -- drawing

function notice(text) {
  const box = $("[data-notice]");
  box.textContent = text || "";
  box.hidden = !text;
}

async function drawProducts() {
  const list = $("[data-products]");
  list.replaceChildren();
  // Counts need a show (opened here or on the server).
  for (const button of document.querySelectorAll("[data-count]")) button.disabled = !catalogue?.show;
  if (!catalogue) return;
  $("[data-show]").textContent = catalogue.show
    ? `${catalogue.show.venue}${catalogue.show.town ? `, ${catalogue.show.town}` : ""} · ${catalogue.show.date}`
    : t.no_show;
  if (!catalogue.show) notice(t.no_show);
  const queued = await unitsQueued();
  for (const product of catalogue.products) {
    const left = Math.max(0, product.left - (queued.get(product.id) || 0) - (cart.get(product.id) || 0));
    const item = document.createElement("li");
    const button = document.createElement("button");
    button.type = "button";
    button.className = "t-product";
    button.dataset.product = product.id;
    button.setAttribute("aria-label", fill(t.add, { name: product.name, price: money(product.price) }));
    if (product.image) {
      const img = document.createElement("img");
      img.src = product.image;
      img.alt = "";
      img.width = 96;
      img.height = 96;
      button.append(img);
    }
    const name = document.createElement("span");
    name.className = "t-product-name";
    name.textContent = product.name;
    const price = document.createElement("span");
    price.className = "t-product-price";
    price.textContent = money(product.price);
    const stock = document.createElement("span");
    stock.className = left ? "t-product-left" : "t-product-left t-none";
    stock.textContent = left ? fill(t.left, { n: left }) : t.none_left;
    button.append(name, price, stock);
    button.addEventListener("click", () => cartAdd(product.id, 1));
    item.append(button);
    list.append(item);
  }
}

function cartTotal() {
  let total = 0;
  for (const [id, n] of cart) {
    const product = catalogue.products.find((p) => p.id === id);
    if (product) total += product.price * n;
  }
  return total;
}

function drawCart() {
  const list = $("[data-cart]");
  list.replaceChildren();
  if (!cart.size) {
    const empty = document.createElement("li");
    empty.className = "t-muted";
    empty.textContent = t.empty;
    list.append(empty);
  }
  for (const [id, n] of cart) {
    const product = catalogue.products.find((p) => p.id === id);
    if (!product) continue;
    const line = document.createElement("li");
    const less = document.createElement("button");
    less.type = "button";
    less.className = "t-button t-small";
    less.textContent = "−";
    less.setAttribute("aria-label", fill(t.less, { name: product.name }));
    less.addEventListener("click", () => cartAdd(id, -1));
    const more = document.createElement("button");
    more.type = "button";
    more.className = "t-button t-small";
    more.textContent = "+";
    more.setAttribute("aria-label", fill(t.more, { name: product.name }));
    more.addEventListener("click", () => cartAdd(id, 1));
    const label = document.createElement("span");
    label.textContent = `${fill(t.in_cart, { n, name: product.name })} · ${money(product.price * n)}`;
    line.append(less, label, more);
    list.append(line);
  }
  $("[data-total]").textContent = money(cartTotal());
  for (const button of document.querySelectorAll("[data-pay], [data-pay-phone]")) {
    button.disabled = !cart.size || !catalogue?.show;
  }
  document.dispatchEvent(new Event("table:cart"));
}

function cartAdd(id, delta) {
  const n = (cart.get(id) || 0) + delta;
  if (n > 0) cart.set(id, n);
  else cart.delete(id);
  drawCart();
  drawProducts();
}

async function drawQueue() {
  const unsent = (await unsentSales()).length + (await unsentEvents(dbReady, slug)).length;
  const db = await dbReady;
  const refused = (await db.getAllFromIndex("sales", "artist_state", [slug, "refused"])).length;
  $("[data-unsent]").textContent =
    unsent === 1 ? t.unsent_one : unsent ? fill(t.unsent, { n: unsent }) : t.all_sent;
  $("[data-refused]").textContent = String(refused);
  $("[data-refused-line]").hidden = !refused;
  $("[data-net]").textContent = navigator.onLine ? t.online : t.offline;
  document.body.classList.toggle("t-offline", !navigator.onLine);
  return unsent;
}

// -- selling

// A sale as the phone makes it (its id, this phone's id and next sequence number, its
// clock), with the buyer's fields; kept in the same IndexedDB transaction as its number
// when ``keep`` (a crash never leaves a number without its sale).
async function saleBuild(payment, extra, keep) {
  const db = await dbReady;
  const device = await deviceId();
  const lines = [...cart].map(([id, quantity]) => {
    const product = catalogue.products.find((p) => p.id === id);
    return { product: id, name: product.name, quantity, unit_price: product.price };
  });
  const total = payment === "free" ? 0 : cartTotal();
  const tx = db.transaction(["meta", "sales"], "readwrite");
  const seq = ((await tx.objectStore("meta").get("seq")) || 0) + 1;
  await tx.objectStore("meta").put(seq, "seq");
  const sale = {
    id: extra.id || uuid7(),
    artist: slug,
    state: "unsent",
    device_id: device,
    device_seq: seq,
    device_time: new Date().toISOString(),
    show: catalogue.show.id,
    payment,
    total,
    tendered: extra.tendered ?? null,
    reference: extra.reference || "",
    lines,
  };
  const music = lines.some((l) => catalogue.products.find((p) => p.id === l.product)?.category === "music");
  const fan = buyerTake({ music });
  if (fan) sale.fan = fan;
  if (keep) await tx.objectStore("sales").put(sale);
  await tx.done;
  return sale;
}

// A number taken for a sale that was never made (a checkout the server refused): given
// back when it is still the last, so that the band sees no gap in this phone's sales.
async function seqRelease(seq) {
  const db = await dbReady;
  const tx = db.transaction("meta", "readwrite");
  if ((await tx.store.get("seq")) === seq) await tx.store.put(seq - 1, "seq");
  await tx.done;
}

// Keep the sale on this phone (IndexedDB, unless kept already), empty the cart.
async function saleKeep(sale, put = true) {
  if (put) await (await dbReady).put("sales", sale);
  cart = new Map();
  drawCart();
  await drawProducts();
  await drawQueue();
}

async function saleRecord(payment, extra) {
  const sale = await saleBuild(payment, extra, true);
  await saleKeep(sale, false);
  notice(fill(t.sold, { total: money(sale.total) }));
  buyerShow(sale);
  sync();
}

function openPayment(kind) {
  const dialog = $(`[data-dialog="${kind}"]`);
  const due = cartTotal();
  for (const el of dialog.querySelectorAll("[data-due]")) el.textContent = money(kind === "free" ? 0 : due);
  if (kind === "cash") {
    const input = dialog.querySelector("[data-tendered]");
    const quick = dialog.querySelector("[data-quick]");
    input.value = "";
    quick.replaceChildren();
    const unit = 10 ** digits(catalogue.artist.currency);
    const notes = [due, ...[5, 10, 20, 50, 100].map((n) => n * unit).filter((n) => n > due)].slice(0, 4);
    for (const amount of notes) {
      const button = document.createElement("button");
      button.type = "button";
      button.className = "t-button t-small";
      button.textContent = amount === due ? t.exact : money(amount);
      button.addEventListener("click", () => {
        input.value = String(amount / unit);
        showChange();
      });
      quick.append(button);
    }
    showChange();
  }
  dialog.showModal();
}

function showChange() {
  const dialog = $('[data-dialog="cash"]');
  const given = toMinor(dialog.querySelector("[data-tendered]").value);
  const due = cartTotal();
  dialog.querySelector("[data-change]").textContent =
    given === null ? "—" : given < due ? t.short : money(given - due);
}

function bindDialogs() {
  $("[data-tendered]").addEventListener("input", showChange);
  for (const kind of ["cash", "card", "free"]) {
    const dialog = $(`[data-dialog="${kind}"]`);
    dialog.addEventListener("close", () => {
      if (dialog.returnValue !== "ok") return;
      if (kind === "cash") {
        const given = toMinor(dialog.querySelector("[data-tendered]").value);
        saleRecord("cash", { tendered: given !== null && given >= cartTotal() ? given : null });
      } else if (kind === "card") {
        saleRecord("card", { reference: dialog.querySelector("[data-reference]").value.trim() });
        dialog.querySelector("[data-reference]").value = "";
      } else {
        const why = dialog.querySelector("input[name=why]:checked")?.value || "guest";
        saleRecord("free", { reference: why });
      }
    });
  }
  for (const button of document.querySelectorAll("[data-pay]")) {
    button.addEventListener("click", () => openPayment(button.dataset.pay));
  }
  $("[data-clear]").addEventListener("click", () => {
    cart = new Map();
    drawCart();
    drawProducts();
  });
}

// -- sending

async function syncOnce() {
  const db = await dbReady;
  let flagged = 0;
  let refused = 0;
  for (;;) {
    const queue = (await unsentSales()).sort((a, b) => a.device_seq - b.device_seq);
    const batch = queue.slice(0, 200);
    // The server takes events and sales in the order made: a count out waits for the
    // batch that holds the sales made before it.
    const until = queue.length > batch.length ? batch[batch.length - 1].device_time : null;
    const events = (await unsentEvents(dbReady, slug))
      .filter((e) => until === null || e.device_time <= until)
      .slice(0, 100);
    if (!batch.length && !events.length) break;
    $("[data-unsent]").textContent = t.sending;
    const response = await fetch(urls.sync, {
      method: "POST",
      credentials: "same-origin",
      headers: { "Content-Type": "application/json", Accept: "application/json", "X-CSRFToken": csrfToken() },
      body: JSON.stringify({
        events: events.map(({ artist, state, ...event }) => event),
        sales: batch.map(({ artist, state, ...sale }) => sale),
      }),
    });
    if (response.status === 403) {
      const body = await response.json().catch(() => ({}));
      notice(body.error === "revoked" ? t.revoked : t.signin);
      break;
    }
    if (!response.ok) break;
    const { results, events: answered = [] } = await response.json();
    // "later": names a show opened on a phone that has not reached the server yet.
    let later = 0;
    const tx = db.transaction(["sales", "events"], "readwrite");
    for (const result of answered) {
      const event = await tx.objectStore("events").get(result.id);
      if (!event) continue;
      if (result.status === "later") {
        later++;
        continue;
      }
      event.state = result.status === "refused" ? "refused" : "sent";
      event.answer = result;
      if (result.status === "flagged") flagged++;
      if (result.status === "refused") refused++;
      await tx.objectStore("events").put(event);
    }
    for (const result of results) {
      const sale = await tx.objectStore("sales").get(result.id);
      if (!sale) continue;
      if (result.status === "later") {
        later++;
        continue;
      }
      sale.state = result.status === "refused" ? "refused" : "sent";
      sale.answer = result;
      if (result.status === "flagged") flagged++;
      if (result.status === "refused") refused++;
      await tx.objectStore("sales").put(sale);
    }
    await tx.done;
    if (later) break;
  }
  if (flagged) notice(fill(t.flagged, { n: flagged }));
  if (refused) notice(fill(t.refused, { n: refused }));
}

async function sync() {
  if (syncing) return syncing;
  syncing = (async () => {
    try {
      if (navigator.onLine) {
        await syncOnce();
        await catalogueLoad();
        await drawProducts();
      }
    } catch (error) {
      // The network went away mid-way: what was not answered stays unsent.
    } finally {
      await drawQueue();
      syncing = null;
    }
  })();
  return syncing;
}

async function start() {
  bindDialogs();
  $("[data-sync]").addEventListener("click", () => sync());
  $("[data-export]").addEventListener("click", async () => exportSales(await dbReady, slug));
  // Never sign out with sales still on the phone: the queue is only here. The check
  // reads IndexedDB (asynchronous): the form waits for it, then goes on or not.
  $("[data-signout]").addEventListener("submit", (event) => {
    event.preventDefault();
    Promise.all([unsentSales(), unsentEvents(dbReady, slug)]).then(([sales, events]) => {
      const n = sales.length + events.length;
      if (n) notice(fill(t.signout_refused, { n }));
      else event.target.submit();
    });
  });
  window.addEventListener("online", () => sync());
  window.addEventListener("offline", () => drawQueue());
  await catalogueLoad();
  bindPaymentPanes({
    catalogue: () => catalogue,
    cartTotal,
    money,
    newId: () => uuid7(),
    record: saleRecord,
    urls,
  });
  bindPhonePay({
    catalogue: () => catalogue,
    cartTotal,
    money,
    build: () => saleBuild("phone", {}, false),
    release: seqRelease,
    keep: saleKeep,
    restore: (lines) => {
      cart = new Map(lines.map((l) => [l.product, l.quantity]));
      drawCart();
      drawProducts();
    },
    paid: () => sync(),
    notice,
    csrf: csrfToken,
    strings: t,
    urls,
  });
  bindShowEvents({
    db: dbReady,
    slug,
    deviceId,
    catalogue: () => catalogue,
    setShow: async (show) => {
      catalogue.show = show;
      await (await dbReady).put("catalogue", catalogue, slug);
    },
    redraw: async () => {
      notice("");
      await drawProducts();
      drawCart();
      await drawQueue();
    },
    sync: () => sync(),
    notice,
    strings: t,
  });
  await drawProducts();
  drawCart();
  await drawQueue();
  document.body.dataset.ready = "1";
  sync();
  setInterval(() => sync(), 30_000);
  keepForOffline(urls);
}

start();
