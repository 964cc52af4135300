// Disquaire's player: a small ES module, no dependencies, no build step.
//
// DOM contract (see templates/storefront/includes/player.html):
// - <main data-release="ID"> holds the page; every button [data-play="TRACK_ID"]
//   plays that track (several buttons may name the same track); rows are
//   <tr data-track="TRACK_ID"> and get .is-playing / aria-current while playing.
// - [data-player] is the mini-player (hidden until something plays; data-ready is set
//   once the player data has arrived), with
//   data-api (the per-visitor JSON URL), optional data-preview, and data-label-*
//   attributes holding every translated string ("{title}", "{n}", "{seconds}",
//   "{current}", "{total}" are filled in here). Inside: [data-player-toggle],
//   [data-player-prev], [data-player-next], [data-player-title], [data-player-current],
//   [data-player-duration], [data-player-wave] (role="slider", with a <canvas>),
//   [data-player-note], optional [data-player-clip] (a short visible "preview" mark,
//   shown while clips play); the live region [data-player-status] sits outside it.
// - One <audio> element is created inside [data-player]; browser tests can read its
//   currentTime and paused state.
//
// API: `init(document)` wires a page and returns its Player (null when the page has
// no player); the module runs it once on load. A Player has load(), play(id),
// pause(), toggle(), next(), previous(), seek(seconds) and `current` (the track
// entry playing, or null).

const SEEK_STEP = 5;
const PAGE_STEP = 30;
const FORM_CONTROLS = "input, textarea, select, button, [contenteditable], [role=slider]";

function format(template, values) {
  return (template || "").replace(/\{(\w+)\}/g, (match, key) =>
    key in values ? String(values[key]) : match,
  );
}

const PAUSE_PATH = "M3.5 2.5h3v11h-3zM9.5 2.5h3v11h-3z";

function swapIcon(button, playing) {
  // The page's play buttons carry a triangle icon; show two bars while their track plays.
  const path = button.querySelector("svg path");
  if (!path) return;
  if (!path.hasAttribute("data-play-path")) {
    path.setAttribute("data-play-path", path.getAttribute("d"));
  }
  path.setAttribute("d", playing ? PAUSE_PATH : path.getAttribute("data-play-path"));
}

export function clock(seconds) {
  if (!Number.isFinite(seconds) || seconds < 0) seconds = 0;
  const whole = Math.floor(seconds);
  const hours = Math.floor(whole / 3600);
  const minutes = Math.floor((whole % 3600) / 60);
  const secs = String(whole % 60).padStart(2, "0");
  return hours ? `${hours}:${String(minutes).padStart(2, "0")}:${secs}` : `${minutes}:${secs}`;
}

export class Player {
  constructor(root, main) {
    this.root = root;
    this.main = main;
    this.doc = root.ownerDocument;
    this.labels = root.dataset;
    this.tracks = [];
    this.byId = new Map();
    this.current = null;
    this.data = null;
    this.pendingSeek = null;
    this.retried = false;
    this.loading = null;

    this.audio = this.doc.createElement("audio");
    this.audio.preload = "none";
    root.append(this.audio);

    const find = (name) => root.querySelector(`[data-player-${name}]`);
    this.ui = {
      toggle: find("toggle"),
      prev: find("prev"),
      next: find("next"),
      title: find("title"),
      current: find("current"),
      duration: find("duration"),
      wave: find("wave"),
      note: find("note"),
      clip: find("clip"),
      status: this.doc.querySelector("[data-player-status]"),
    };
    this.canvas = this.ui.wave ? this.ui.wave.querySelector("canvas") : null;
    this.bind();
  }

  // --- data -------------------------------------------------------------------------------

  apiUrl() {
    const url = new URL(this.root.dataset.api, this.doc.baseURI);
    const preview =
      this.root.dataset.preview || new URLSearchParams(this.doc.location.search).get("preview");
    if (preview) url.searchParams.set("preview", preview);
    return url;
  }

  load() {
    if (!this.loading) {
      this.loading = fetch(this.apiUrl(), {
        credentials: "same-origin",
        headers: { Accept: "application/json" },
      })
        .then((response) => {
          if (!response.ok) throw new Error(`player data: ${response.status}`);
          return response.json();
        })
        .then((data) => this.receive(data))
        .catch((error) => {
          this.loading = null;
          throw error;
        });
    }
    return this.loading;
  }

