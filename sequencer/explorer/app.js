// Causeway's explorer: one page, hash routes (#/, #/batch/N, #/tx/HASH, #/account/N), showing
// what the sequencer's public API reports. Its checks trust the base chain instead, read over
// JSON-RPC from an endpoint the visitor chooses: the proof check (verifyBatch) takes the Rollup's
// verifying key, the batch's header and pubdata (its BatchSubmitted event) and the chain id from
// the chain, recomputes the public input and runs snarkjs's Groth16 verification here; account
// pages recompute the Merkle proof (Poseidon bundled) and check its root on the chain.
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
  const u16 = (at) => Number(uint(b.subarray(at, at + 2)));
  for (let at = 0; at < b.length;) {
    const slot = at / 16;
    switch (b[at]) {
      case 0: at += 16; continue; // Noop padding
      case 1:
        ops.push({ slot, type: "deposit", account: u32(at + 1), amount: uint(b.subarray(at + 5, at + 21)),
          owner: toHex(b.subarray(at + 21, at + 41)), keyX: toHex(b.subarray(at + 41, at + 73)), keyY: toHex(b.subarray(at + 73, at + 105)),
          token: u16(at + 105) });
        at += 112; break;
      case 2:
        ops.push({ slot, type: "transfer", from: u32(at + 1), to: u32(at + 5),
          amount: float(b.subarray(at + 9, at + 14), 35), fee: float(b.subarray(at + 14, at + 16), 11) });
        at += 16; break;
      case 3:
        ops.push({ slot, type: "withdraw", from: u32(at + 1), amount: float(b.subarray(at + 5, at + 10), 35),
          fee: float(b.subarray(at + 10, at + 12), 11), to: toHex(b.subarray(at + 12, at + 32)), token: u16(at + 32) });
        at += 48; break;
      case 4:
        ops.push({ slot, type: "full_exit", account: u32(at + 1), owner: toHex(b.subarray(at + 5, at + 25)),
          token: u16(at + 25), amount: uint(b.subarray(at + 27, at + 43)) });
        at += 48; break;
      case 5:
      case 6: // forced transfer / withdrawal: executed is 0 when the request was a recorded no-op
        ops.push({ slot, type: b[at] === 5 ? "forced_transfer" : "forced_withdraw", account: u32(at + 1),
          owner: toHex(b.subarray(at + 5, at + 25)), amount: uint(b.subarray(at + 25, at + 41)),
          to: u32(at + 41), token: u16(at + 45), executed: b[at + 47] === 1 });
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
    case "forced_transfer":
    case "forced_withdraw": return [op.slot, op.executed ? op.type : `${op.type} (no-op)`, acct(op.account),
      op.type === "forced_transfer" ? acct(op.to) : mono(short(op.owner)), ether(op.amount), "—"];
    default: return [op.slot, op.type, "—", "—", "—", "—"];
  }
}

// ---- the base chain, over JSON-RPC ------------------------------------------------------------

// What the page trusts comes from the base chain, through an RPC endpoint the visitor chooses
// (the devnet's by default; `?rpc=URL&rollup=0x…` or the form at the foot of the page set them,
// kept in this browser). The Rollup's address is the visitor's; until set, the sequencer names
// it, and the page says so.
const DEFAULT_RPC = "http://127.0.0.1:8545";
const settings = (() => {
  const q = new URLSearchParams(location.search);
  for (const k of ["rpc", "rollup"]) if (q.get(k)) localStorage.setItem(`causeway.${k}`, q.get(k));
  return { rpc: localStorage.getItem("causeway.rpc") || DEFAULT_RPC, rollup: localStorage.getItem("causeway.rollup") || "" };
})();

// The Rollup's ABI, as selectors and the event's topic (keccak-256 of the signatures; a test
// holds them to the compiled contract).
const SELECTOR = { verifyingKey: "0x7950c5f8", stateRoot: "0x9588eca2", batchCount: "0x06f13056" };
const BATCH_SUBMITTED = "0xa96318f85856489931c3c386713cae9448701e7a17b07c4c8266b7fc78d90c46";

