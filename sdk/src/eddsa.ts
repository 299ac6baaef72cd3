// EdDSA-Poseidon on Baby Jubjub exactly as circomlibjs does it (docs/protocol.md,
// "Cryptography"), in plain TypeScript over bigint and Uint8Array: no Node built-in, no Buffer,
// so it runs in browsers and in Node alike. Keys: BLAKE-512 (the SHA-3 finalist, not BLAKE2b) of
// the 32-byte private key, its low half pruned; signatures: r = BLAKE-512(high half ‖ message
// as 32 bytes little-endian) mod l, R8 = r·Base8, S = r + Poseidon(R8, A, message)·s mod l. The
// unit tests hold it to circomlibjs's vectors (the ones the Rust code is held to).
import { poseidon5 } from "poseidon-lite";

/** The BN254 scalar field's modulus: Baby Jubjub's coordinates live below it. */
export const FIELD = 21888242871839275222246405745257275088548364400416034343698204186575808495617n;
/** The order of the subgroup Base8 generates. */
export const SUBORDER = 2736030358979909402780800718157159386076813972158567259200215660948447373041n;
const A = 168700n;
const D = 168696n;
/** circomlib's Base8. */
export const BASE8 = {
  x: 5299619240641551281634865583518297030282874472190772894086521144482721001553n,
  y: 16950150798460657717958625567821834550301663161624707787222815936182638968203n,
};

const mod = (x: bigint, m = FIELD) => ((x % m) + m) % m;

function inverse(x: bigint): bigint {
  // Extended Euclid: x is never 0 for the points used here (the curve is complete).
  let [a, b, u, v] = [mod(x), FIELD, 1n, 0n];
  while (a !== 0n) {
    const q = b / a;
    [a, b] = [b - q * a, a];
    [u, v] = [v - q * u, u];
  }
  return mod(v);
}

interface Projective {
  X: bigint;
  Y: bigint;
  Z: bigint;
}

// Projective twisted Edwards addition (Bernstein–Lange, "add-2008-bbjlp"): complete on Baby
// Jubjub since a is a square and d is not.
function add(p: Projective, q: Projective): Projective {
  const a = mod(p.Z * q.Z);
  const b = mod(a * a);
  const c = mod(p.X * q.X);
  const d = mod(p.Y * q.Y);
  const e = mod(D * c * d);
  const f = mod(b - e);
  const g = mod(b + e);
  return {
    X: mod(a * f * mod((p.X + p.Y) * (q.X + q.Y) - c - d)),
    Y: mod(a * g * mod(d - A * c)),
    Z: mod(f * g),
  };
}

/** k·P for a point in affine form. */
export function mul(point: { x: bigint; y: bigint }, k: bigint): { x: bigint; y: bigint } {
  let acc: Projective = { X: 0n, Y: 1n, Z: 1n };
  let p: Projective = { X: point.x, Y: point.y, Z: 1n };
  for (let e = k; e > 0n; e >>= 1n) {
    if (e & 1n) acc = add(acc, p);
    p = add(p, p);
  }
  const z = inverse(acc.Z);
  return { x: mod(acc.X * z), y: mod(acc.Y * z) };
}

/** P + Q in affine form. */
export function addPoints(p: { x: bigint; y: bigint }, q: { x: bigint; y: bigint }): { x: bigint; y: bigint } {
  const r = add({ X: p.x, Y: p.y, Z: 1n }, { X: q.x, Y: q.y, Z: 1n });
  const z = inverse(r.Z);
  return { x: mod(r.X * z), y: mod(r.Y * z) };
}

/** Whether (x, y) is on Baby Jubjub. */
export function onCurve(p: { x: bigint; y: bigint }): boolean {
  if (p.x < 0n || p.y < 0n || p.x >= FIELD || p.y >= FIELD) return false;
  const x2 = mod(p.x * p.x);
  const y2 = mod(p.y * p.y);
  return mod(A * x2 + y2) === mod(1n + D * x2 * y2);
}

// ---------------------------------------------------------------- BLAKE-512

