// The SDK's cryptography against circomlibjs's vectors (protocol/tests/vectors, the same the Rust
// code is held to), the float rounding rule, and the generated client against the document.
import { test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import path from "node:path";
import {
  AMOUNT, FEE, PrivateKey, isRepresentable, message, packPublicKey, packSignature, parseEther, roundDown, signTransfer,
  signWithdraw, txHash, verifySignature,
} from "../src/index.js";

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../..");
const vectors = (name: string) => JSON.parse(readFileSync(path.join(root, "../protocol/tests/vectors", name), "utf8"));

test("keys and signatures equal circomlibjs's", () => {
  const all = vectors("eddsa.json");
  assert.ok(all.length > 0);
  for (const v of all) {
    const key = PrivateKey.fromHex(v.private_key);
    const pk = key.publicKey();
    assert.deepEqual([pk.x.toString(), pk.y.toString()], v.public_key);
    assert.equal(packPublicKey(pk), "0x" + v.public_key_packed);
    const sig = key.sign(BigInt(v.message));
    assert.equal(packSignature(sig), "0x" + v.signature_packed);
    assert.ok(verifySignature(BigInt(v.message), sig, pk));
    assert.ok(!verifySignature(BigInt(v.message) + 1n, sig, pk), "another message");
  }
});

test("signed transactions equal the protocol's vectors, domain included", () => {
  for (const v of vectors("txs.json")) {
    const key = PrivateKey.fromHex(v.private_key);
    const domain = { chainId: BigInt(v.chain_id), rollup: v.rollup };
    const fields = { from: v.from, amount: BigInt(v.amount), fee: BigInt(v.fee), nonce: v.nonce };
    const tx = v.type === 2 ? signTransfer(key, domain, { ...fields, to: v.to }) : signWithdraw(key, domain, { ...fields, to: v.to });
    assert.equal(tx.signature, "0x" + v.signature_packed, `${v.type} on chain ${v.chain_id}`);
    assert.equal(BigInt(txHash(domain, tx)), BigInt(v.message));
    const other = { chainId: domain.chainId + 1n, rollup: domain.rollup };
    assert.notEqual(txHash(other, tx), txHash(domain, tx), "another deployment signs another message");
  }
  assert.equal(message({ chainId: 0n, rollup: "0x" + "00".repeat(20) }, 2n, 1, 2n, 5n, 0n, 0) < 2n ** 254n, true);
});

test("amounts round down to the float formats; others are refused when signing", () => {
  assert.equal(roundDown(parseEther("1.5")), 1_500_000_000_000_000_000n);
  assert.equal(roundDown(2n ** 35n), 34_359_738_360n); // 2^35 needs exponent 1: 3435973836 · 10
  assert.equal(roundDown(123_456n, FEE), 123_400n); // mantissa 1234 < 2^11, exponent 2
  assert.ok(isRepresentable(1000n, FEE) && !isRepresentable(2049n, FEE));
  assert.ok(isRepresentable(0n, AMOUNT));
  assert.equal(parseEther("0.000000000000000001"), 1n);
  assert.throws(() => parseEther("1e18"));
  const key = PrivateKey.generate();
  const domain = { chainId: 1n, rollup: "0x" + "ab".repeat(20) };
  assert.throws(() => signTransfer(key, domain, { from: 1, to: 2, amount: 1n, fee: 2049n, nonce: 0 }), /fee 2049 is not representable/);
  assert.throws(() => PrivateKey.fromHex("0x1234"), /64 hex digits/);
});

test("the generated client is what openapi-typescript makes of the committed document", async () => {
  const { default: openapiTS, astToString } = await import("openapi-typescript");
  const doc = JSON.parse(readFileSync(path.join(root, "openapi.json"), "utf8"));
  const fresh = astToString(await openapiTS(doc));
  const committed = readFileSync(path.join(root, "src/api.d.ts"), "utf8");
  const body = (s: string) => s.slice(s.indexOf("export interface paths"));
  assert.equal(body(committed).trim(), body(fresh).trim(), "run `npm run generate` in sdk/ after changing the API");
});
