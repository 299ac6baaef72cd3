// Drives the explorer in headless Chromium (Debian's `chromium`) against a running sequencer.
// Used by the Rust test cli/tests/it/explorer.rs, which sets up the chain, the services and a
// finalized batch, and passes what the page must show:
//
//   node scripts/explorer-browser.mjs '{"url":…,"rpc":…,"batch":N,"tx":"0x…","account":I,"balance":"wei","screenshots":"DIR"}'
//
// `rpc` is the base chain the page's checks read (set through the page's `?rpc=` parameter).
//
// Prints one JSON line of what it saw; exits non-zero, saying why, when the page is wrong.
import puppeteer from "puppeteer-core";
import path from "node:path";

const want = JSON.parse(process.argv[2]);
const executablePath = process.env.CHROMIUM || "/usr/bin/chromium";
const seen = {};

function check(ok, what) {
  if (!ok) throw new Error(`explorer: ${what}`);
}

const browser = await puppeteer.launch({
  executablePath,
  headless: true,
  args: ["--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage"],
});
try {
  const page = await browser.newPage();
  const errors = [];
  page.on("pageerror", (e) => errors.push(String(e)));
  const shot = (name) => page.screenshot({ path: path.join(want.screenshots, name), fullPage: true });
  const text = (selector) => page.$eval(selector, (e) => e.textContent);

  // Home: the newest batches, live. Desktop first, then a phone's viewport.
  await page.setViewport({ width: 1280, height: 900 });
  await page.goto(`${want.url}/?rpc=${encodeURIComponent(want.rpc)}`, { waitUntil: "load" });
  await page.waitForSelector(`#batches a[href="#/batch/${want.batch}"]`, { timeout: 30000 });
  const row = await page.$eval(`#batches a[href="#/batch/${want.batch}"]`, (a) => a.closest("tr").textContent);
  check(row.includes("finalized"), `batch ${want.batch}'s row says finalized: ${row}`);
  seen.home = row;
  await shot("home.png");
  await page.setViewport({ width: 390, height: 844, isMobile: true, hasTouch: true, deviceScaleFactor: 2 });
  await shot("home-phone.png");
  const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
  check(overflow <= 0, `the home page fits a phone's width (overflows by ${overflow}px)`);
  await page.setViewport({ width: 1280, height: 900 });

  // Search: a transaction by hash.
  await page.type("#q", want.tx);
  await page.click("#search button");
  await page.waitForFunction(() => document.body.dataset.page === "tx", { timeout: 10000 });
  await page.waitForSelector("h1 .status");
  const txText = await text("main");
  await shot("transaction.png");
  check(txText.includes(want.tx), `the transaction page shows its hash: ${txText}`);
  check(txText.includes(`${want.batch} (finalized)`), `the transaction page names batch ${want.batch}, finalized`);
  seen.tx_status = await text("h1 .status");
  check(seen.tx_status === "finalized", `the transaction is finalized: ${seen.tx_status}`);
  await shot("transaction.png");

  // Search: an account by index; its balance is the API's.
  await page.$eval("#q", (e) => { e.value = ""; });
  await page.type("#q", String(want.account));
  await page.click("#search button");
  await page.waitForSelector("#balance-accepted", { timeout: 10000 });
  seen.balance = await page.$eval("#balance-accepted", (e) => e.dataset.wei);
  check(seen.balance === want.balance, `account ${want.account}'s balance ${seen.balance} is the API's ${want.balance}`);

  // The account's Merkle proof, recomputed in the page, ends in a root the chain accepted (the
  // page is reloaded while the account's proved batch is not on chain yet).
  await page.waitForSelector("#merkle[data-result]", { timeout: 30000 });
  for (let i = 0; i < 60 && (await page.$eval("#merkle", (e) => e.dataset.result)) === "pending"; i++) {
    await page.reload({ waitUntil: "load" });
    await page.waitForSelector("#merkle[data-result]", { timeout: 30000 });
  }
  seen.merkle = await text("#merkle");
  check(await page.$eval("#merkle", (e) => e.dataset.result) === "valid", `the Merkle proof checks out on chain: ${seen.merkle}`);
  await shot("account.png");

  // The proof check in the page, against the base chain at want.rpc: valid for the real batch.
  // A fresh document each time (another query string), so no earlier verdict is on the page.
  let loads = 0;
  const rpc = encodeURIComponent(want.rpc);
  const verify = async (batch = want.batch) => {
    await page.goto(`${want.url}/?rpc=${rpc}&load=${++loads}#/batch/${batch}`, { waitUntil: "load" });
    await page.waitForSelector("#verify:not([disabled])", { timeout: 10000 });
    await page.click("#verify");
    await page.waitForSelector("#verdict[data-result]", { timeout: 60000 });
    return { result: await page.$eval("#verdict", (e) => e.dataset.result), text: await text("#verdict") };
  };
  const valid = await verify();
  check(valid.result === "valid", `the real batch verifies: ${valid.text}`);
  seen.valid = valid.text;
  await shot("verify-valid.png");

  // A hostile sequencer: its answers are rewritten in transit, one lie at a time. Each makes the
  // verdict "not valid" and the page names the check that failed.
  let lie = null;
  const fake = 99;
  await page.setRequestInterception(true);
  page.on("request", async (req) => {
    const url = new URL(req.url());
    const rewrite = lie && url.origin === new URL(want.url).origin ? lie.rewrite(url.pathname) : null;
    if (!rewrite) return req.continue();
    const body = await rewrite();
    return req.respond({ status: 200, contentType: "application/json", body: JSON.stringify(body) });
  });
  const get = async (path) => (await fetch(`${want.url}${path}`)).json();
  const lies = {
    // Another verifying key (under which a forged batch would verify): the exit circuit's.
    another_key: (path) => path === "/v1/verifying-key" && (async () => {
      const keys = await get(path);
      return { ...keys, batch: keys.exit };
    }),
    // Another chain id.
    another_chain: (path) => path === "/v1/rollup" && (async () => ({ ...(await get(path)), chain_id: "999" })),
    // Pubdata the chain does not have (one amount byte of the first operation).
    other_pubdata: (path) => path === `/v1/batches/${want.batch}` && (async () => {
      const b = await get(path);
      const at = 2 + 2 * 10;
      return { ...b, pubdata: b.pubdata.slice(0, at) + (b.pubdata[at] === "f" ? "e" : "f") + b.pubdata.slice(at + 1) };
    }),
    // A batch the chain does not have at all: the real one's data under another number.
    no_such_batch: (path) => (path === `/v1/batches/${fake}` || path === `/v1/batches/${fake}/proof`) && (async () => {
      const real = await get(path.replace(`/${fake}`, `/${want.batch}`));
      return path.endsWith("/proof") ? real : { ...real, number: fake };
    }),
    // A proof that is not the batch's (its C point replaced by A).
    forged_proof: (path) => path === `/v1/batches/${want.batch}/proof` && (async () => {
      const p = await get(path);
      return { ...p, snarkjs: { ...p.snarkjs, proof: { ...p.snarkjs.proof, pi_c: p.snarkjs.proof.pi_a } } };
    }),
  };
  const expected = {
    another_key: "✘ the verifying key the sequencer serves is the one the Rollup holds",
    another_chain: "✘ the sequencer serves this deployment",
    other_pubdata: "✘ the header and pubdata the sequencer shows are the ones on chain",
    no_such_batch: `✘ the chain has no batch ${fake}`,
    forged_proof: "✘ snarkjs's Groth16 verification",
  };
  seen.refused = {};
  for (const [name, rewrite] of Object.entries(lies)) {
    lie = { rewrite };
    const v = await verify(name === "no_such_batch" ? fake : want.batch);
    check(v.result === "invalid", `${name}: not valid: ${v.text}`);
    check(v.text.includes(expected[name]), `${name}: the page names the failed check (${expected[name]}): ${v.text}`);
    seen.refused[name] = v.text;
    await shot(`verify-${name.replaceAll("_", "-")}.png`);
  }
  // A sequencer that lies about an account's proved balance: the Merkle proof fails.
  lie = { rewrite: (path) => path === `/v1/accounts/${want.account}` && (async () => {
    const a = await get(path);
    return { ...a, proved: { ...a.proved, balance: (BigInt(a.proved.balance) + 1n).toString() } };
  }) };
  await page.goto(`${want.url}/?rpc=${rpc}&load=${++loads}#/account/${want.account}`, { waitUntil: "load" });
  await page.waitForSelector("#merkle[data-result]", { timeout: 30000 });
  const lied = await text("#merkle");
  check(await page.$eval("#merkle", (e) => e.dataset.result) === "invalid", `a lied balance fails the Merkle proof: ${lied}`);
  check(lied.includes("✘ Poseidon(key, balance"), `the page names the leaf check: ${lied}`);
  seen.refused.account_balance = lied;
  lie = null;
  check(errors.length === 0, `no script errors: ${errors.join("; ")}`);
  console.log(JSON.stringify(seen));
} finally {
  await browser.close();
}
