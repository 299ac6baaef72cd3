// Drives the explorer in headless Chromium (Debian's `chromium`) against a running sequencer.
// Used by the Rust test cli/tests/it/explorer.rs, which sets up the chain, the services and a
// finalized batch, and passes what the page must show:
//
//   node scripts/explorer-browser.mjs '{"url":…,"batch":N,"tx":"0x…","account":I,"balance":"wei","screenshots":"DIR"}'
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
  await page.goto(`${want.url}/`, { waitUntil: "load" });
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
  await shot("account.png");

  // The proof check in the page: valid for the real batch.
  // A fresh document each time (another query string), so no earlier verdict is on the page.
  let loads = 0;
  const verify = async () => {
    await page.goto(`${want.url}/?load=${++loads}#/batch/${want.batch}`, { waitUntil: "load" });
    await page.waitForSelector("#verify:not([disabled])", { timeout: 10000 });
    await page.click("#verify");
    await page.waitForSelector("#verdict[data-result]", { timeout: 60000 });
    return { result: await page.$eval("#verdict", (e) => e.dataset.result), text: await text("#verdict") };
  };
  const valid = await verify();
  check(valid.result === "valid", `the real batch verifies: ${valid.text}`);
  seen.valid = valid.text;
  await shot("verify-valid.png");

  // The same page with the batch's data tampered with in transit: invalid, and the page says
  // which check failed.
  let tamper = null;
  await page.setRequestInterception(true);
  page.on("request", async (req) => {
    const url = req.url();
    const target = tamper === "public" ? `/v1/batches/${want.batch}/proof` : `/v1/batches/${want.batch}`;
    if (!tamper || !url.endsWith(target)) return req.continue();
    const body = await (await fetch(url)).json();
    if (tamper === "public") {
      body.snarkjs.public = [(BigInt(body.snarkjs.public[0]) + 1n).toString()];
    } else {
      // One pubdata byte: an amount in the first operation.
      const p = body.pubdata;
      const at = 2 + 2 * 10;
      body.pubdata = p.slice(0, at) + (p[at] === "f" ? "e" : "f") + p.slice(at + 1);
    }
    return req.respond({ status: 200, contentType: "application/json", body: JSON.stringify(body) });
  });
  tamper = "public";
  const tampered = await verify();
  check(tampered.result === "invalid", `a tampered public input is refused: ${tampered.text}`);
  check(tampered.text.includes("✘ the proof's public input equals"), `the page names the public input check: ${tampered.text}`);
  seen.tampered_public = tampered.text;
  await shot("verify-tampered-public.png");
  tamper = "pubdata";
  const forged = await verify();
  check(forged.result === "invalid", `tampered pubdata is refused: ${forged.text}`);
  check(forged.text.includes("✘ snarkjs's Groth16 verification"), `snarkjs refuses the proof for other pubdata: ${forged.text}`);
  seen.tampered_pubdata = forged.text;
  await shot("verify-tampered-pubdata.png");
  check(errors.length === 0, `no script errors: ${errors.join("; ")}`);
  console.log(JSON.stringify(seen));
} finally {
  await browser.close();
}
