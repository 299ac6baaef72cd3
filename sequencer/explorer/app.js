// Causeway's explorer: one page, hash routes (#/, #/batch/N, #/tx/HASH, #/account/N), reading
// the public API only. The proof check (verifyBatch) recomputes the batch's public input from
// its header and pubdata and runs snarkjs's Groth16 verification here, in the browser.
"use strict";

const view = document.getElementById("view");
let refresh = null; // the live-update timer of the page shown

// ---- helpers ---------------------------------------------------------------------------------

async function api(path) {
  const r = await fetch(path, { headers: { accept: "application/json" } });
  let body = null;
  try { body = await r.json(); } catch (_) { /* not JSON */ }
  if (!r.ok) {
    const e = new Error(body && body.message ? body.message : `${path}: HTTP ${r.status}`);
    e.status = r.status;
    throw e;
  }
  return body;
}

function el(tag, attrs, ...children) {
  const e = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs || {})) {
    if (v === undefined || v === null) continue;
    if (k === "class") e.className = v; else e.setAttribute(k, v);
  }
  for (const c of children.flat(Infinity)) {
    if (c === undefined || c === null) continue;
    e.append(c instanceof Node ? c : document.createTextNode(String(c)));
  }
  return e;
}

const link = (href, text, cls) => el("a", { href, class: cls }, text);
const mono = (text) => el("span", { class: "mono" }, text);
const status = (s) => el("span", { class: `status ${s}`, "data-status": s }, s);
const short = (h) => (h && h.length > 20 ? `${h.slice(0, 10)}…${h.slice(-8)}` : h);

function dl(rows) {
  return el("dl", {}, rows.filter(Boolean).map(([k, v]) => [el("dt", {}, k), el("dd", {}, v ?? "—")]));
}

function table(head, rows, optional = [], id = undefined) {
  const cls = (i) => (optional.includes(i) ? "optional" : undefined);
  return el("div", { class: "table-wrap" }, el("table", { id },
    el("thead", {}, el("tr", {}, head.map((h, i) => el("th", { class: cls(i) }, h)))),
    el("tbody", {}, rows.map((r) => el("tr", {}, r.map((c, i) => el("td", { class: cls(i) }, c ?? "—")))))));
}

function age(iso) {
  if (!iso) return "—";
  const s = Math.max(0, Math.round((Date.now() - Date.parse(iso)) / 1000));
  if (s < 60) return `${s} s ago`;
  if (s < 3600) return `${Math.floor(s / 60)} min ago`;
  if (s < 86400) return `${Math.floor(s / 3600)} h ago`;
  return `${Math.floor(s / 86400)} d ago`;
}

const when = (iso) => (iso ? `${new Date(iso).toISOString().replace("T", " ").replace(/\.\d+Z$/, " UTC")} (${age(iso)})` : "—");

const WEI = 10n ** 18n;
function ether(wei) {
  const w = BigInt(wei);
  const frac = (w % WEI).toString().padStart(18, "0").replace(/0+$/, "");
  return `${w / WEI}${frac ? "." + frac : ""} ETH`;
}

function hexBytes(hex) {
  const h = hex.startsWith("0x") ? hex.slice(2) : hex;
  const out = new Uint8Array(h.length / 2);
  for (let i = 0; i < out.length; i++) out[i] = parseInt(h.slice(2 * i, 2 * i + 2), 16);
  return out;
}

const toHex = (bytes) => "0x" + Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("");
const uint = (bytes) => bytes.reduce((acc, b) => (acc << 8n) | BigInt(b), 0n);

// ---- pubdata (docs/protocol.md, "Pubdata") ---------------------------------------------------

// float40: exponent << 35 | mantissa, value = mantissa · 10^exponent; float16: exponent << 11 | mantissa.
function float(bytes, mantissaBits) {
  const v = uint(bytes);
  const mantissa = v & ((1n << BigInt(mantissaBits)) - 1n);
  const exponent = v >> BigInt(mantissaBits);
  return mantissa * 10n ** exponent;
}