const MASK = (1n << 64n) - 1n;
const IV = [
  0x6a09e667f3bcc908n, 0xbb67ae8584caa73bn, 0x3c6ef372fe94f82bn, 0xa54ff53a5f1d36f1n,
  0x510e527fade682d1n, 0x9b05688c2b3e6c1fn, 0x1f83d9abfb41bd6bn, 0x5be0cd19137e2179n,
];
const C = [
  0x243f6a8885a308d3n, 0x13198a2e03707344n, 0xa4093822299f31d0n, 0x082efa98ec4e6c89n,
  0x452821e638d01377n, 0xbe5466cf34e90c6cn, 0xc0ac29b7c97c50ddn, 0x3f84d5b5b5470917n,
  0x9216d5d98979fb1bn, 0xd1310ba698dfb5acn, 0x2ffd72dbd01adfb7n, 0xb8e1afed6a267e96n,
  0xba7c9045f12c7f99n, 0x24a19947b3916cf7n, 0x0801f2e2858efc16n, 0x636920d871574e69n,
];
const SIGMA = [
  [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15],
  [14, 10, 4, 8, 9, 15, 13, 6, 1, 12, 0, 2, 11, 7, 5, 3],
  [11, 8, 12, 0, 5, 2, 15, 13, 10, 14, 3, 6, 7, 1, 9, 4],
  [7, 9, 3, 1, 13, 12, 11, 14, 2, 6, 5, 10, 4, 0, 15, 8],
  [9, 0, 5, 7, 2, 4, 10, 15, 14, 1, 11, 12, 6, 8, 3, 13],
  [2, 12, 6, 10, 0, 11, 8, 3, 4, 13, 7, 5, 15, 14, 1, 9],
  [12, 5, 1, 15, 14, 13, 4, 10, 0, 7, 6, 3, 9, 2, 8, 11],
  [13, 11, 7, 14, 12, 1, 3, 9, 5, 0, 15, 4, 8, 6, 2, 10],
  [6, 15, 14, 9, 11, 3, 0, 8, 12, 2, 13, 7, 1, 4, 10, 5],
  [10, 2, 8, 4, 7, 6, 1, 5, 15, 11, 9, 14, 3, 12, 13, 0],
] as const;

const rotr = (x: bigint, n: bigint) => ((x >> n) | (x << (64n - n))) & MASK;

function compress(h: bigint[], block: Uint8Array, counter: bigint): void {
  const m: bigint[] = [];
  for (let i = 0; i < 16; i++) {
    let w = 0n;
    for (let j = 0; j < 8; j++) w = (w << 8n) | BigInt(block[8 * i + j] ?? 0);
    m.push(w);
  }
  const t0 = counter & MASK;
  const t1 = (counter >> 64n) & MASK;
  const v = [...h, C[0]!, C[1]!, C[2]!, C[3]!, t0 ^ C[4]!, t0 ^ C[5]!, t1 ^ C[6]!, t1 ^ C[7]!];
  const g = (r: number, i: number, a: number, b: number, c: number, d: number) => {
    const s = SIGMA[r % 10]!;
    const [x, y] = [s[2 * i]!, s[2 * i + 1]!];
    v[a] = (v[a]! + v[b]! + (m[x]! ^ C[y]!)) & MASK;
    v[d] = rotr(v[d]! ^ v[a]!, 32n);
    v[c] = (v[c]! + v[d]!) & MASK;
    v[b] = rotr(v[b]! ^ v[c]!, 25n);
    v[a] = (v[a]! + v[b]! + (m[y]! ^ C[x]!)) & MASK;
    v[d] = rotr(v[d]! ^ v[a]!, 16n);
    v[c] = (v[c]! + v[d]!) & MASK;
    v[b] = rotr(v[b]! ^ v[c]!, 11n);
  };
  for (let r = 0; r < 16; r++) {
    g(r, 0, 0, 4, 8, 12);
    g(r, 1, 1, 5, 9, 13);
    g(r, 2, 2, 6, 10, 14);
    g(r, 3, 3, 7, 11, 15);
    g(r, 4, 0, 5, 10, 15);
    g(r, 5, 1, 6, 11, 12);
    g(r, 6, 2, 7, 8, 13);
    g(r, 7, 3, 4, 9, 14);
  }
  for (let i = 0; i < 8; i++) h[i] = h[i]! ^ v[i]! ^ v[i + 8]!;
}

