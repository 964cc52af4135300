// Shows opened and counted on this phone, with or without a network. Each is an event
// made here, like a sale (a UUIDv7 id, this phone's id and its own sequence of events,
// its clock), kept in IndexedDB until the server has answered it. A show opened offline
// exists at once on the phone: its sales name it by its event's id until it is synced.
import { uuid7 } from "./device.js";

export function bindShowEvents({ db, slug, deviceId, catalogue, setShow, redraw, sync, notice, strings: t }) {
  const $ = (sel) => document.querySelector(sel);

  async function eventMake(fields) {
    const store = await db;
    const device = await deviceId();
    const tx = store.transaction(["meta", "events"], "readwrite");
    // Their own numbers: the sales' sequence keeps no gap for the band's report.
    const seq = ((await tx.objectStore("meta").get("event_seq")) || 0) + 1;
    await tx.objectStore("meta").put(seq, "event_seq");
    const event = {
      id: uuid7(),
      artist: slug,
      state: "unsent",
      device_id: device,
      device_seq: seq,
      device_time: new Date().toISOString(),
      ...fields,
    };
    await tx.objectStore("events").put(event);
    await tx.done;
    return event;
  }

  const openDialog = $('[data-dialog="open-show"]');
  $("[data-open-show]").addEventListener("click", () => {
    openDialog.querySelector("[name=date]").value = new Date().toISOString().slice(0, 10);
    openDialog.showModal();
  });
  openDialog.addEventListener("close", async () => {
    if (openDialog.returnValue !== "ok") return;
    const form = openDialog.querySelector("form");
    const date = form.elements.date.value;
    const venue = form.elements.venue.value.trim();
    const town = form.elements.town.value.trim();
    if (!date || !venue) {
      notice(t.show_needs);
      return;
    }
    const event = await eventMake({ kind: "open", date, venue, town });
    form.reset();
    await setShow({ id: event.id, date, venue, town, local: true });
    await redraw();
    notice(t.show_opened);
    sync();
  });

  const countDialog = $('[data-dialog="count"]');
  let stage = "in";
  for (const button of document.querySelectorAll("[data-count]")) {
    button.addEventListener("click", async () => {
      stage = button.dataset.count;
      const cat = catalogue();
      countDialog.querySelector("[data-count-title]").textContent = stage === "in" ? t.count_in : t.count_out;
      const offered = stage === "in" ? cat.show.count_in || cat.count_in || {} : cat.show.counted_in || {};
      const list = countDialog.querySelector("[data-count-items]");
      list.replaceChildren();
      for (const item of cat.items || []) {
        const row = document.createElement("p");
        const label = document.createElement("label");
        label.htmlFor = `count-${item.id}`;
        label.textContent = item.name;
        const input = document.createElement("input");
        input.id = `count-${item.id}`;
        input.className = "t-input";
        input.type = "number";
        input.min = "0";
        input.step = "1";
        input.inputMode = "numeric";
        input.dataset.item = item.id;
        input.value = offered[item.id] ?? "";
        row.append(label, input);
        list.append(row);
      }
      countDialog.showModal();
    });
  }
  countDialog.addEventListener("close", async () => {
    if (countDialog.returnValue !== "ok") return;
    const counts = {};
    for (const input of countDialog.querySelectorAll("[data-item]")) {
      const n = Number.parseInt(input.value, 10);
      if (Number.isInteger(n) && n >= 0) counts[input.dataset.item] = n;
    }
    const cat = catalogue();
    await eventMake({ kind: stage, show: cat.show.id, counts });
    if (stage === "in") {
      // What the bag holds now, for the buttons' "N left" until the server says.
      for (const product of cat.products) {
        if (!product.units?.length) continue;
        product.left = Math.min(...product.units.map(([item, q]) => Math.floor((counts[item] ?? 0) / q)));
      }
      cat.show.counted_in = counts;
    }
    await setShow(cat.show);
    await redraw();
    notice(stage === "in" ? t.counted_in : t.counted_out);
    sync();
  });
}

// The events still to send, in this phone's order.
export async function unsentEvents(db, slug) {
  const events = await (await db).getAllFromIndex("events", "artist_state", [slug, "unsent"]);
  return events.sort((a, b) => a.device_seq - b.device_seq);
}