function decodePubdata(hex) {
  const b = hexBytes(hex);
  const ops = [];
  const u32 = (at) => Number(uint(b.subarray(at, at + 4)));
  for (let at = 0; at < b.length;) {
    const slot = at / 16;
    switch (b[at]) {
      case 0: at += 16; continue; // Noop padding
      case 1:
        ops.push({ slot, type: "deposit", account: u32(at + 1), amount: uint(b.subarray(at + 5, at + 21)),
          owner: toHex(b.subarray(at + 21, at + 41)), keyX: toHex(b.subarray(at + 41, at + 73)), keyY: toHex(b.subarray(at + 73, at + 105)) });
        at += 112; break;
      case 2:
        ops.push({ slot, type: "transfer", from: u32(at + 1), to: u32(at + 5),
          amount: float(b.subarray(at + 9, at + 14), 35), fee: float(b.subarray(at + 14, at + 16), 11) });
        at += 16; break;
      case 3:
        ops.push({ slot, type: "withdraw", from: u32(at + 1), amount: float(b.subarray(at + 5, at + 10), 35),
          fee: float(b.subarray(at + 10, at + 12), 11), to: toHex(b.subarray(at + 12, at + 32)) });
        at += 32; break;
      case 4:
        ops.push({ slot, type: "full_exit", account: u32(at + 1), owner: toHex(b.subarray(at + 5, at + 25)),
          amount: uint(b.subarray(at + 25, at + 41)) });
        at += 48; break;
      default:
        ops.push({ slot, type: `unknown (0x${b[at].toString(16)})` });
        at = b.length;
    }
  }
  return ops;
}

function opRow(op) {
  const acct = (i) => link(`#/account/${i}`, `#${i}`);
  switch (op.type) {
    case "transfer": return [op.slot, op.type, acct(op.from), acct(op.to), ether(op.amount), ether(op.fee)];
    case "withdraw": return [op.slot, op.type, acct(op.from), mono(op.to), ether(op.amount), ether(op.fee)];
    case "deposit": return [op.slot, op.type, mono(short(op.owner)), acct(op.account), ether(op.amount), "—"];
    case "full_exit": return [op.slot, op.type, acct(op.account), mono(short(op.owner)), ether(op.amount), "—"];
    default: return [op.slot, op.type, "—", "—", "—", "—"];
  }
}

// ---- the in-browser proof check --------------------------------------------------------------

const FR = 21888242871839275222246405745257275088548364400416034343698204186575808495617n;

// The batch circuit's public input: SHA-256(header ‖ chain_id u64 ‖ rollup address ‖ pubdata)
// with the digest's top three bits cleared, read big-endian (docs/protocol.md, "Batch header and
// commitment").
async function commitment(headerHex, chainId, rollupHex, pubdataHex) {
  const header = hexBytes(headerHex), rollup = hexBytes(rollupHex), pubdata = hexBytes(pubdataHex);
  const chain = new Uint8Array(8);
  new DataView(chain.buffer).setBigUint64(0, BigInt(chainId));
  const msg = new Uint8Array(header.length + 8 + 20 + pubdata.length);
  msg.set(header, 0); msg.set(chain, header.length); msg.set(rollup, header.length + 8); msg.set(pubdata, header.length + 28);
  const digest = new Uint8Array(await crypto.subtle.digest("SHA-256", msg));
  digest[0] &= 0x1f;
  return uint(digest);
}

// Returns {valid, checks: [{ok, what}]}: valid only when every check holds.
async function verifyBatch(n) {
  const [batch, proof, keys, rollup] = await Promise.all([
    api(`/v1/batches/${n}`), api(`/v1/batches/${n}/proof`), api("/v1/verifying-key"), api("/v1/rollup"),
  ]);
  const checks = [];
  const header = hexBytes(batch.header);
  checks.push({ ok: header.length === 88, what: `the header is 88 bytes (${header.length})` });
  checks.push({ ok: toHex(header.subarray(0, 32)) === batch.old_root && toHex(header.subarray(32, 64)) === batch.new_root,
    what: "the header holds the batch's old and new state roots" });
  checks.push({ ok: uint(header.subarray(64, 72)) === BigInt(n), what: `the header is batch ${n}'s` });
  checks.push({ ok: hexBytes(batch.pubdata).length === 16 * rollup.slots, what: `the pubdata is ${rollup.slots} slots of 16 bytes` });
  checks.push({ ok: keys.rollup === rollup.rollup && keys.chain_id === rollup.chain_id,
    what: `the verifying key is the one Rollup ${keys.rollup} on chain ${keys.chain_id} holds` });
  const recomputed = await commitment(batch.header, rollup.chain_id, rollup.rollup, batch.pubdata);
  const served = proof.snarkjs.public.length === 1 ? BigInt(proof.snarkjs.public[0]) : -1n;
  checks.push({ ok: recomputed < FR && served === recomputed,
    what: `the proof's public input equals SHA-256(header ‖ chain id ‖ rollup ‖ pubdata) recomputed here (${recomputed})` });
  let groth16 = false;
  try {
    groth16 = await snarkjs.groth16.verify(keys.batch.snarkjs, [recomputed.toString()], proof.snarkjs.proof);
  } catch (e) {
    checks.push({ ok: false, what: `snarkjs refused the proof: ${e.message || e}` });
  }
  checks.push({ ok: groth16 === true, what: "snarkjs's Groth16 verification of the proof against that input and key" });
  return { valid: checks.every((c) => c.ok), checks };
}

