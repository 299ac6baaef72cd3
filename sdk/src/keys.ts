// Keys and signatures: circomlibjs's EdDSA-Poseidon on Baby Jubjub (docs/protocol.md,
// "Cryptography"), through @zk-kit/eddsa-poseidon's Blake-512 variant, which derives keys as
// circomlibjs does. Packing follows circomlibjs's packPoint / packSignature.
import { createRequire } from "node:module";
import { randomBytes } from "node:crypto";

type ZkKit = typeof import("@zk-kit/eddsa-poseidon");
// The package's ESM build of the Blake-512 variant does not load in Node; its CommonJS build does.
const eddsa = createRequire(import.meta.url)("@zk-kit/eddsa-poseidon/blake-1") as ZkKit;

/** The BN254 scalar field's modulus: every field element is below it. */
export const FIELD = 21888242871839275222246405745257275088548364400416034343698204186575808495617n;

/** A Baby Jubjub point (circomlib's form, a = 168700, d = 168696). */
export interface Point {
  x: bigint;
  y: bigint;
}

/** A private key: 32 bytes. */
export class PrivateKey {
  readonly bytes: Uint8Array;

  constructor(bytes: Uint8Array) {
    if (bytes.length !== 32) throw new Error(`a private key is 32 bytes, not ${bytes.length}`);
    this.bytes = Uint8Array.from(bytes);
  }

  /** A fresh key from the operating system's randomness. */
  static generate(): PrivateKey {
    return new PrivateKey(randomBytes(32));
  }

  /** A key from 64 hex digits (with or without 0x), as `causeway wallet` files hold it. */
  static fromHex(hex: string): PrivateKey {
    const digits = hex.startsWith("0x") ? hex.slice(2) : hex;
    if (!/^[0-9a-fA-F]{64}$/.test(digits)) throw new Error("a private key is 64 hex digits");
    return new PrivateKey(Buffer.from(digits, "hex"));
  }

  /** The key as 0x-prefixed hex. */
  toHex(): string {
    return "0x" + Buffer.from(this.bytes).toString("hex");
  }

  /** The public key A = (scalar >> 3) · Base8. */
  publicKey(): Point {
    const [x, y] = eddsa.derivePublicKey(Buffer.from(this.bytes));
    return { x: BigInt(x), y: BigInt(y) };
  }

  /** circomlibjs `signPoseidon(key, message)`: (R8, S). */
  sign(message: bigint): Signature {
    const s = eddsa.signMessage(Buffer.from(this.bytes), message);
    return { r8: { x: BigInt(s.R8[0]), y: BigInt(s.R8[1]) }, s: BigInt(s.S) };
  }
}

/** An EdDSA-Poseidon signature. */
export interface Signature {
  r8: Point;
  s: bigint;
}

function le32(x: bigint): Uint8Array {
  const out = new Uint8Array(32);
  for (let i = 0; i < 32; i++) out[i] = Number((x >> BigInt(8 * i)) & 0xffn);
  return out;
}

const hex = (bytes: Uint8Array) => "0x" + Buffer.from(bytes).toString("hex");

/** A point packed as circomlibjs packs it: y little-endian, top bit set when x > (p − 1)/2. */
export function packPoint(p: Point): Uint8Array {
  const out = le32(p.y);
  if (p.x > (FIELD - 1n) / 2n) out[31] = (out[31] ?? 0) | 0x80;
  return out;
}

/** The packed public key as the API takes it: 0x and 32 bytes of hex. */
export function packPublicKey(p: Point): string {
  return hex(packPoint(p));
}

/** The packed signature as the API takes it: packed R8 ‖ S little-endian, 0x and 64 bytes of hex. */
export function packSignature(sig: Signature): string {
  return hex(new Uint8Array([...packPoint(sig.r8), ...le32(sig.s)]));
}

/** Checks a signature as the sequencer does: S · Base8 == R8 + 8h · A. */
export function verifySignature(message: bigint, sig: Signature, key: Point): boolean {
  return eddsa.verifySignature(message, { R8: [sig.r8.x, sig.r8.y], S: sig.s }, [key.x, key.y]);
}
