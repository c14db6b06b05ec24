// tinyreg playground: the page. Plain JavaScript and Canvas, nothing loaded from elsewhere.
// The server trains (the tinyreg engine) and validates every value; this page sends the
// learner's changes over one WebSocket and draws the snapshots it receives, at its own rate.
"use strict";

const COLORS = ["#f59322", "#0877bd", "#2ca02c", "#9467bd", "#d62728", "#8c564b", "#e377c2", "#17becf"];
const RGB = COLORS.map((c) => [1, 3, 5].map((i) => parseInt(c.slice(i, i + 2), 16)));
// slider positions: the values a learner usually wants (the number box takes any valid value)
const LADDERS = {
  noise: [0, 0.05, 0.1, 0.15, 0.2, 0.25, 0.3, 0.4, 0.5, 0.7, 1],
  train_size: [10, 20, 30, 50, 100, 150, 200, 300, 500, 1000, 2000],
  lr: [0.0001, 0.0003, 0.001, 0.003, 0.01, 0.03, 0.1, 0.3, 1, 3],
  momentum: [0, 0.5, 0.8, 0.9, 0.95, 0.99],
  batch_size: [1, 2, 4, 8, 16, 32, 64, 128, 256, 512],
  dropout: [0, 0.05, 0.1, 0.15, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9],
  augmentation: [0, 0.01, 0.02, 0.05, 0.1, 0.15, 0.2, 0.3, 0.5, 1],
  label_smoothing: [0, 0.05, 0.1, 0.15, 0.2, 0.3, 0.5],
  mixup: [0, 0.1, 0.2, 0.4, 1, 2, 4],
  max_norm: [0, 0.5, 1, 1.5, 2, 3, 5, 10],
  early_stopping: [0, 1, 2, 3, 5, 10, 20, 50, 100],
};
const LOG_LADDER = [0, 1e-5, 3e-5, 1e-4, 3e-4, 1e-3, 3e-3, 0.01, 0.03, 0.1, 0.3, 1];
const LABELS = { train_size: "train size", l1_prox: "L1 proximal", l1: "L1", l2: "L2",
  weight_decay: "weight decay", batch_norm: "batch norm", label_smoothing: "label smooth.",
  early_stopping: "early stop (pat.)", max_norm: "max-norm", group_lasso: "group lasso",
  augmentation: "input noise", batch_size: "batch size", lr: "learning rate", mixup: "MixUp alpha" };

const page = {
  ws: null, knobs: {}, limits: {}, configs: {}, playing: false, points: null, models: {},
  editing: "a", errors: [], sentId: 0, sentAt: {}, latencies: [], updates: 0, dirty: true,
};

// ------------------------------------------------------------------------- the test hook
window.playground = {
  /** {step, train_loss, val_loss, val_accuracy, zero_fraction, running} (one model) or
   * {a: {...}, b: {...}} (two); null before the first snapshot. */
  state() {
    const names = Object.keys(page.models).filter((k) => page.models[k].state);
    if (!names.length) return null;
    if (!page.configs.b) return { ...page.models.a.state };
    return Object.fromEntries(names.map((k) => [k, { ...page.models[k].state }]));
  },
  errors: () => page.errors.map((e) => e.message),
  latencies: () => page.latencies.slice(),
  updates: () => page.updates,
  set: (values) => sendSet(values),
  query: () => location.search,
};

// ------------------------------------------------------------------------- connection
function connect() {
  const scheme = location.protocol === "https:" ? "wss" : "ws";
  page.ws = new WebSocket(`${scheme}://${location.host}/ws`);
  page.ws.onopen = () => send({ type: "hello", query: location.search });
  page.ws.onmessage = (event) => receive(JSON.parse(event.data));
  page.ws.onclose = () => showStatus("disconnected: reload the page to start a new session");
}

function send(message) {
  if (page.ws && page.ws.readyState === WebSocket.OPEN) page.ws.send(JSON.stringify(message));
}

function sendSet(values) {
  const id = ++page.sentId;
  page.sentAt[id] = performance.now();
  send({ type: "set", values, id });
  return id;
}

function receive(message) {
  const handlers = { knobs: onKnobs, config: onConfig, points: onPoints, snapshot: onSnapshot,
    code: onCode, error: onError };
  const handler = handlers[message.type];
  if (handler) handler(message);
}