async function runVerify(n, out, button) {
  button.disabled = true;
  out.className = "verdict";
  out.replaceChildren("Checking in your browser…");
  try {
    const { valid, checks } = await verifyBatch(n);
    out.className = `verdict ${valid ? "valid" : "invalid"}`;
    out.dataset.result = valid ? "valid" : "invalid";
    out.replaceChildren(
      el("strong", {}, valid ? `Valid: batch ${n}'s proof verifies in this browser.` : `Invalid: batch ${n} does not check out.`),
      el("ul", {}, checks.map((c) => el("li", {}, `${c.ok ? "✔" : "✘"} ${c.what}`))));
  } catch (e) {
    out.className = "verdict invalid";
    out.dataset.result = "error";
    out.replaceChildren(el("strong", {}, "Could not check: "), e.message);
  } finally {
    button.disabled = false;
  }
}

// ---- pages ------------------------------------------------------------------------------------

async function home() {
  const [list, health] = await Promise.all([api("/v1/batches?limit=25"), api("/health")]);
  const rows = list.batches.map((b) => [
    link(`#/batch/${b.number}`, b.number), status(b.status), b.operations, age(b.sealed_at),
    b.l1_tx ? mono(short(b.l1_tx)) : "—",
  ]);
  return [
    el("h1", {}, "Newest batches"),
    el("p", { class: "muted" }, `${list.sealed} sealed, proved through ${health.proved_through}; ${health.mempool_slots} slots of transactions waiting. Updates live.`),
    rows.length ? table(["Batch", "Status", "Operations", "Sealed", "Base-chain transaction"], rows, [4], "batches") : el("p", {}, "No batch yet."),
  ];
}

async function batchPage(n) {
  const b = await api(`/v1/batches/${n}`);
  if (b.status === "open") {
    return [el("h1", {}, `Batch ${n}`), el("p", {}, `Open: ${b.waiting_slots} slots of transactions wait for it to be sealed.`)];
  }
  const out = el("div", { class: "verdict", id: "verdict" }, "Not checked yet.");
  const button = el("button", { id: "verify", type: "button" }, "Verify this batch's proof in your browser");
  const proved = ["proved", "submitted", "finalized"].includes(b.status);
  button.disabled = !proved;
  button.addEventListener("click", () => runVerify(n, out, button));
  const ops = decodePubdata(b.pubdata);
  return [
    el("h1", {}, `Batch ${n} `, status(b.status)),
    dl([
      ["Operations", b.operations], ["Fees", ether(b.fees)], ["Fee account", link(`#/account/${b.fee_account}`, `#${b.fee_account}`)],
      ["Old root", mono(b.old_root)], ["New root", mono(b.new_root)], ["Commitment (public input)", mono(b.commitment)],
      ["Priority requests", `${b.priority_count} (from ${b.priority_start})`], ["Sequence", `${b.first_seq}–${b.last_seq}`],
      ["Sealed", when(b.sealed_at)], ["Proved", when(b.proved_at)], ["Submitted", when(b.submitted_at)], ["Finalized", when(b.finalized_at)],
      ["Base-chain transaction", b.l1_tx ? mono(b.l1_tx) : "—"],
      ["Proof job", b.proof_job ? `${b.proof_job.status}, ${b.proof_job.attempts} attempt(s)${b.proof_job.worker ? ", " + b.proof_job.worker : ""}${b.proof_job.last_error ? ": " + b.proof_job.last_error : ""}` : "—"],
      ["Header", mono(b.header)],
    ]),
    el("h2", {}, "Proof"),
    proved ? button : el("p", {}, "Not proved yet."), out,
    el("h2", {}, "Pubdata, operation by operation"),
    table(["Slot", "Type", "From / account", "To", "Amount", "Fee"], ops.map(opRow)),
    el("h2", {}, "Transactions"),
    table(["Seq", "Hash", "Type", "Rejected"], b.transactions.map((t) => [
      t.seq, link(`#/tx/${t.hash}`, short(t.hash), "mono"), t.tx.type || (t.tx.priority && t.tx.priority.type), t.rejected || "—",
    ])),
  ];
}

function txSummary(tx) {
  if (tx.priority) {
    const p = tx.priority;
    return p.type === "deposit" ? `deposit of ${ether(p.amount)} to #${p.account} from ${p.owner}` : `full exit of #${p.account} for ${p.owner}`;
  }
  return tx.type === "transfer"
    ? `transfer of ${ether(tx.amount)} from #${tx.from} to #${tx.to} (fee ${ether(tx.fee)}, nonce ${tx.nonce})`
    : `withdrawal of ${ether(tx.amount)} from #${tx.from} to ${tx.to} (fee ${ether(tx.fee)}, nonce ${tx.nonce})`;
}