  receive(data) {
    this.data = data;
    this.tracks = data.tracks || [];
    this.byId = new Map(this.tracks.map((track) => [String(track.id), track]));
    if (this.current) {
      this.current = this.byId.get(String(this.current.id)) || this.current;
    }
    // The bar itself stays hidden until something plays: an empty bar at the bottom of
    // the screen is a control that does nothing.
    if (this.tracks.length) this.root.dataset.ready = "";
    this.renderNote();
    this.renderButtons();
    this.draw();
    return data;
  }

  async claim(track) {
    // A "limited" release: starting a track spends a full play on the server.
    const response = await fetch(track.claim, {
      method: "POST",
      credentials: "same-origin",
      headers: { Accept: "application/json" },
    });
    if (!response.ok) throw new Error(`play claim: ${response.status}`);
    const answer = await response.json();
    const fresh = answer.track;
    Object.assign(track, fresh, { claim: null });
    if (this.data) {
      this.data.plays_left = answer.plays_left;
      if (fresh.mode === "clip") {
        // No full play left: every other track is a clip too; fetch their clip URLs.
        this.loading = null;
        await this.load();
        return this.byId.get(String(track.id)) || track;
      }
    }
    this.renderNote();
    return track;
  }

  // --- playing -------------------------------------------------------------------------

  pickSource(track) {
    const sources = track.sources || [];
    return (
      sources.find((source) => this.audio.canPlayType(source.type) === "probably") ||
      sources.find((source) => this.audio.canPlayType(source.type) !== "") ||
      sources[sources.length - 1] ||
      null
    );
  }

  async play(id) {
    try {
      await this.load();
    } catch {
      this.announce(this.labels.labelError);
      return;
    }
    let track = id == null ? this.current || this.tracks[0] : this.byId.get(String(id));
    if (!track) return;
    this.root.hidden = false;
    if (this.current && String(this.current.id) === String(track.id) && this.audio.src) {
      return this.resume();
    }
    if (track.claim) {
      this.announce(this.labels.labelLoading);
      try {
        track = await this.claim(track);
      } catch {
        this.announce(this.labels.labelError);
        return;
      }
    }
    const source = this.pickSource(track);
    this.current = track;
    this.retried = false;
    this.pendingSeek = null;
    this.renderTrack();
    if (!source) {
      this.audio.removeAttribute("src");
      this.audio.load();
      this.announce(format(this.labels.labelPending, { title: track.title }));
      this.renderButtons();
      return;
    }
    this.audio.src = source.src;
    this.setMediaSession(track);
    this.recordPlay(track);
    return this.resume();
  }

  /** Tell the server a track started (a count per track and day, for the band). */
  recordPlay(track) {
    const base = this.root.dataset.played;
    if (!base) return;
    const url = new URL(base.replace(/0\/$/, `${encodeURIComponent(track.id)}/`), this.doc.baseURI);
    const preview =
      this.root.dataset.preview || new URLSearchParams(this.doc.location.search).get("preview");
    if (preview) url.searchParams.set("preview", preview);
    fetch(url, { method: "POST", credentials: "same-origin", keepalive: true }).catch(() => {});
  }

  async resume() {
    try {
      await this.audio.play();
    } catch (error) {
      // NotAllowedError (no user gesture yet) or AbortError (another src was set).
      if (error && error.name === "NotAllowedError") this.announce(this.labels.labelPaused);
    }
  }

  pause() {
    this.audio.pause();
  }

  toggle(id) {
    const same = id == null || (this.current && String(this.current.id) === String(id));
    if (same && this.current && this.audio.src && !this.audio.paused) {
      this.pause();
      return Promise.resolve();
    }
    return this.play(id == null ? null : id);
  }

  offset(step) {
    if (!this.current) return null;
    const index = this.tracks.findIndex((t) => String(t.id) === String(this.current.id));
    return this.tracks[index + step] || null;
  }

  next() {
    const track = this.offset(1);
    return track ? this.play(track.id) : Promise.resolve();
  }

  previous() {
    // Like every player: back to the start first, to the previous track when near it.
    if (this.audio.currentTime > 3 || !this.offset(-1)) {
      this.seek(0);
      return Promise.resolve();
    }
    return this.play(this.offset(-1).id);
  }