function onKnobs(message) {
  page.limits = message.limits;
  for (const knob of message.knobs) page.knobs[knob.name] = knob;
  buildControls();
}

function onConfig(message) {
  page.configs = { a: message.a };
  if (message.b) page.configs.b = message.b;
  else page.editing = "a";
  page.playing = message.playing;
  const query = message.query ? `?${message.query}` : location.pathname;
  if (`?${message.query}` !== location.search) history.replaceState(null, "", query);
  syncModels();
  showControls();
  showButtons();
}

function onPoints(message) {
  page.points = message;
  page.dirty = true;
}

function onSnapshot(message) {
  page.updates += 1;
  page.playing = message.playing;
  for (const name of ["a", "b"]) {
    const snap = message[name];
    const model = page.models[name];
    if (!snap || !model) continue;
    const curves = snap.curves;
    if (curves.from === 0 || !model.curves) model.curves = { loss: [], accuracy: [], val_loss: [], val_accuracy: [] };
    for (const key of Object.keys(model.curves)) model.curves[key].push(...curves[key]);
    Object.assign(model, { state: snap.state, epoch: snap.epoch, snap, dirty: true });
    model.boundary = bytes(snap.boundary);
    model.layers = snap.layers.map((l) => ({ shape: l.shape, w: floats(l.w) }));
  }
  const started = page.sentAt[message.applied];
  if (started !== undefined) {
    page.latencies.push(performance.now() - started);
    delete page.sentAt[message.applied];
  }
  showButtons();
}

function onCode(message) {
  document.getElementById("code-text").textContent = message.text;
  document.getElementById("code-dialog").showModal();
}

function onError(message) {
  page.errors.push(message);
  const box = document.getElementById("errors");
  const p = document.createElement("p");
  p.textContent = message.field ? `${message.message}` : message.message;
  box.appendChild(p);
  while (box.children.length > 4) box.removeChild(box.firstChild);
  if (message.field) {
    const row = document.querySelector(`.knob[data-name="${message.field.replace(/^b\./, "")}"]`);
    if (row) row.classList.add("bad");
  }
  clearTimeout(onError.timer);
  onError.timer = setTimeout(() => { box.textContent = ""; }, 15000);
}

function bytes(b64) {
  const text = atob(b64);
  const out = new Uint8Array(text.length);
  for (let i = 0; i < text.length; i++) out[i] = text.charCodeAt(i);
  return out;
}

function floats(b64) {
  return new Float32Array(bytes(b64).buffer);
}

// ------------------------------------------------------------------------- controls
function ladder(knob) {
  if (LADDERS[knob.name]) return LADDERS[knob.name];
  if (knob.kind === "float") return LOG_LADDER.filter((v) => v <= knob.high);
  return null;
}

function nearest(values, value) {
  let best = 0;
  values.forEach((v, i) => { if (Math.abs(v - value) < Math.abs(values[best] - value)) best = i; });
  return best;
}

function field(name) {
  const shared = ["dataset", "noise", "train_size", "seed", "steps", "run"].includes(name);
  return page.editing === "b" && !shared ? `b.${name}` : name;
}

function buildControls() {
  for (const knob of Object.values(page.knobs)) {
    if (knob.name === "run") continue;
    const section = document.querySelector(`section[data-section="${knob.section}"]`);
    const row = document.createElement("div");
    row.className = "knob";
    row.dataset.name = knob.name;
    row.title = knob.help;
    const label = document.createElement("label");
    label.textContent = LABELS[knob.name] || knob.name;
    row.appendChild(label);
    const change = (value) => { row.classList.remove("bad"); sendSet({ [field(knob.name)]: value }); };
    if (knob.kind === "choice" || knob.kind === "bool") {
      const select = document.createElement("select");
      const options = knob.kind === "bool" ? [["0", "off"], ["1", "on"]] : knob.choices.map((c) => [c, c]);
      for (const [value, text] of options) select.add(new Option(text, value));
      select.onchange = () => change(select.value);
      row.classList.add("wide");
      row.appendChild(select);
    } else if (knob.kind === "widths" || knob.name === "seed" || knob.name === "steps") {
      const input = document.createElement("input");
      input.type = knob.kind === "widths" ? "text" : "number";
      input.onchange = () => change(input.value);
      row.classList.add("wide");
      row.appendChild(input);
    } else {
      const values = ladder(knob);
      const slider = document.createElement("input");
      slider.type = "range";
      slider.min = 0;
      slider.max = values.length - 1;
      slider.step = 1;
      const box = document.createElement("input");
      box.type = "number";
      box.step = "any";
      let timer = null;
      slider.oninput = () => {
        box.value = values[slider.value];
        clearTimeout(timer);
        timer = setTimeout(() => change(values[slider.value]), 40);
      };
      box.onchange = () => change(box.value);
      row.append(slider, box);
    }
    section.insertBefore(row, section.querySelector(".upload"));
  }
}

