// Runs the TypeScript SDK in headless Chromium (Debian's `chromium`) against a running rollup:
// the SDK bundled for the browser (`npm run bundle --prefix sdk`), served from another origin than
// the sequencer's. In the page: the domain from the base chain, the sequencer checked against it,
// a fresh key from Web Crypto, a deposit signed by a base-chain wallet, the account found by key
// and owner, and a transfer signed in the browser, submitted and followed to `included`. Used by
// cli/tests/it/sdk.rs:
//
//   node scripts/sdk-browser.mjs '{"api":…,"rpc":…,"rollup":"0x…","l1_key":"0x…","bundle":"PATH"}'
//
// Prints one JSON line of what the page did; exits non-zero, saying why, when anything failed.
import puppeteer from "puppeteer-core";
import { createServer } from "node:http";
import { readFileSync } from "node:fs";

const want = JSON.parse(process.argv[2]);
const bundle = readFileSync(want.bundle);
const page = `<!doctype html><meta charset="utf-8"><title>SDK</title>
<script type="module">import * as sdk from "/sdk.js"; window.sdk = sdk; document.title = "ready";</script>`;
const server = createServer((req, res) => {
  if (req.url === "/sdk.js") res.writeHead(200, { "content-type": "text/javascript" }).end(bundle);
  else res.writeHead(200, { "content-type": "text/html" }).end(page);
});
await new Promise((r) => server.listen(0, "127.0.0.1", r));
const origin = `http://127.0.0.1:${server.address().port}`;

const browser = await puppeteer.launch({
  executablePath: process.env.CHROMIUM || "/usr/bin/chromium",
  headless: true,
  args: ["--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage"],
});
try {
  const tab = await browser.newPage();
  const errors = [];
  tab.on("pageerror", (e) => errors.push(String(e)));
  // A 404 while a deposit is not sequenced yet is what `follow` expects: Chromium logs every
  // failed fetch, so only other console errors count.
  tab.on("console", (m) => m.type() === "error" && !m.text().startsWith("Failed to load resource") && errors.push(m.text()));
  await tab.goto(origin, { waitUntil: "load" });
  await tab.waitForFunction(() => document.title === "ready", { timeout: 30000 });
  const seen = await tab.evaluate(async (w) => {
    const { Client, PrivateKey, Rollup, JsonRpcProvider, Wallet, domainFromChain, parseEther, verifySignature } = window.sdk;
    const out = { node: typeof process !== "undefined" };
    const provider = new JsonRpcProvider(w.rpc, undefined, { pollingInterval: 100, cacheTimeout: -1 });
    const domain = await domainFromChain(provider, w.rollup);
    out.chain_id = domain.chainId.toString();
    const client = new Client(w.api, domain);
    await client.checkDomain();
    const key = PrivateKey.generate();
    const message = 12345n;
    out.signature_verifies = verifySignature(message, key.sign(message), key.publicKey());
    const l1 = new Wallet(w.l1_key, provider);
    const rollup = new Rollup(w.rollup, provider);
    const deposit = await rollup.deposit(l1, key.publicKey(), parseEther("0.5"));
    await client.follow(deposit.hash, { until: "included", timeoutMs: 120000 });
    const account = await client.findAccount(key.publicKey(), l1.address);
    out.account = account.index;
    out.balance = account.accepted.balance;
    const t = await client.transfer(key, { from: account.index, to: 0, amount: parseEther("0.1"), fee: 1000n });
    out.transfer = t.hash;
    out.transfer_status = (await client.follow(t.hash, { until: "included", timeoutMs: 120000 })).status;
    return out;
  }, want);
  if (errors.length > 0) throw new Error(`page errors: ${errors.join("; ")}`);
  console.log(JSON.stringify({ origin, ...seen }));
} finally {
  await browser.close();
  server.close();
}