  length() {
    if (Number.isFinite(this.audio.duration) && this.audio.duration > 0) {
      return this.audio.duration;
    }
    const track = this.current;
    if (!track) return 0;
    if (track.mode === "clip" && track.clip_seconds) {
      return Math.min(track.clip_seconds, track.duration || track.clip_seconds);
    }
    return track.duration || 0;
  }

  seek(seconds) {
    if (!this.current) return;
    const target = Math.max(0, Math.min(seconds, this.length()));
    if (this.audio.readyState < 1) {
      this.pendingSeek = target;
      if (this.audio.src && this.audio.preload === "none") this.audio.preload = "metadata";
    } else {
      this.audio.currentTime = target;
    }
    this.renderTime(target);
  }

  // --- events ----------------------------------------------------------------------------

  bind() {
    const audio = this.audio;
    audio.addEventListener("playing", () => {
      this.announce(format(this.labels.labelPlaying, { title: this.current?.title || "" }));
      this.renderButtons();
    });
    audio.addEventListener("pause", () => {
      if (!audio.ended) this.announce(this.labels.labelPaused);
      this.renderButtons();
    });
    audio.addEventListener("ended", () => {
      this.renderButtons();
      if (this.offset(1)) this.next();
      else this.announce(this.labels.labelEnded);
    });
    audio.addEventListener("loadedmetadata", () => {
      if (this.pendingSeek != null) {
        audio.currentTime = this.pendingSeek;
        this.pendingSeek = null;
      }
      this.renderTime();
    });
    audio.addEventListener("timeupdate", () => this.renderTime());
    audio.addEventListener("durationchange", () => this.renderTime());
    audio.addEventListener("error", () => this.recover());

    for (const button of this.doc.querySelectorAll("[data-play]")) {
      button.addEventListener("click", (event) => {
        event.preventDefault();
        // The release's big Play button resumes whatever is playing, else the first track.
        const main = button.classList.contains("play-main") && this.current;
        this.toggle(main ? null : button.dataset.play);
      });
    }
    this.ui.toggle?.addEventListener("click", () => this.toggle());
    this.ui.next?.addEventListener("click", () => this.next());
    this.ui.prev?.addEventListener("click", () => this.previous());

    const wave = this.ui.wave;
    if (wave) {
      let dragging = false;
      const seekTo = (event) => {
        const box = wave.getBoundingClientRect();
        if (!box.width) return;
        const fraction = Math.max(0, Math.min(1, (event.clientX - box.left) / box.width));
        this.seek(fraction * this.length());
      };
      wave.addEventListener("pointerdown", (event) => {
        if (!this.current) return;
        dragging = true;
        wave.setPointerCapture?.(event.pointerId);
        seekTo(event);
      });
      wave.addEventListener("pointermove", (event) => dragging && seekTo(event));
      const stop = () => {
        dragging = false;
      };
      wave.addEventListener("pointerup", stop);
      wave.addEventListener("pointercancel", stop);
      wave.addEventListener("keydown", (event) => this.sliderKey(event));
      this.doc.defaultView?.addEventListener("resize", () => this.draw());
    }
    this.doc.addEventListener("keydown", (event) => this.pageKey(event));
  }

  sliderKey(event) {
    if (!this.current || event.altKey || event.ctrlKey || event.metaKey) return;
    const now = this.audio.currentTime;
    const moves = {
      ArrowLeft: now - SEEK_STEP,
      ArrowDown: now - SEEK_STEP,
      ArrowRight: now + SEEK_STEP,
      ArrowUp: now + SEEK_STEP,
      PageDown: now - PAGE_STEP,
      PageUp: now + PAGE_STEP,
      Home: 0,
      End: this.length(),
    };
    if (event.key in moves) {
      event.preventDefault();
      this.seek(moves[event.key]);
    } else if (event.key === " " || event.key === "Enter") {
      event.preventDefault();
      this.toggle();
    }
  }

  pageKey(event) {
    if (event.defaultPrevented || event.altKey || event.ctrlKey || event.metaKey) return;
    const target = event.target;
    if (target instanceof Element && target.closest(FORM_CONTROLS)) return;
    if (event.key === " " && this.tracks.length) {
      event.preventDefault();
      this.toggle();
    } else if ((event.key === "ArrowLeft" || event.key === "ArrowRight") && this.current) {
      event.preventDefault();
      const step = event.key === "ArrowLeft" ? -SEEK_STEP : SEEK_STEP;
      this.seek(this.audio.currentTime + step);
    }
  }