function showControls() {
  const config = page.configs[page.editing] || page.configs.a;
  for (const row of document.querySelectorAll(".knob")) {
    const name = row.dataset.name;
    const knob = page.knobs[name];
    let value = config[name];
    if (knob.kind === "widths") value = value.join(",");
    if (knob.kind === "bool") value = value ? "1" : "0";
    const slider = row.querySelector("input[type=range]");
    const input = row.querySelector("input[type=number], input[type=text], select");
    if (slider) slider.value = nearest(ladder(knob), value);
    if (input && document.activeElement !== input) input.value = value;
    const differs = page.configs.b && JSON.stringify(page.configs.a[name]) !== JSON.stringify(page.configs.b[name]);
    row.classList.toggle("differs", Boolean(differs));
  }
  document.getElementById("editing").hidden = !page.configs.b;
  for (const radio of document.querySelectorAll("input[name=editing]")) radio.checked = radio.value === page.editing;
}

function showButtons() {
  const play = document.getElementById("play");
  const running = Object.values(page.models).some((m) => m.state && m.state.running);
  play.innerHTML = running ? "&#10074;&#10074; Pause" : "&#9654; Play";
  play.classList.toggle("on", running);
  document.getElementById("ab").classList.toggle("on", Boolean(page.configs.b));
  const parts = Object.entries(page.models).filter(([, m]) => m.state)
    .map(([k, m]) => `${page.configs.b ? k.toUpperCase() + ": " : ""}step ${m.state.step}, epoch ${m.epoch}`);
  showStatus(parts.join(" | ") + ` | ${page.updates} updates`);
}

function showStatus(text) {
  document.getElementById("status").textContent = text;
}

function syncModels() {
  const container = document.getElementById("models");
  for (const name of ["a", "b"]) {
    const wanted = Boolean(page.configs[name]);
    if (wanted && !page.models[name]) {
      const card = document.getElementById("card").content.firstElementChild.cloneNode(true);
      card.classList.add(name);
      container.appendChild(card);
      page.models[name] = { card, state: null, curves: null };
    } else if (!wanted && page.models[name]) {
      page.models[name].card.remove();
      delete page.models[name];
    }
    if (page.models[name]) {
      const title = page.configs.b ? `Model ${name.toUpperCase()}` : "Model";
      page.models[name].card.querySelector(".title").textContent = title + describe(page.configs[name]);
    }
  }
}

function describe(config) {
  const on = ["l1", "l2", "l1_prox", "weight_decay", "dropout", "augmentation", "label_smoothing", "mixup",
    "max_norm", "group_lasso", "early_stopping"].filter((k) => config[k]).map((k) => `${LABELS[k] || k} ${config[k]}`);
  if (config.batch_norm) on.push("batch norm");
  return `: 2-${config.hidden.join("-")}${config.hidden.length ? "-" : ""}2 ${config.activation}, ${config.optimizer}` +
    (on.length ? `; ${on.join(", ")}` : "; no regularization");
}