async function txPage(hash) {
  const t = await api(`/v1/txs/${hash}`);
  const b = t.batch ? await api(`/v1/batches/${t.batch}`) : null;
  const steps = [
    ["accepted", t.accepted_at], ["sealed in a batch", b && b.sealed_at], ["proved", b && b.proved_at],
    ["submitted to the base chain", b && b.submitted_at], ["finalized", b && b.finalized_at],
  ];
  return [
    el("h1", {}, "Transaction ", status(t.status)),
    dl([
      ["Hash", mono(t.hash)], ["What", txSummary(t.tx)], ["Sequence", t.seq],
      ["Batch", t.batch ? link(`#/batch/${t.batch}`, `${t.batch} (${t.batch_status})`) : "—"],
      t.rejection && ["Rejected", el("span", { class: "error" }, `${t.rejection.code}: ${t.rejection.message || ""}`)],
      b && b.l1_tx && ["Base-chain transaction", mono(b.l1_tx)],
    ]),
    el("h2", {}, "Lifecycle"),
    table(["Step", "When"], steps.map(([what, at]) => [what, at ? when(at) : "not yet"])),
  ];
}

async function accountPage(index) {
  const [a, txs] = await Promise.all([api(`/v1/accounts/${index}`), api(`/v1/accounts/${index}/txs?limit=20`)]);
  return [
    el("h1", {}, `Account #${a.index}`),
    dl([
      ["Balance (accepted)", el("span", { id: "balance-accepted", "data-wei": a.accepted.balance }, ether(a.accepted.balance))],
      ["Nonce (accepted)", a.accepted.nonce],
      ["Balance (proved)", el("span", { id: "balance-proved", "data-wei": a.proved.balance }, ether(a.proved.balance))],
      ["Nonce (proved)", a.proved.nonce], ["Proved through batch", a.proved.batch],
      ["Owner", mono(a.owner)], ["Public key", mono(a.public_key)],
    ]),
    el("h2", {}, "Merkle proof (against the proved root)"),
    dl([
      ["Root", mono(a.proved.root)], ["Leaf", mono(a.proved.leaf)],
      ...a.proved.siblings.map((level, i) => [`Level ${i} siblings`, el("div", {}, level.map((s) => el("div", { class: "mono" }, s)))]),
    ]),
    el("h2", {}, "Recent transactions"),
    txs.transactions.length
      ? table(["Seq", "Hash", "What", "Status"], txs.transactions.map((t) => [t.seq, link(`#/tx/${t.hash}`, short(t.hash), "mono"), txSummary(t.tx), status(t.status)]), [1])
      : el("p", {}, "None."),
  ];
}

// ---- search and routing ----------------------------------------------------------------------

async function search(q) {
  q = q.trim();
  if (/^\d+$/.test(q)) return `#/account/${q}`;
  if (/^(0x)?[0-9a-fA-F]{64}$/.test(q)) {
    const h = (q.startsWith("0x") ? q : "0x" + q).toLowerCase();
    try { await api(`/v1/txs/${h}`); return `#/tx/${h}`; } catch (e) { if (e.status !== 404) throw e; }
    try {
      const found = await api(`/v1/accounts/by-key/${h}`);
      if (found.accounts.length) return `#/account/${found.accounts[0].index}`;
    } catch (e) { if (e.status !== 404 && e.status !== 400) throw e; }
    throw new Error(`nothing found for ${h}: no transaction has this hash and no account this key`);
  }
  throw new Error("search for a transaction hash or public key (0x and 64 hex digits) or an account index");
}

document.getElementById("search").addEventListener("submit", async (ev) => {
  ev.preventDefault();
  try { location.hash = await search(document.getElementById("q").value); } catch (e) {
    clearInterval(refresh);
    generation++;
    view.replaceChildren(el("p", { class: "error", id: "search-error" }, e.message));
  }
});

// Each navigation renders only if it is still the newest: a slow answer for a page left behind
// (or a live update of the home page) never replaces the page shown.
let generation = 0;

async function route() {
  clearInterval(refresh);
  refresh = null;
  const mine = ++generation;
  const [, page, arg] = location.hash.split("/");
  const render = (nodes) => {
    if (mine !== generation) return;
    view.replaceChildren(...nodes);
    document.body.dataset.page = page || "home";
  };
  try {
    if (page === "batch") render(await batchPage(Number(arg)));
    else if (page === "tx") render(await txPage(arg));
    else if (page === "account") render(await accountPage(arg));
    else {
      render(await home());
      if (mine === generation) refresh = setInterval(() => home().then(render, () => {}), 2000);
    }
  } catch (e) {
    render([el("p", { class: "error" }, e.message)]);
  }
}

window.addEventListener("hashchange", route);
route();