let rpcId = 0;
async function rpc(method, params) {
  let r;
  try {
    r = await fetch(settings.rpc, {
      method: "POST", headers: { "content-type": "application/json" },
      body: JSON.stringify({ jsonrpc: "2.0", id: ++rpcId, method, params }),
    });
  } catch (e) {
    throw new Error(`the base chain's RPC endpoint ${settings.rpc} does not answer (${e.message || e}): set yours below`);
  }
  const body = await r.json();
  if (body.error) throw new Error(`${method} at ${settings.rpc}: ${body.error.message}`);
  return body.result;
}

const ethCall = (to, data) => rpc("eth_call", [{ to, data }, "latest"]);
const word = (bytes, i) => uint(bytes.subarray(32 * i, 32 * i + 32));

// The contract's `verifyingKey()` (18 words: alpha ‖ beta, gamma, delta as x.c1 ‖ x.c0 ‖ y.c1 ‖
// y.c0 ‖ IC0 ‖ IC1) in snarkjs's form.
function vkFromWords(b) {
  const w = (i) => word(b, i).toString();
  const g1 = (i) => [w(i), w(i + 1), "1"];
  const g2 = (i) => [[w(i + 1), w(i)], [w(i + 3), w(i + 2)], ["1", "0"]];
  return { protocol: "groth16", curve: "bn128", nPublic: 1, vk_alpha_1: g1(0), vk_beta_2: g2(2), vk_gamma_2: g2(6), vk_delta_2: g2(10), IC: [g1(14), g1(16)] };
}

const sameKey = (a, b) => JSON.stringify([a.vk_alpha_1, a.vk_beta_2, a.vk_gamma_2, a.vk_delta_2, a.IC]) ===
  JSON.stringify([b.vk_alpha_1, b.vk_beta_2, b.vk_gamma_2, b.vk_delta_2, b.IC]);

// The chain's id and the Rollup's key, batch count and root, read now.
async function chainFacts(rollup) {
  if (!/^0x[0-9a-fA-F]{40}$/.test(rollup)) throw new Error(`not a Rollup address: ${rollup}`);
  const [chainId, vk, count, root] = await Promise.all([
    rpc("eth_chainId", []), ethCall(rollup, SELECTOR.verifyingKey), ethCall(rollup, SELECTOR.batchCount), ethCall(rollup, SELECTOR.stateRoot),
  ]);
  const vkBytes = hexBytes(vk);
  if (vkBytes.length !== 18 * 32) throw new Error(`no Rollup at ${rollup} on chain ${BigInt(chainId)} (verifyingKey() answered ${vk})`);
  return { chainId: BigInt(chainId), vk: vkFromWords(vkBytes), batchCount: BigInt(count), stateRoot: toHex(hexBytes(root)) };
}

// Batch n's BatchSubmitted event: in the receipt of the transaction the sequencer names, or
// else found with eth_getLogs. Returns {newRoot, commitment, header, pubdata, where} or null.
async function batchEvent(rollup, n, l1Tx) {
  const topic = "0x" + BigInt(n).toString(16).padStart(64, "0");
  const ours = (l) => !l.removed && l.address.toLowerCase() === rollup.toLowerCase() && l.topics[0] === BATCH_SUBMITTED && l.topics[1] === topic;
  let log = null, where = "";
  if (l1Tx) {
    const receipt = await rpc("eth_getTransactionReceipt", [l1Tx]);
    log = receipt && receipt.status === "0x1" ? receipt.logs.find(ours) : null;
    where = `in transaction ${short(l1Tx)}`;
  }
  if (!log) {
    const logs = await rpc("eth_getLogs", [{ address: rollup, topics: [BATCH_SUBMITTED, topic], fromBlock: "0x0", toBlock: "latest" }]);
    log = logs.find(ours) || null;
    where = log ? `in transaction ${short(log.transactionHash)}, found by eth_getLogs` : "";
  }
  if (!log) return null;
  const d = hexBytes(log.data);
  const bytesAt = (offset) => { const len = Number(word(d, offset / 32)); return d.subarray(offset + 32, offset + 32 + len); };
  return { newRoot: toHex(d.subarray(0, 32)), commitment: word(d, 1), header: bytesAt(Number(word(d, 3))), pubdata: bytesAt(Number(word(d, 4))), where };
}