// ------------------------------------------------------------------------- drawing
function draw() {
  for (const model of Object.values(page.models)) {
    if (!(model.dirty || page.dirty) || !model.snap) continue;
    model.dirty = false;
    const card = model.card;
    drawBoundary(card.querySelector(".boundary"), model);
    drawCurves(card.querySelector(".loss"), model, ["loss", "val_loss"], "loss");
    drawCurves(card.querySelector(".accuracy"), model, ["accuracy", "val_accuracy"], "accuracy");
    drawNetwork(card.querySelector(".network"), model);
    drawHistogram(card.querySelector(".histogram"), model.snap.histogram);
    drawNorms(card.querySelector(".norms"), model.snap);
    const s = model.state;
    card.querySelector(".numbers").innerHTML =
      `step <b>${s.step}</b> &middot; train loss <b>${s.train_loss.toFixed(4)}</b> &middot; val loss <b>${s.val_loss.toFixed(4)}</b>` +
      ` &middot; val acc <b>${(100 * s.val_accuracy).toFixed(1)}%</b> &middot; zeros <b>${(100 * s.zero_fraction).toFixed(1)}%</b>` +
      (model.snap.stopped ? " &middot; <b>early stopping: best weights restored</b>" : "") +
      (model.snap.failed ? ` &middot; <b>${model.snap.failed}</b>` : "");
  }
  page.dirty = false;
  requestAnimationFrame(draw);
}

function drawBoundary(canvas, model) {
  const ctx = canvas.getContext("2d");
  const n = 64;
  const image = new ImageData(n, n);
  for (let i = 0; i < n * n; i++) {
    const rgb = RGB[model.boundary[i] % RGB.length];
    const alpha = 0.12 + 0.6 * (model.boundary[n * n + i] / 255);
    for (let c = 0; c < 3; c++) image.data[4 * i + c] = Math.round(255 + (rgb[c] - 255) * alpha);
    image.data[4 * i + 3] = 255;
  }
  const off = drawBoundary.off || (drawBoundary.off = document.createElement("canvas"));
  off.width = n;
  off.height = n;
  off.getContext("2d").putImageData(image, 0, 0);
  ctx.imageSmoothingEnabled = true;
  ctx.drawImage(off, 0, 0, canvas.width, canvas.height);
  if (!page.points) return;
  const [x0, x1, y0, y1] = page.points.extent;
  const px = (x) => ((x - x0) / (x1 - x0)) * canvas.width;
  const py = (y) => ((y1 - y) / (y1 - y0)) * canvas.height;
  for (const [part, filled] of [["test", false], ["train", true]]) {
    for (const [x, y, label] of page.points[part]) {
      ctx.beginPath();
      ctx.arc(px(x), py(y), filled ? 3.2 : 2.6, 0, 2 * Math.PI);
      ctx.fillStyle = COLORS[label % COLORS.length];
      ctx.strokeStyle = filled ? "#fff" : COLORS[label % COLORS.length];
      ctx.lineWidth = filled ? 1 : 1.6;
      if (filled) ctx.fill();
      ctx.stroke();
    }
  }
}

function axes(ctx, canvas, xMax, yMin, yMax, yLabel) {
  const box = { left: 40, right: canvas.width - 8, top: 8, bottom: canvas.height - 20 };
  ctx.clearRect(0, 0, canvas.width, canvas.height);
  ctx.strokeStyle = "#999";
  ctx.fillStyle = "#555";
  ctx.lineWidth = 1;
  ctx.font = "10px sans-serif";
  ctx.strokeRect(box.left, box.top, box.right - box.left, box.bottom - box.top);
  const x = (e) => box.left + ((e - 1) / Math.max(xMax - 1, 1)) * (box.right - box.left);
  const y = (v) => box.bottom - ((v - yMin) / (yMax - yMin || 1)) * (box.bottom - box.top);
  // whole-number epoch ticks, counted from 1
  const step = Math.max(1, niceStep(xMax / 6));
  ctx.textAlign = "center";
  for (let e = 1; e <= xMax; e += e === 1 && step > 1 ? step - 1 : step) {
    ctx.fillText(String(e), Math.min(x(e), canvas.width - 14), box.bottom + 12);
  }
  ctx.textAlign = "right";
  for (const v of [yMin, (yMin + yMax) / 2, yMax]) ctx.fillText(v.toPrecision(2), box.left - 3, y(v) + 3);
  ctx.save();
  ctx.translate(10, (box.top + box.bottom) / 2);
  ctx.rotate(-Math.PI / 2);
  ctx.textAlign = "center";
  ctx.fillText(yLabel, 0, 0);
  ctx.restore();
  return { x, y, box };
}

function niceStep(raw) {
  const power = Math.pow(10, Math.floor(Math.log10(Math.max(raw, 1))));
  for (const m of [1, 2, 5, 10]) if (m * power >= raw) return m * power;
  return 10 * power;
}