/** BLAKE-512 (zero salt) of `data`: 64 bytes. */
export function blake512(data: Uint8Array): Uint8Array {
  const h = [...IV];
  const bits = BigInt(data.length) * 8n;
  // Padding: a 1 bit, zeros, a final 1 bit before the 128-bit big-endian length, to a multiple
  // of 128 bytes. Each block's counter is the message bits up to its end; a block holding only
  // padding counts 0.
  const padded = new Uint8Array(Math.ceil((data.length + 17) / 128) * 128);
  padded.set(data);
  padded[data.length] = 0x80;
  padded[padded.length - 17] = (padded[padded.length - 17] ?? 0) | 0x01;
  for (let i = 0; i < 16; i++) padded[padded.length - 1 - i] = Number((bits >> BigInt(8 * i)) & 0xffn);
  for (let off = 0; off < padded.length; off += 128) {
    const end = BigInt(Math.min(off + 128, data.length)) * 8n;
    const counter = off < data.length ? end : 0n;
    compress(h, padded.subarray(off, off + 128), counter);
  }
  const out = new Uint8Array(64);
  h.forEach((w, i) => {
    for (let j = 0; j < 8; j++) out[8 * i + j] = Number((w >> BigInt(56 - 8 * j)) & 0xffn);
  });
  return out;
}

// ---------------------------------------------------------------- EdDSA-Poseidon

function le(bytes: Uint8Array): bigint {
  let x = 0n;
  for (let i = bytes.length - 1; i >= 0; i--) x = (x << 8n) | BigInt(bytes[i]!);
  return x;
}

function le32(x: bigint): Uint8Array {
  const out = new Uint8Array(32);
  for (let i = 0; i < 32; i++) out[i] = Number((x >> BigInt(8 * i)) & 0xffn);
  return out;
}

/** The secret scalar s of a private key: BLAKE-512's low half, pruned (low 3 bits clear, bit 254 set). */
function secretScalar(hash: Uint8Array): bigint {
  const s = Uint8Array.from(hash.subarray(0, 32));
  s[0] = s[0]! & 0xf8;
  s[31] = (s[31]! & 0x7f) | 0x40;
  return le(s);
}

/** The public key of a 32-byte private key: (s >> 3)·Base8. */
export function derivePublicKey(privateKey: Uint8Array): { x: bigint; y: bigint } {
  return mul(BASE8, secretScalar(blake512(privateKey)) >> 3n);
}

/** circomlibjs `signPoseidon(privateKey, message)`. */
export function signPoseidon(privateKey: Uint8Array, message: bigint): { r8: { x: bigint; y: bigint }; s: bigint } {
  const hash = blake512(privateKey);
  const s = secretScalar(hash);
  const pk = mul(BASE8, s >> 3n);
  const seed = new Uint8Array(64);
  seed.set(hash.subarray(32, 64));
  seed.set(le32(message), 32);
  const r = le(blake512(seed)) % SUBORDER;
  const r8 = mul(BASE8, r);
  const hm = poseidon5([r8.x, r8.y, pk.x, pk.y, message]);
  return { r8, s: (r + hm * s) % SUBORDER };
}

/** circomlibjs `verifyPoseidon`: S < l, the points on the curve, and S·Base8 = R8 + 8·h·A. */
export function verifyPoseidon(
  message: bigint,
  sig: { r8: { x: bigint; y: bigint }; s: bigint },
  key: { x: bigint; y: bigint },
): boolean {
  if (sig.s < 0n || sig.s >= SUBORDER || !onCurve(sig.r8) || !onCurve(key)) return false;
  const hm = poseidon5([sig.r8.x, sig.r8.y, key.x, key.y, message]);
  const left = mul(BASE8, sig.s);
  const right = addPoints(sig.r8, mul(key, 8n * hm));
  return left.x === right.x && left.y === right.y;
}
