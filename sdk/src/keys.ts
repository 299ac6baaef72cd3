// Keys and signatures: circomlibjs's EdDSA-Poseidon on Baby Jubjub (docs/protocol.md,
// "Cryptography"), implemented in ./eddsa.ts with nothing but bigint and Uint8Array, so the SDK
// runs in browsers as in Node. Packing follows circomlibjs's packPoint / packSignature.
import { FIELD, derivePublicKey, signPoseidon, verifyPoseidon } from "./eddsa.js";

export { FIELD };

/** Bytes as 0x-prefixed lowercase hex. */
export function toHex(bytes: Uint8Array): string {
  return "0x" + Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("");
}

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
    // Web Crypto: globalThis.crypto in browsers and in Node 19 and later.
    return new PrivateKey(globalThis.crypto.getRandomValues(new Uint8Array(32)));
  }

  /** A key from 64 hex digits (with or without 0x), as `causeway wallet` files hold it. */
  static fromHex(hex: string): PrivateKey {
    const digits = hex.startsWith("0x") ? hex.slice(2) : hex;
    if (!/^[0-9a-fA-F]{64}$/.test(digits)) throw new Error("a private key is 64 hex digits");
    return new PrivateKey(Uint8Array.from(digits.match(/../g) ?? [], (b) => parseInt(b, 16)));
  }

  /** The key as 0x-prefixed hex. */
  toHex(): string {
    return toHex(this.bytes);
  }

  /** The public key A = (scalar >> 3) · Base8. */
  publicKey(): Point {
    return derivePublicKey(this.bytes);
  }

  /** circomlibjs `signPoseidon(key, message)`: (R8, S). */
  sign(message: bigint): Signature {
    return signPoseidon(this.bytes, message);
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

const hex = toHex;

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
  return verifyPoseidon(message, sig, key);
}