function drawCurves(canvas, model, keys, label) {
  const ctx = canvas.getContext("2d");
  const curves = model.curves || {};
  const epochs = (curves[keys[0]] || []).length;
  const values = keys.flatMap((k) => curves[k] || []).filter(Number.isFinite);
  const accuracy = label === "accuracy";
  const yMax = accuracy ? 1 : Math.max(0.1, ...values.map((v) => Math.min(v, 5)));
  const yMin = accuracy ? Math.min(0.5, ...values) : 0;
  const { x, y, box } = axes(ctx, canvas, Math.max(epochs, 2), yMin, yMax, label);
  const color = model.card.classList.contains("b") ? COLORS[0] : COLORS[1];
  const stride = Math.max(1, Math.floor(epochs / (box.right - box.left)));
  keys.forEach((key, i) => {
    ctx.beginPath();
    ctx.setLineDash(i ? [4, 3] : []);
    ctx.strokeStyle = color;
    ctx.lineWidth = 1.5;
    (curves[key] || []).forEach((v, e) => {
      if (e % stride && e !== epochs - 1) return;
      const point = [x(e + 1), y(Math.min(Math.max(v, yMin), yMax))];
      if (e === 0) ctx.moveTo(...point); else ctx.lineTo(...point);
    });
    ctx.stroke();
  });
  ctx.setLineDash([]);
  const best = model.snap.best_epoch;
  if (best !== null && best !== undefined) {
    ctx.strokeStyle = "#2a2";
    ctx.beginPath();
    ctx.moveTo(x(best + 1), box.top);
    ctx.lineTo(x(best + 1), box.bottom);
    ctx.stroke();
    ctx.fillStyle = "#2a2";
    ctx.textAlign = "left";
    ctx.fillText(model.snap.stopped ? `best epoch ${best + 1}: restored` : `best epoch ${best + 1}`,
      Math.min(x(best + 1) + 3, box.right - 100), box.top + 11);
  }
}

function drawNetwork(canvas, model) {
  const ctx = canvas.getContext("2d");
  ctx.clearRect(0, 0, canvas.width, canvas.height);
  const layers = model.layers;
  const sizes = [layers[0].shape[0], ...layers.map((l) => l.shape[1])];
  const colX = (i) => 16 + (i / (sizes.length - 1)) * (canvas.width - 32);
  const rowY = (j, n) => (canvas.height / (n + 1)) * (j + 1);
  let top = 0;
  for (const layer of layers) for (const w of layer.w) top = Math.max(top, Math.abs(w));
  layers.forEach((layer, i) => {
    const [nIn, nOut] = layer.shape;
    for (let a = 0; a < nIn; a++) {
      for (let b = 0; b < nOut; b++) {
        const w = layer.w[a * nOut + b];
        if (w === 0) continue; // exact zeros are gone from the drawing
        ctx.strokeStyle = w > 0 ? "rgba(8,119,189,0.75)" : "rgba(245,147,34,0.75)";
        ctx.lineWidth = 0.3 + 4 * (Math.abs(w) / (top || 1));
        ctx.beginPath();
        ctx.moveTo(colX(i), rowY(a, nIn));
        ctx.lineTo(colX(i + 1), rowY(b, nOut));
        ctx.stroke();
      }
    }
  });
  sizes.forEach((n, i) => {
    const norms = i > 0 ? model.snap.norms[i - 1] : null;
    for (let j = 0; j < n; j++) {
      ctx.beginPath();
      ctx.arc(colX(i), rowY(j, n), 4, 0, 2 * Math.PI);
      const off = norms && norms[j] === 0;
      ctx.fillStyle = off ? "#fff" : "#444";
      ctx.strokeStyle = off ? "#bbb" : "#444";
      ctx.fill();
      ctx.stroke();
    }
  });
}

