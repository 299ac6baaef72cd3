// Writes Causeway's cryptographic test vectors and Poseidon constants from circomlibjs,
// the ecosystem's reference implementation. Run from contracts/: `node scripts/gen-vectors.mjs`.
// Output is committed; the Rust tests assert it (protocol/tests/it/vectors.rs) and check that a
// fresh run reproduces it. An optional argument names another output root (for that check).
import { buildPoseidonReference, buildEddsa, buildBabyjub } from "circomlibjs";
import { readFileSync } from "fs";
const constants = JSON.parse(readFileSync(new URL("../node_modules/circomlibjs/src/poseidon_constants.json", import.meta.url)));
import { writeFileSync } from "fs";
import { createHash } from "crypto";

const MAX_INPUTS = 6; // widths t = 2..=7
const root = process.argv[2] ? process.argv[2].replace(/\/?$/, "/") : new URL("../../", import.meta.url).pathname;
import { mkdirSync } from "fs";
mkdirSync(root + "protocol/src/poseidon", { recursive: true });
mkdirSync(root + "protocol/tests/vectors", { recursive: true });

const poseidon = await buildPoseidonReference();
const eddsa = await buildEddsa();
const babyJub = await buildBabyjub();
const F = poseidon.F;
const str = (x) => F.toObject(x).toString();
const hex = (b) => Buffer.from(b).toString("hex");

// Poseidon round constants and MDS matrices, widths t = 2..=MAX_INPUTS+1.
const C = constants.C.slice(0, MAX_INPUTS).map((row) => row.map((c) => BigInt(c).toString(16)));
const M = constants.M.slice(0, MAX_INPUTS).map((m) => m.map((row) => row.map((c) => BigInt(c).toString(16))));
writeFileSync(root + "protocol/src/poseidon/constants.json", JSON.stringify({ C, M }) + "\n");

// The same permutation with sparse partial rounds (circomlibjs poseidon_opt), for native speed.
const opt = JSON.parse(readFileSync(new URL("../node_modules/circomlibjs/src/poseidon_constants_opt.json", import.meta.url)));
const hexAll = (x) => (Array.isArray(x) ? x.map(hexAll) : BigInt(x).toString(16));
const pick = (k) => hexAll(opt[k].slice(0, MAX_INPUTS));
writeFileSync(
  root + "protocol/src/poseidon/constants_opt.json",
  JSON.stringify({ C: pick("C"), S: pick("S"), M: pick("M"), P: pick("P") }) + "\n",
);

// Deterministic pseudo-random field elements so the vectors are reproducible.
let counter = 0n;
function pseudo(bits) {
  const h = createHash("sha256").update("causeway-vectors-" + counter++).digest("hex");
  return BigInt("0x" + h) % (1n << BigInt(bits));
}

const poseidonVectors = [];
for (let n = 1; n <= MAX_INPUTS; n++) {
  const cases = [Array.from({ length: n }, (_, i) => BigInt(i + 1)), Array.from({ length: n }, () => pseudo(253))];
  for (const inputs of cases) {
    poseidonVectors.push({ inputs: inputs.map(String), output: str(poseidon(inputs)) });
  }
}
writeFileSync(root + "protocol/tests/vectors/poseidon.json", JSON.stringify(poseidonVectors, null, 1) + "\n");

const eddsaVectors = [];
for (let i = 0; i < 6; i++) {
  const prv = Buffer.from(createHash("sha256").update("causeway-key-" + i).digest());
  const A = eddsa.prv2pub(prv);
  const msg = F.e(pseudo(250));
  const sig = eddsa.signPoseidon(prv, msg);
  const other = F.e(pseudo(250));
  eddsaVectors.push({
    private_key: hex(prv),
    public_key: [str(A[0]), str(A[1])],
    public_key_packed: hex(babyJub.packPoint(A)),
    message: str(msg),
    signature: { r8: [str(sig.R8[0]), str(sig.R8[1])], s: sig.S.toString() },
    signature_packed: hex(eddsa.packSignature(sig)),
    verifies: eddsa.verifyPoseidon(msg, sig, A),
    other_message: str(other),
    other_message_verifies: eddsa.verifyPoseidon(other, sig, A),
  });
}
writeFileSync(root + "protocol/tests/vectors/eddsa.json", JSON.stringify(eddsaVectors, null, 1) + "\n");
// Signed transactions, computed exactly as docs/protocol.md tells a wallet to: the message is
// Poseidon(chain_id·2^168 + rollup·2^8 + type, from, to, amount, fee, nonce), signed with
// signPoseidon.
const txVectors = [];
const deployments = [
  { chain_id: 31337n, rollup: "0x5fbdb2315678afecb367f032d93f642f64180aa3" },
  { chain_id: 11155111n, rollup: "0x" + "ab".repeat(20) },
];
for (let i = 0; i < 4; i++) {
  const prv = Buffer.from(createHash("sha256").update("causeway-tx-key-" + i).digest());
  const d = deployments[i % 2];
  const withdraw = i >= 2;
  const type = withdraw ? 3n : 2n;
  const to = withdraw ? BigInt("0x" + "ee".repeat(20)) : BigInt(i + 7);
  const tx = { type, from: BigInt(i + 1), to, amount: 1500000000000000000n, fee: 1000000000000n, nonce: BigInt(i * 3) };
  const tag = (d.chain_id << 168n) + (BigInt(d.rollup) << 8n) + tx.type;
  const msg = poseidon([tag, tx.from, tx.to, tx.amount, tx.fee, tx.nonce]);
  const sig = eddsa.signPoseidon(prv, msg);
  txVectors.push({
    chain_id: d.chain_id.toString(),
    rollup: d.rollup,
    private_key: hex(prv),
    type: Number(type),
    from: Number(tx.from),
    to: withdraw ? "0x" + "ee".repeat(20) : Number(to),
    amount: tx.amount.toString(),
    fee: tx.fee.toString(),
    nonce: Number(tx.nonce),
    message: str(msg),
    signature_packed: hex(eddsa.packSignature(sig)),
  });
}
writeFileSync(root + "protocol/tests/vectors/txs.json", JSON.stringify(txVectors, null, 1) + "\n");
console.log(`wrote ${poseidonVectors.length} poseidon, ${eddsaVectors.length} eddsa and ${txVectors.length} transaction vectors`);