  async recover() {
    // Most likely an expired stream URL (410): fetch fresh ones once and carry on.
    if (!this.current || this.retried || !this.audio.src) {
      if (this.current && this.audio.src) this.announce(this.labels.labelError);
      return;
    }
    this.retried = true;
    const at = this.audio.currentTime;
    const wasPlaying = !this.audio.paused;
    this.loading = null;
    let track;
    try {
      await this.load();
      track = this.byId.get(String(this.current.id));
      if (track && track.claim) track = await this.claim(track);
    } catch {
      this.announce(this.labels.labelError);
      return;
    }
    const source = track && this.pickSource(track);
    if (!source) {
      this.announce(this.labels.labelError);
      return;
    }
    this.current = track;
    this.audio.src = source.src;
    this.pendingSeek = at || null;
    if (wasPlaying || at) await this.resume();
  }

  // --- rendering -------------------------------------------------------------------------

  announce(text) {
    if (this.ui.status && text) this.ui.status.textContent = text;
  }

  renderTrack() {
    const track = this.current;
    if (this.ui.title) this.ui.title.textContent = track ? track.title : "";
    if (this.ui.prev) this.ui.prev.disabled = !track;
    if (this.ui.next) this.ui.next.disabled = !this.offset(1);
    this.renderTime(0);
    this.renderButtons();
  }

  renderTime(at) {
    const now = at == null ? this.audio.currentTime : at;
    const total = this.length();
    if (this.ui.current) this.ui.current.textContent = clock(now);
    if (this.ui.duration) this.ui.duration.textContent = clock(total);
    const wave = this.ui.wave;
    if (wave) {
      wave.setAttribute("aria-valuemax", String(Math.round(total)));
      wave.setAttribute("aria-valuenow", String(Math.round(Math.min(now, total))));
      wave.setAttribute(
        "aria-valuetext",
        format(this.labels.labelPosition, { current: clock(now), total: clock(total) }),
      );
    }
    this.draw(total ? now / total : 0);
    this.positionState(now, total);
  }

  renderButtons() {
    const playingId = this.current && !this.audio.paused ? String(this.current.id) : null;
    const currentId = this.current ? String(this.current.id) : null;
    for (const row of this.doc.querySelectorAll("[data-track]")) {
      const isCurrent = row.dataset.track === currentId;
      row.classList.toggle("is-current", isCurrent);
      row.classList.toggle("is-playing", row.dataset.track === playingId);
      if (isCurrent) row.setAttribute("aria-current", "true");
      else row.removeAttribute("aria-current");
    }
    for (const button of this.doc.querySelectorAll("[data-play]")) {
      const track = this.byId.get(button.dataset.play);
      const main = button.classList.contains("play-main");
      const playing = main ? playingId !== null : button.dataset.play === playingId;
      button.classList.toggle("is-playing", playing);
      swapIcon(button, playing);
      const text = button.querySelector("span");
      if (text && !button.hasAttribute("aria-label")) {
        // The big "Play" button of a release page, labelled by its text.
        text.textContent = playing ? this.labels.labelPause : this.labels.labelPlay;
      } else if (track) {
        const label = playing ? this.labels.labelPauseTrack : this.labels.labelPlayTrack;
        button.setAttribute("aria-label", format(label, { title: track.title }));
      }
    }
    const toggle = this.ui.toggle;
    if (toggle) {
      const playing = playingId !== null;
      toggle.setAttribute("aria-label", playing ? this.labels.labelPause : this.labels.labelPlay);
      toggle.classList.toggle("is-playing", playing);
      for (const icon of toggle.querySelectorAll("[data-icon]")) {
        // SVG elements have no `hidden` property: set the attribute itself.
        const wanted = playing ? "pause" : "play";
        icon.toggleAttribute("hidden", icon.getAttribute("data-icon") !== wanted);
      }
    }
  }