// ---- the in-browser proof check --------------------------------------------------------------

const FR = 21888242871839275222246405745257275088548364400416034343698204186575808495617n;

// The batch circuit's public input: SHA-256(header ‖ chain_id u64 ‖ rollup address ‖ pubdata)
// with the digest's top three bits cleared, read big-endian (docs/protocol.md, "Batch header and
// commitment").
async function commitment(header, chainId, rollupHex, pubdata) {
  const rollup = hexBytes(rollupHex);
  const chain = new Uint8Array(8);
  new DataView(chain.buffer).setBigUint64(0, BigInt(chainId));
  const msg = new Uint8Array(header.length + 8 + 20 + pubdata.length);
  msg.set(header, 0); msg.set(chain, header.length); msg.set(rollup, header.length + 8); msg.set(pubdata, header.length + 28);
  const digest = new Uint8Array(await crypto.subtle.digest("SHA-256", msg));
  digest[0] &= 0x1f;
  return uint(digest);
}

// Returns {valid, checks: [{ok, what}]}: valid only when every check holds. The key, the chain
// id, the header, the pubdata and the public input come from the base chain; only the proof
// comes from the sequencer, and it must verify against them. What the sequencer says besides
// must agree with the chain, or the verdict is "not valid".
async function verifyBatch(n) {
  const [batch, proof, served, info] = await Promise.all([
    api(`/v1/batches/${n}`), api(`/v1/batches/${n}/proof`), api("/v1/verifying-key").catch(() => null), api("/v1/rollup"),
  ]);
  const rollup = settings.rollup || info.rollup;
  const checks = [];
  const chain = await chainFacts(rollup);
  checks.push({ ok: true, what: `the base chain at ${settings.rpc} is chain ${chain.chainId}; Rollup ${rollup}` +
    (settings.rollup ? " (your setting)" : " (named by the sequencer: set your own below)") + ` has accepted ${chain.batchCount} batches` });
  checks.push({ ok: BigInt(info.chain_id) === chain.chainId && info.rollup.toLowerCase() === rollup.toLowerCase(),
    what: `the sequencer serves this deployment (it says chain ${info.chain_id}, Rollup ${info.rollup})` });
  checks.push({ ok: served !== null && sameKey(served.batch.snarkjs, chain.vk),
    what: "the verifying key the sequencer serves is the one the Rollup holds (read from the chain)" });
  const ev = await batchEvent(rollup, n, batch.l1_tx);
  checks.push({ ok: ev !== null, what: ev ? `the chain has batch ${n}: its BatchSubmitted event ${ev.where}` : `the chain has no batch ${n} at Rollup ${rollup}` });
  if (!ev) return { valid: false, checks };
  checks.push({ ok: toHex(ev.header) === batch.header.toLowerCase() && toHex(ev.pubdata) === batch.pubdata.toLowerCase(),
    what: "the header and pubdata the sequencer shows are the ones on chain" });
  checks.push({ ok: ev.header.length === 88 && uint(ev.header.subarray(64, 72)) === BigInt(n) && toHex(ev.header.subarray(32, 64)) === ev.newRoot,
    what: `the chain's header is batch ${n}'s, with new root ${short(ev.newRoot)}` });
  if (BigInt(n) === chain.batchCount) {
    checks.push({ ok: ev.newRoot === chain.stateRoot, what: "its new root is the contract's stateRoot" });
  }
  const recomputed = await commitment(ev.header, chain.chainId, rollup, ev.pubdata);
  checks.push({ ok: recomputed === ev.commitment && recomputed < FR,
    what: `SHA-256(header ‖ chain id ‖ Rollup ‖ pubdata), recomputed here from the chain's data, is the input the contract checked (${recomputed})` });
  let groth16 = false;
  try {
    groth16 = await snarkjs.groth16.verify(chain.vk, [recomputed.toString()], proof.snarkjs.proof);
  } catch (e) {
    checks.push({ ok: false, what: `snarkjs refused the proof: ${e.message || e}` });
  }
  checks.push({ ok: groth16 === true, what: "snarkjs's Groth16 verification, here, of the proof (the sequencer's) against the Rollup's key and that input" });
  return { valid: checks.every((c) => c.ok), checks };
}

