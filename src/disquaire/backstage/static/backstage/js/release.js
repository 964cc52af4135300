// Release page: resumable chunked uploads, tracklist reordering, live processing status.
import { csrfToken, request } from "./common.js";

const MAX_RETRIES = 8;

function wait(ms) {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

function extension(name) {
  const dot = name.lastIndexOf(".");
  return dot < 0 ? "" : name.slice(dot).toLowerCase();
}

function formatBytes(n) {
  if (n >= 1024 ** 3) return `${(n / 1024 ** 3).toFixed(1)} GB`;
  if (n >= 1024 ** 2) return `${(n / 1024 ** 2).toFixed(1)} MB`;
  return `${Math.max(1, Math.round(n / 1024))} KB`;
}

// --- uploads ----------------------------------------------------------------------------

function uploadRow(list, file) {
  const item = document.createElement("li");
  item.className = "bs-upload-item";
  const name = document.createElement("span");
  name.className = "bs-upload-name";
  name.textContent = `${file.name} (${formatBytes(file.size)})`;
  const bar = document.createElement("progress");
  bar.max = file.size || 1;
  bar.value = 0;
  bar.setAttribute("aria-label", file.name);
  const state = document.createElement("span");
  state.className = "bs-upload-state";
  item.append(name, bar, state);
  list.append(item);
  return {
    progress: (n) => { bar.value = n; },
    say: (text, kind = "") => {
      state.textContent = text;
      item.dataset.state = kind;
    },
  };
}

async function sendFile(zone, file, row, onTrack) {
  const d = zone.dataset;
  const ext = extension(file.name);
  const isAudio = d.audioExt.split(",").includes(ext);
  const isImage = d.imageExt.split(",").includes(ext);
  // Checked before sending anything; the server checks the same again.
  if (!isAudio && !isImage) return row.say(d.msgType, "failed");
  if (file.size > Number(isAudio ? d.audioMax : d.imageMax)) return row.say(d.msgSize, "failed");

  const start = await request(d.url, {
    method: "POST",
    body: JSON.stringify({ name: file.name, size: file.size }),
    headers: { "Content-Type": "application/json" },
  });
  if (!start.ok) return row.say(start.data.error || d.msgFailed, "failed");
  const upload = start.data;
  const chunk = Number(upload.chunk_bytes || d.chunk);
  let offset = upload.received;
  let failures = 0;
  while (offset < file.size) {
    const end = Math.min(offset + chunk, file.size);
    try {
      const response = await fetch(upload.url, {
        method: "PUT",
        credentials: "same-origin",
        headers: {
          "Content-Range": `bytes ${offset}-${end - 1}/${file.size}`,
          "Content-Type": "application/octet-stream",
          "X-CSRFToken": csrfToken(),
          Accept: "application/json",
        },
        body: file.slice(offset, end),
      });
      const data = await response.json().catch(() => ({}));
      if (response.ok) {
        offset = data.received;
        failures = 0;
        row.progress(offset);
        continue;
      }
      if (data.received !== undefined) {
        // 409 or an incomplete chunk: the server says where it really is; go on from there.
        offset = data.received;
        failures += 1;
        if (failures > MAX_RETRIES) return row.say(data.error || d.msgFailed, "failed");
        continue;
      }
      if (response.status < 500) return row.say(data.error || d.msgFailed, "failed");
      throw new Error(String(response.status));
    } catch {
      failures += 1;
      if (failures > MAX_RETRIES) return row.say(d.msgFailed, "failed");
      row.say(d.msgRetry, "retrying");
      await wait(Math.min(30000, 1000 * 2 ** failures));
      // Resume from what the server has, whatever happened to the last chunk.
      const status = await request(upload.url);
      if (status.ok) offset = status.data.received;
    }
  }
  row.say(d.msgChecking, "checking");
  const finish = await request(upload.finish_url, { method: "POST" });
  if (!finish.ok) return row.say(finish.data.error || d.msgFailed, "failed");
  row.say(d.msgDone, "done");
  onTrack(finish.data);
}

function setupUploads(zone, onTrack) {
  const input = zone.querySelector("[data-upload-input]");
  const drop = zone.querySelector("[data-drop]");
  const list = zone.querySelector("[data-upload-list]");
  let queue = Promise.resolve();
  const add = (files) => {
    for (const file of files) {
      const row = uploadRow(list, file);
      // One file at a time keeps the tracklist in the order the files were given.
      queue = queue.then(() => sendFile(zone, file, row, onTrack)).catch(() => row.say(zone.dataset.msgFailed, "failed"));
    }
  };
  const takeChosen = () => {
    add([...input.files]);
    input.value = "";
  };
  input.addEventListener("change", takeChosen);
  // Files chosen before this module ran (a quick hand, a restored form) are sent too.
  if (input.files && input.files.length) takeChosen();
  zone.dataset.ready = "true";
  drop.addEventListener("dragover", (event) => {
    event.preventDefault();
    drop.classList.add("bs-drop-over");
  });
  drop.addEventListener("dragleave", () => drop.classList.remove("bs-drop-over"));
  drop.addEventListener("drop", (event) => {
    event.preventDefault();
    drop.classList.remove("bs-drop-over");
    const files = [...event.dataTransfer.files].sort((a, b) => a.name.localeCompare(b.name, undefined, { numeric: true }));
    add(files);
  });
}

// --- tracklist -------------------------------------------------------------------------

function render(list, data) {
  const summary = document.querySelector("[data-status-summary]");
  if (summary) summary.textContent = data.summary;
  for (const track of data.tracks) {
    const row = list.querySelector(`[data-track="${track.id}"]`);
    if (!row) continue;
    row.querySelector("[data-position]").textContent = String(track.position);
    const status = row.querySelector("[data-status]");
    status.textContent = track.status_label;
    status.className = `bs-status bs-status-${track.status}`;
    row.querySelector("[data-formats]").textContent = track.formats
      .map((f) => `${f.label}: ${f.status_label}${f.status === "processing" ? ` ${Math.round(f.progress * 100)} %` : ""}`)
      .join(" · ");
    row.querySelector("[data-error]").textContent = track.status === "failed" ? track.error : "";
    row.querySelector("[data-retry]").hidden = track.status !== "failed";
  }
  const order = data.tracks.map((t) => String(t.id));
  const rows = [...list.querySelectorAll("[data-track]")];
  if (rows.map((r) => r.dataset.track).join() !== order.join()) {
    for (const id of order) {
      const row = list.querySelector(`[data-track="${id}"]`);
      if (row) list.append(row);
    }
  }
}

function setupTracklist(list) {
  let timer = 0;
  const poll = async () => {
    clearTimeout(timer);
    const { ok, data } = await request(list.dataset.statusUrl);
    if (ok) {
      render(list, data);
      if (!data.done) timer = setTimeout(poll, 2000);
    } else {
      timer = setTimeout(poll, 5000);
    }
  };

  list.addEventListener("submit", async (event) => {
    const form = event.target;
    if (!(form instanceof HTMLFormElement)) return;
    event.preventDefault();
    const body = new FormData(form);
    if (event.submitter && event.submitter.name) body.set(event.submitter.name, event.submitter.value);
    const { ok, data } = await request(form.action, { method: "POST", body });
    if (ok) {
      render(list, data);
      if (event.submitter) event.submitter.focus();
      const row = form.closest("[data-track]");
      const summary = document.querySelector("[data-status-summary]");
      if (form.matches("[data-move]") && row && summary) {
        // Say where the track went: the list moved under a keyboard or screen-reader user.
        summary.textContent = `${list.dataset.msgMoved} ${row.querySelector("[data-position]").textContent}`;
      } else {
        poll();
      }
    }
  });

  let dragged = null;
  list.addEventListener("dragstart", (event) => {
    dragged = event.target.closest("[data-track]");
    if (dragged) dragged.classList.add("bs-dragging");
  });
  list.addEventListener("dragover", (event) => {
    const over = event.target.closest("[data-track]");
    if (!dragged || !over || over === dragged) return;
    event.preventDefault();
    const box = over.getBoundingClientRect();
    over.parentNode.insertBefore(dragged, event.clientY > box.top + box.height / 2 ? over.nextSibling : over);
  });
  list.addEventListener("dragend", async () => {
    if (!dragged) return;
    dragged.classList.remove("bs-dragging");
    dragged = null;
    const order = [...list.querySelectorAll("[data-track]")].map((r) => Number(r.dataset.track));
    const { ok, data } = await request(list.dataset.reorderUrl, {
      method: "POST",
      body: JSON.stringify({ order }),
      headers: { "Content-Type": "application/json" },
    });
    if (ok) render(list, data);
  });
  poll();
  return (finished) => {
    if (finished.row) {
      const empty = list.querySelector("[data-empty]");
      if (empty) empty.remove();
      list.insertAdjacentHTML("beforeend", finished.row);
    }
    if (finished.cover_url) showCover(finished.cover_url);
    poll();
  };
}

function showCover(url) {
  const zone = document.querySelector("[data-upload]");
  let img = document.querySelector("[data-cover] img");
  if (!img && zone) {
    const holder = document.createElement("p");
    holder.className = "bs-cover";
    holder.dataset.cover = "";
    img = document.createElement("img");
    img.alt = "";
    img.width = 160;
    img.height = 160;
    holder.append(img);
    zone.after(holder);
  }
  if (img) img.src = url;
}

const list = document.querySelector("[data-tracklist]");
const added = list ? setupTracklist(list) : () => {};
const zone = document.querySelector("[data-upload]");
if (zone) setupUploads(zone, added);
