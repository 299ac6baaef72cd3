// Signed transactions (docs/protocol.md, "Operations" and "Amounts").
import { poseidon6 } from "poseidon-lite";
import { PrivateKey, packSignature } from "./keys.js";

/** A deployment: the base chain's id and the Rollup contract's address. Every signature covers it. */
export interface Domain {
  chainId: bigint;
  rollup: string;
}

/** A transfer as the API takes it. */
export interface SignedTransfer {
  type: "transfer";
  from: number;
  to: number;
  amount: string;
  fee: string;
  nonce: number;
  signature: string;
}

/** A withdrawal as the API takes it. */
export interface SignedWithdraw {
  type: "withdraw";
  from: number;
  to: string;
  amount: string;
  fee: string;
  nonce: number;
  signature: string;
}

export type SignedTx = SignedTransfer | SignedWithdraw;

const TRANSFER = 2n;
const WITHDRAW = 3n;

function address(a: string): bigint {
  if (!/^0x[0-9a-fA-F]{40}$/.test(a)) throw new Error(`not an address: ${a}`);
  return BigInt(a);
}

/** `Poseidon(domain · 2^8 + type, from, to, amount, fee, nonce)`: the signed message and the transaction hash. */
export function message(domain: Domain, type: bigint, from: number, to: bigint, amount: bigint, fee: bigint, nonce: number): bigint {
  const tag = (domain.chainId << 168n) + (address(domain.rollup) << 8n) + type;
  return poseidon6([tag, BigInt(from), to, amount, fee, BigInt(nonce)]);
}

/** The transaction hash of a signed transaction (its message) as the API writes it. */
export function txHash(domain: Domain, tx: SignedTx): string {
  const to = tx.type === "transfer" ? BigInt(tx.to) : address(tx.to);
  const m = message(domain, tx.type === "transfer" ? TRANSFER : WITHDRAW, tx.from, to, BigInt(tx.amount), BigInt(tx.fee), tx.nonce);
  return "0x" + m.toString(16).padStart(64, "0");
}

export interface TransferFields {
  from: number;
  to: number;
  amount: bigint;
  fee: bigint;
  nonce: number;
}

export interface WithdrawFields {
  from: number;
  /** The base-chain address paid once the batch is final. */
  to: string;
  amount: bigint;
  fee: bigint;
  nonce: number;
}

function checkAmounts(amount: bigint, fee: bigint) {
  if (!isRepresentable(amount, AMOUNT)) throw new Error(`amount ${amount} is not representable as a float40: use roundDown(amount)`);
  if (!isRepresentable(fee, FEE)) throw new Error(`fee ${fee} is not representable as a float16: use roundDown(fee, FEE)`);
}

/** Signs a transfer for `domain`. */
export function signTransfer(key: PrivateKey, domain: Domain, t: TransferFields): SignedTransfer {
  checkAmounts(t.amount, t.fee);
  const m = message(domain, TRANSFER, t.from, BigInt(t.to), t.amount, t.fee, t.nonce);
  return { type: "transfer", from: t.from, to: t.to, amount: t.amount.toString(), fee: t.fee.toString(), nonce: t.nonce, signature: packSignature(key.sign(m)) };
}

/** Signs a withdrawal for `domain`. */
export function signWithdraw(key: PrivateKey, domain: Domain, w: WithdrawFields): SignedWithdraw {
  checkAmounts(w.amount, w.fee);
  const m = message(domain, WITHDRAW, w.from, address(w.to), w.amount, w.fee, w.nonce);
  return { type: "withdraw", from: w.from, to: w.to.toLowerCase(), amount: w.amount.toString(), fee: w.fee.toString(), nonce: w.nonce, signature: packSignature(key.sign(m)) };
}

/** A decimal float format: value = mantissa · 10^exponent. */
export interface FloatFormat {
  mantissaBits: number;
  exponentBits: number;
}

/** Amounts: float40 (35-bit mantissa, 5-bit exponent). */
export const AMOUNT: FloatFormat = { mantissaBits: 35, exponentBits: 5 };
/** Fees: float16 (11-bit mantissa, 5-bit exponent). */
export const FEE: FloatFormat = { mantissaBits: 11, exponentBits: 5 };

/** The largest value of `format` not above `value`: what a wallet sends (the user never pays more than asked). */
export function roundDown(value: bigint, format: FloatFormat = AMOUNT): bigint {
  if (value < 0n) throw new Error("a negative amount");
  const limit = 1n << BigInt(format.mantissaBits);
  const maxExponent = (1 << format.exponentBits) - 1;
  let e = 0;
  while (value / 10n ** BigInt(e) >= limit) {
    e += 1;
    if (e > maxExponent) throw new Error(`${value} is beyond the format's range`);
  }
  const scale = 10n ** BigInt(e);
  return (value / scale) * scale;
}

/** Whether `value` is exactly a value of `format`. */
export function isRepresentable(value: bigint, format: FloatFormat = AMOUNT): boolean {
  try {
    return roundDown(value, format) === value;
  } catch {
    return false;
  }
}

/** Wei from an ether amount written in decimal ("1.5"). */
export function parseEther(ether: string): bigint {
  const m = /^(\d+)(?:\.(\d{0,18}))?$/.exec(ether.trim());
  if (!m) throw new Error(`not an ether amount: ${ether}`);
  return BigInt(m[1] ?? "0") * 10n ** 18n + BigInt((m[2] ?? "").padEnd(18, "0") || "0");
}