async function runVerify(n, out, button) {
  button.disabled = true;
  out.className = "verdict";
  out.replaceChildren("Checking in your browser against the base chain…");
  try {
    const { valid, checks } = await verifyBatch(n);
    out.className = `verdict ${valid ? "valid" : "invalid"}`;
    out.dataset.result = valid ? "valid" : "invalid";
    out.replaceChildren(
      el("strong", {}, valid ? `Valid: batch ${n} is on the base chain and its proof verifies in this browser.` : `Not valid: batch ${n} does not check out against the base chain.`),
      el("ul", {}, checks.map((c) => el("li", {}, `${c.ok ? "✔" : "✘"} ${c.what}`))));
  } catch (e) {
    out.className = "verdict invalid";
    out.dataset.result = "error";
    out.replaceChildren(el("strong", {}, "Could not check: "), e.message);
  } finally {
    button.disabled = false;
  }
}

// ---- Merkle proofs of accounts, recomputed here ---------------------------------------------

// Baby Jubjub (circomlib's form): a packed key is y little-endian with x's sign in the top bit.
const BJJ_A = 168700n, BJJ_D = 168696n;
const modp = (x) => ((x % FR) + FR) % FR;
function powmod(b, e) {
  let r = 1n;
  for (b = modp(b); e > 0n; e >>= 1n, b = (b * b) % FR) if (e & 1n) r = (r * b) % FR;
  return r;
}
function sqrt(n) {
  // Tonelli–Shanks: FR − 1 = 2^28 · q.
  if (n === 0n) return 0n;
  if (powmod(n, (FR - 1n) / 2n) !== 1n) return null;
  let s = 0n, q = FR - 1n;
  while ((q & 1n) === 0n) { q >>= 1n; s++; }
  let z = 2n;
  while (powmod(z, (FR - 1n) / 2n) !== FR - 1n) z++;
  let m = s, c = powmod(z, q), t = powmod(n, q), r = powmod(n, (q + 1n) / 2n);
  while (t !== 1n) {
    let i = 0n, t2 = t;
    while (t2 !== 1n) { t2 = (t2 * t2) % FR; i++; }
    const b = powmod(c, 1n << (m - i - 1n));
    [m, c, t, r] = [i, (b * b) % FR, (t * b * b) % FR, (r * b) % FR];
  }
  return r;
}
function unpackKey(hex) {
  const b = hexBytes(hex);
  const sign = (b[31] & 0x80) !== 0;
  b[31] &= 0x7f;
  const y = uint(b.slice().reverse());
  const y2 = (y * y) % FR;
  const x = sqrt(modp((1n - y2) * powmod(modp(BJJ_A - BJJ_D * y2), FR - 2n)));
  if (x === null) throw new Error("the public key is not a curve point");
  return { x: sign === (x > (FR - 1n) / 2n) ? x : modp(-x), y };
}

