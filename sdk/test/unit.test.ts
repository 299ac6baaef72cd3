// The SDK's cryptography against circomlibjs's vectors (protocol/tests/vectors, the same the Rust
// code is held to), the float rounding rule, and the generated client against the document.
import { test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync, readdirSync } from "node:fs";
import { createServer } from "node:http";
import { fileURLToPath } from "node:url";
import path from "node:path";
import {
  AMOUNT, CausewayError, Client, FEE, FIELD, PrivateKey, blake512, isRepresentable, retryAfterMs, toHex, message, packPublicKey, packSignature, parseEther, roundDown, signTransfer,
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

test("keys and signatures equal @zk-kit/eddsa-poseidon's (circomlibjs's derivation) for random keys and messages", async () => {
  const { createRequire } = await import("node:module");
  // The reference, in Node only: its CommonJS build of the Blake-512 variant.
  const zk = createRequire(import.meta.url)("@zk-kit/eddsa-poseidon/blake-1") as typeof import("@zk-kit/eddsa-poseidon");
  for (let i = 0; i < 8; i++) {
    const key = PrivateKey.generate();
    const bytes = Buffer.from(key.bytes);
    const [x, y] = zk.derivePublicKey(bytes);
    assert.deepEqual(key.publicKey(), { x: BigInt(x), y: BigInt(y) });
    const m = BigInt(key.toHex()) % FIELD;
    const ref = zk.signMessage(bytes, m);
    const sig = key.sign(m);
    assert.deepEqual(sig, { r8: { x: BigInt(ref.R8[0]), y: BigInt(ref.R8[1]) }, s: BigInt(ref.S) });
    assert.ok(zk.verifySignature(m, ref, [x, y]) && verifySignature(m, sig, key.publicKey()));
    assert.ok(!verifySignature(m, { ...sig, s: sig.s + 1n }, key.publicKey()), "another S");
  }
});

test("BLAKE-512 pads across a block boundary as the specification does", () => {
  // BLAKE-512 of one zero byte and of 144 zero bytes: the specification's two examples.
  assert.equal(toHex(blake512(new Uint8Array(1))).slice(2, 18), "97961587f6d970fa");
  assert.equal(toHex(blake512(new Uint8Array(144))).slice(2, 18), "313717d608e9cf75");
});

test("the SDK's code uses no Node built-in, so it runs in a browser", () => {
  const dir = path.join(root, "dist/src");
  for (const f of readdirSync(dir).filter((f) => f.endsWith(".js"))) {
    const code = readFileSync(path.join(dir, f), "utf8").replace(/\/\*[\s\S]*?\*\//g, "").replace(/^\s*\/\/.*$/gm, "");
    assert.ok(!/from "node:|require\(|\bBuffer\b|\bprocess\./.test(code), `${f} uses a Node built-in`);
  }
});

test("Retry-After is parsed as seconds or an HTTP date", () => {
  assert.equal(retryAfterMs("2"), 2000);
  assert.equal(retryAfterMs(null), undefined);
  assert.equal(retryAfterMs("soon"), undefined);
  const now = Date.parse("Mon, 07 Dec 2026 00:00:00 GMT");
  assert.equal(retryAfterMs("Mon, 07 Dec 2026 00:00:03 GMT", now), 3000);
});

test("a client signs for the caller's domain, and submit and follow wait out Retry-After", async () => {
  const domain = { chainId: 2n ** 60n + 1n, rollup: "0x" + "ab".repeat(20) };
  assert.throws(() => new Client("http://127.0.0.1:1", { chainId: 1n, rollup: "0x12" }), /not a Rollup address/);
  // A real socket: the first POST and the first GET are turned away for a second, then answered;
  // /v1/rollup names another deployment (with a chain id above 2^53, as a string).
  const seen: { method: string; at: number }[] = [];
  let posts = 0;
  let gets = 0;
  const server = createServer((req, res) => {
    seen.push({ method: req.method ?? "", at: Date.now() });
    res.setHeader("content-type", "application/json");
    if (req.url === "/v1/rollup") {
      res.end(JSON.stringify({ chain_id: (2n ** 60n + 1n).toString(), rollup: "0x" + "cd".repeat(20), depth: 4, slots: 8, fee_account: 0 }));
    } else if (req.method === "POST" && posts++ === 0) {
      res.writeHead(429, { "retry-after": "1" }).end(JSON.stringify({ code: "mempool_full", message: "full" }));
    } else if (req.method === "POST") {
      res.end(JSON.stringify({ hash: "0x" + "11".repeat(32), status: "accepted" }));
    } else if (gets++ === 0) {
      res.writeHead(503, { "retry-after": "1" }).end(JSON.stringify({ code: "database_unavailable", message: "down" }));
    } else {
      res.end(JSON.stringify({
        hash: "0x" + "11".repeat(32), seq: 1, status: "finalized", batch: 1, batch_status: "finalized", rejection: null,
        accepted_at: "2026-12-07T00:00:00Z",
        tx: { type: "transfer", from: 1, to: 2, amount: "5", fee: "0", nonce: 0, signature: "0x" + "22".repeat(64) },
      }));
    }
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  try {
    const { port } = server.address() as { port: number };
    const client = new Client(`http://127.0.0.1:${port}`, domain);
    assert.equal(client.domain.chainId, domain.chainId);
    await assert.rejects(client.checkDomain(), /serves Rollup 0xcdcd.* on chain 1152921504606846977, not 0xabab/);
    const tx = signTransfer(PrivateKey.generate(), client.domain, { from: 1, to: 2, amount: 5n, fee: 0n, nonce: 0 });
    const submitted = await client.submit(tx);
    assert.equal(submitted.status, "accepted");
    const posted = seen.filter((s) => s.method === "POST");
    assert.equal(posted.length, 2);
    assert.ok(posted[1]!.at - posted[0]!.at >= 950, "the retry came after Retry-After");
    const followed = await client.follow("0x" + "11".repeat(32), { intervalMs: 10 });
    assert.equal(followed.status, "finalized");
    const got = seen.filter((s) => s.method === "GET" && s.at >= posted[1]!.at);
    assert.ok(got[1]!.at - got[0]!.at >= 950, "follow waited out Retry-After, not its 10 ms interval");
    // Without Retry-After time left, the error is the caller's.
    posts = 0;
    await assert.rejects(client.submit(tx, { timeoutMs: 100 }), (e: unknown) => e instanceof CausewayError && e.status === 429 && e.retryAfterMs === 1000);
  } finally {
    server.close();
  }
});

test("follow submits a kept transaction again while the sequencer does not know it, and throws a refusal", async () => {
  const domain = { chainId: 31337n, rollup: "0x" + "ab".repeat(20) };
  const key = PrivateKey.generate();
  const tx = signTransfer(key, domain, { from: 1, to: 2, amount: 5n, fee: 0n, nonce: 3 });
  const hash = txHash(domain, tx);
  // A sequencer that lost its database: it knows nothing until the transaction is posted again
  // (then it is finalized); with `refuse`, the resubmission is refused as a stale nonce.
  let known = false;
  let refuse = false;
  const posted: string[] = [];
  const server = createServer((req, res) => {
    res.setHeader("content-type", "application/json");
    let body = "";
    req.on("data", (c) => (body += c));
    req.on("end", () => {
      if (req.method === "POST") {
        posted.push(body);
        if (refuse) {
          res.writeHead(422).end(JSON.stringify({ code: "bad_nonce", message: "nonce 3, expected 4" }));
          return;
        }
        known = true;
        res.end(JSON.stringify({ hash, seq: 7, status: "accepted" }));
      } else if (!known) {
        res.writeHead(404).end(JSON.stringify({ code: "not_found", message: "no such transaction" }));
      } else {
        res.end(JSON.stringify({
          hash, seq: 7, status: "finalized", batch: 2, batch_status: "finalized", rejection: null, accepted_at: "2026-12-07T00:00:00Z",
          tx: { type: "transfer", from: 1, to: 2, amount: "5", fee: "0", nonce: 3, signature: tx.signature },
        }));
      }
    });
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  try {
    const { port } = server.address() as { port: number };
    const client = new Client(`http://127.0.0.1:${port}`, domain);
    // Without the signed transaction, a 404 is waited on (a deposit not sequenced yet).
    await assert.rejects(client.follow(hash, { intervalMs: 10, timeoutMs: 100 }), /did not reach finalized/);
    assert.equal(posted.length, 0);
    let resubmitted = 0;
    const t = await client.follow(hash, { intervalMs: 10, resubmit: tx, onResubmit: () => resubmitted++ });
    assert.equal(t.status, "finalized");
    assert.equal(resubmitted, 1);
    assert.deepEqual(posted.map((p) => JSON.parse(p)), [JSON.parse(JSON.stringify(tx))], "the same signed transaction, once");
    // Another transaction is not resubmitted for this hash.
    const other = signTransfer(key, domain, { from: 1, to: 2, amount: 5n, fee: 0n, nonce: 4 });
    await assert.rejects(client.follow(hash, { resubmit: other }), /does not have hash/);
    // A refused resubmission is the caller's error.
    known = false;
    refuse = true;
    await assert.rejects(
      client.follow(hash, { intervalMs: 10, resubmit: tx }),
      (e: unknown) => e instanceof CausewayError && e.status === 422 && e.code === "bad_nonce",
    );
  } finally {
    server.close();
  }
});

test("the explorer's Poseidon bundle is what esbuild makes of poseidon-lite, and hashes as the SDK does", async () => {
  const esbuild = await import("esbuild");
  const out = await esbuild.build({
    entryPoints: [path.join(root, "system/explorer-poseidon.js")], bundle: true, format: "iife", globalName: "causewayPoseidon",
    minify: true, platform: "browser", write: false, logLevel: "warning",
  });
  const committed = readFileSync(path.join(root, "../sequencer/explorer/poseidon.min.js"), "utf8");
  assert.equal(committed, out.outputFiles[0]!.text, "run `npm run explorer-poseidon` in sdk/ after changing poseidon-lite");
  const { poseidon6 } = await import("poseidon-lite");
  const bundled = new Function(`${committed}; return causewayPoseidon;`)() as { poseidon6: (x: bigint[]) => bigint };
  assert.equal(bundled.poseidon6([1n, 2n, 3n, 4n, 5n, 6n]), poseidon6([1n, 2n, 3n, 4n, 5n, 6n]));
});