function drawHistogram(canvas, hist) {
  const ctx = canvas.getContext("2d");
  ctx.clearRect(0, 0, canvas.width, canvas.height);
  const bins = hist.counts.length;
  const plot = canvas.width - 84;
  const width = plot / bins;
  const top = Math.max(1, hist.zeros, ...hist.counts);
  const height = canvas.height - 30;
  const base = canvas.height - 16;
  ctx.fillStyle = "#7a9cc6";
  hist.counts.forEach((c, i) => {
    const h = (c / top) * height;
    ctx.fillRect(4 + i * width, base - h, width - 1, h);
  });
  const zeroH = Math.max((hist.zeros / top) * height, hist.zeros ? 1 : 0);
  const zx = canvas.width - 52;
  ctx.fillStyle = "#d62728";
  ctx.fillRect(zx, base - zeroH, 28, zeroH);
  ctx.font = "10px sans-serif";
  ctx.textAlign = "center";
  ctx.fillText(`${hist.zeros} of ${hist.total}`, zx + 14, base - zeroH - 3);
  ctx.fillText("exact 0", zx + 14, canvas.height - 3);
  ctx.fillStyle = "#555";
  ctx.fillText("0", 4 + plot / 2, canvas.height - 3);
  ctx.textAlign = "left";
  ctx.fillText(`-${hist.range.toPrecision(2)}`, 4, canvas.height - 3);
  ctx.textAlign = "right";
  ctx.fillText(hist.range.toPrecision(2), 4 + plot, canvas.height - 3);
}

function drawNorms(canvas, snap) {
  const ctx = canvas.getContext("2d");
  ctx.clearRect(0, 0, canvas.width, canvas.height);
  const all = snap.norms.flat();
  const top = Math.max(1e-6, snap.max_norm || 0, ...all) * 1.05;
  const height = canvas.height - 34;
  const gap = 8;
  const width = (canvas.width - 8 - gap * (snap.norms.length - 1)) / all.length;
  let x = 4;
  ctx.font = "10px sans-serif";
  ctx.textAlign = "center";
  snap.norms.forEach((norms, layer) => {
    const start = x;
    for (const v of norms) {
      const h = (v / top) * height;
      ctx.fillStyle = v === 0 ? "#d62728" : "#7a9cc6";
      ctx.fillRect(x, height - h + 16, Math.max(width - 1, 1), Math.max(h, v === 0 ? 2 : 0));
      x += width;
    }
    ctx.fillStyle = "#555";
    const name = layer === snap.norms.length - 1 ? "out" : `layer ${layer + 1}`;
    ctx.fillText(name, Math.min((start + x) / 2, canvas.width - 12), canvas.height - 4);
    x += gap;
  });
  ctx.fillStyle = "#555";
  ctx.textAlign = "left";
  ctx.fillText(`norm up to ${(top / 1.05).toPrecision(2)}`, 4, 11);
  if (snap.max_norm) {
    const y = height - (snap.max_norm / top) * height + 16;
    ctx.strokeStyle = "#d62728";
    ctx.setLineDash([4, 3]);
    ctx.beginPath();
    ctx.moveTo(0, y);
    ctx.lineTo(canvas.width, y);
    ctx.stroke();
    ctx.setLineDash([]);
  }
}

// ------------------------------------------------------------------------- buttons
function wireButtons() {
  const action = (name) => send({ type: "action", action: name });
  document.getElementById("play").onclick = () => {
    const running = Object.values(page.models).some((m) => m.state && m.state.running);
    action(running ? "pause" : "play");
  };
  document.getElementById("step").onclick = () => action("step");
  document.getElementById("reset").onclick = () => action("reset");
  document.getElementById("ab").onclick = () => action(page.configs.b ? "ab_off" : "ab_on");
  document.getElementById("code").onclick = () => send({ type: "code", model: page.editing });
  document.getElementById("close-code").onclick = () => document.getElementById("code-dialog").close();
  document.getElementById("copy-code").onclick = () => navigator.clipboard.writeText(document.getElementById("code-text").textContent);
  document.getElementById("link").onclick = () => navigator.clipboard.writeText(location.href);
  for (const radio of document.querySelectorAll("input[name=editing]")) {
    radio.onchange = () => { page.editing = radio.value; showControls(); };
  }
  document.getElementById("upload").onchange = (event) => {
    const file = event.target.files[0];
    if (!file) return;
    if (file.size > page.limits.csv_bytes) {
      onError({ field: "points", message: `points: expected a CSV file of at most ${page.limits.csv_bytes} bytes, got ${file.size} bytes` });
      return;
    }
    file.text().then((text) => send({ type: "upload", csv: text }));
  };
}

wireButtons();
connect();
requestAnimationFrame(draw);