  renderNote() {
    const note = this.ui.note;
    if (!note || !this.data) return;
    const data = this.data;
    const track = this.current || this.tracks[0];
    const clip = track && track.mode === "clip";
    note.replaceChildren();
    let text = "";
    if (data.plays_left != null && data.plays_left > 0) {
      const rules = new Intl.PluralRules(this.doc.documentElement.lang || undefined);
      const form = rules.select(data.plays_left) === "one" ? "labelPlaysOne" : "labelPlaysOther";
      text = format(this.labels[form], { n: data.plays_left });
    } else if (clip) {
      text = format(this.labels.labelClips, { seconds: track.clip_seconds || data.clip_seconds });
    }
    if (text) note.append(text);
    if (clip && data.buy_url) {
      const link = this.doc.createElement("a");
      link.href = data.buy_url;
      link.className = "player-buy";
      link.textContent = this.labels.labelBuy;
      note.append(" ", link);
    }
    note.hidden = !note.childNodes.length;
    if (this.ui.clip) this.ui.clip.hidden = !clip;
  }

  draw(progress) {
    const canvas = this.canvas;
    if (!canvas) return;
    if (progress == null) {
      const total = this.length();
      progress = total ? this.audio.currentTime / total : 0;
    }
    const ratio = this.doc.defaultView?.devicePixelRatio || 1;
    const width = Math.max(1, Math.round((this.ui.wave.clientWidth || 300) * ratio));
    const height = Math.round(40 * ratio);
    if (canvas.width !== width || canvas.height !== height) {
      canvas.width = width;
      canvas.height = height;
      canvas.style.width = "100%";
      canvas.style.height = "40px";
    }
    const context = canvas.getContext("2d");
    if (!context) return;
    context.clearRect(0, 0, width, height);
    const track = this.current || this.tracks[0];
    let peaks = (track && track.peaks) || [];
    if (track && track.mode === "clip" && track.clip_seconds && track.duration) {
      // A clip is the start of the track: show that part of its waveform.
      const share = Math.min(1, track.clip_seconds / track.duration);
      peaks = peaks.slice(0, Math.max(1, Math.round(peaks.length * share)));
    }
    if (!peaks.length) peaks = [0.05];
    const style = this.doc.defaultView.getComputedStyle(this.root);
    const played = style.getPropertyValue("--accent").trim() || "#9c2f1f";
    const rest = style.getPropertyValue("--muted").trim() || "#888";
    const bar = width / peaks.length;
    const gap = bar > 3 * ratio ? ratio : 0;
    peaks.forEach((peak, index) => {
      const h = Math.max(ratio, Math.min(1, peak) * height);
      context.fillStyle = (index + 0.5) / peaks.length <= progress ? played : rest;
      context.fillRect(index * bar, (height - h) / 2, Math.max(ratio, bar - gap), h);
    });
  }

  // --- MediaSession -----------------------------------------------------------------------

  setMediaSession(track) {
    const session = this.doc.defaultView?.navigator?.mediaSession;
    if (!session || typeof MediaMetadata === "undefined") return;
    const cover = this.doc.querySelector(".release-cover img");
    const artwork = cover ? [{ src: cover.currentSrc || cover.src }] : [];
    session.metadata = new MediaMetadata({
      title: track.title,
      artist: this.root.dataset.artist || "",
      album: this.root.dataset.album || "",
      artwork,
    });
    if (this.sessionBound) return;
    this.sessionBound = true;
    const handlers = {
      play: () => this.resume(),
      pause: () => this.pause(),
      previoustrack: () => this.previous(),
      nexttrack: () => this.next(),
      seekbackward: (details) => this.seek(this.audio.currentTime - (details.seekOffset || 10)),
      seekforward: (details) => this.seek(this.audio.currentTime + (details.seekOffset || 10)),
      seekto: (details) => this.seek(details.seekTime || 0),
    };
    for (const [action, handler] of Object.entries(handlers)) {
      try {
        session.setActionHandler(action, handler);
      } catch {
        // An action this browser does not know.
      }
    }
  }

  positionState(now, total) {
    const session = this.doc.defaultView?.navigator?.mediaSession;
    if (!session || !session.setPositionState || !total) return;
    try {
      session.setPositionState({
        duration: total,
        playbackRate: this.audio.playbackRate || 1,
        position: Math.min(now, total),
      });
    } catch {
      // Position outside the duration while metadata changes: ignore.
    }
  }
}

export function init(doc = document) {
  const root = doc.querySelector("[data-player]");
  const main = doc.querySelector("main[data-release]");
  if (!root || !main || !root.dataset.api) return null;
  const player = new Player(root, main);
  player.load().catch(() => {
    // Stays hidden; a play button retries and announces the failure.
  });
  return player;
}

if (typeof document !== "undefined") init();