// Recomputes the account's leaf from its proved fields and hashes it up with the siblings;
// then compares the result with the root the chain accepted for that batch.
async function checkAccountProof(a) {
  const { poseidon4, poseidon6 } = causewayPoseidon;
  const p = a.proved;
  const checks = [];
  const pk = p.exists ? unpackKey(a.public_key) : { x: 0n, y: 0n };
  const leaf = p.exists
    ? poseidon6([pk.x, pk.y, BigInt(p.balance), BigInt(p.nonce), BigInt(a.owner), BigInt(a.token)])
    : poseidon6([0n, 0n, 0n, 0n, 0n, 0n]);
  checks.push({ ok: leaf === BigInt(p.leaf), what: `Poseidon(key, balance ${p.balance}, nonce ${p.nonce}, owner, token ${a.token}) is the leaf` });
  let node = leaf;
  p.siblings.forEach((level, l) => {
    const pos = (a.index >> (2 * l)) & 3;
    const children = level.map(BigInt);
    children.splice(pos, 0, node);
    node = poseidon4(children);
  });
  const root = toHex(hexBytes("0x" + node.toString(16).padStart(64, "0")));
  checks.push({ ok: root === p.root.toLowerCase(), what: `the leaf and its siblings hash up to the proved root ${short(p.root)}` });
  if (p.batch === 0) {
    checks.push({ ok: true, what: "the proved root is the genesis root (not checked against the chain here)" });
  } else {
    const info = await api("/v1/rollup");
    const rollup = settings.rollup || info.rollup;
    const [chain, b] = await Promise.all([chainFacts(rollup), api(`/v1/batches/${p.batch}`)]);
    if (BigInt(p.batch) > chain.batchCount) {
      checks.push({ ok: false, what: `the base chain has not accepted batch ${p.batch} yet (it has ${chain.batchCount})` });
      return { valid: false, pending: true, checks };
    }
    const ev = await batchEvent(rollup, p.batch, b.l1_tx);
    checks.push({ ok: ev !== null && ev.newRoot === root,
      what: ev ? `batch ${p.batch}'s new root on the base chain is this root (${ev.where})` : `the chain has no batch ${p.batch}` });
  }
  return { valid: checks.every((c) => c.ok), pending: false, checks };
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
    el("p", { class: "muted" }, "As the sequencer reports it; the proof check below reads the base chain."),
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
    switch (p.type) {
      case "deposit": return `deposit of ${ether(p.amount)} to #${p.account} from ${p.owner}`;
      case "forced_transfer": return `forced transfer of ${ether(p.amount)} from #${p.account} to #${p.to}, queued on the base chain by ${p.owner}`;
      case "forced_withdraw": return `forced withdrawal of ${ether(p.amount)} from #${p.account} to ${p.owner}, queued on the base chain`;
      default: return `full exit of #${p.account} for ${p.owner}`;
    }
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

function proofVerdict(a) {
  const out = el("div", { class: "verdict", id: "merkle" }, "Recomputing the Merkle proof in your browser…");
  checkAccountProof(a).then(({ valid, pending, checks }) => {
    out.className = `verdict ${valid ? "valid" : pending ? "" : "invalid"}`;
    out.dataset.result = valid ? "valid" : pending ? "pending" : "invalid";
    out.replaceChildren(
      el("strong", {}, valid ? "Valid: this account's proved state is in a root the base chain accepted."
        : pending ? "Not on the base chain yet: its batch is proved but not accepted." : "Not valid against the base chain."),
      el("ul", {}, checks.map((c) => el("li", {}, `${c.ok ? "✔" : "✘"} ${c.what}`))));
  }, (e) => {
    out.className = "verdict invalid";
    out.dataset.result = "error";
    out.replaceChildren(el("strong", {}, "Could not check: "), e.message);
  });
  return out;
}

async function accountPage(index) {
  const [a, txs] = await Promise.all([api(`/v1/accounts/${index}`), api(`/v1/accounts/${index}/txs?limit=20`)]);
  return [
    el("h1", {}, `Account #${a.index}`),
    el("p", { class: "muted" }, "Balances as the sequencer reports them; the Merkle proof is recomputed here and its root checked on the base chain."),
    dl([
      ["Balance (accepted)", el("span", { id: "balance-accepted", "data-wei": a.accepted.balance }, ether(a.accepted.balance))],
      ["Nonce (accepted)", a.accepted.nonce],
      ["Balance (proved)", el("span", { id: "balance-proved", "data-wei": a.proved.balance }, ether(a.proved.balance))],
      ["Nonce (proved)", a.proved.nonce], ["Proved through batch", a.proved.batch],
      ["Owner", mono(a.owner)], ["Token", a.token], ["Public key", mono(a.public_key)],
    ]),
    el("h2", {}, "Merkle proof (against the proved root)"),
    proofVerdict(a),
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

// The base-chain settings form in the footer.
const chainForm = document.getElementById("chain");
chainForm.rpc.value = settings.rpc;
chainForm.rollup.value = settings.rollup;
chainForm.addEventListener("submit", (ev) => {
  ev.preventDefault();
  settings.rpc = chainForm.rpc.value.trim() || DEFAULT_RPC;
  settings.rollup = chainForm.rollup.value.trim();
  localStorage.setItem("causeway.rpc", settings.rpc);
  localStorage.setItem("causeway.rollup", settings.rollup);
  route();
});

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
