// The SDK against a running rollup: a sequencer (with its base-chain watcher), a prover and the
// settler on anvil. cli/tests/it/sdk.rs starts them and runs this file with
//   CAUSEWAY_API, CAUSEWAY_RPC, CAUSEWAY_ROLLUP and CAUSEWAY_L1_KEYS (two funded base-chain keys).
import { test } from "node:test";
import assert from "node:assert/strict";
import { JsonRpcProvider, Wallet, NonceManager } from "ethers";
import { CausewayError, Client, PrivateKey, Rollup, domainFromChain, parseEther, signTransfer } from "../src/index.js";

function env(name: string): string {
  const v = process.env[name];
  if (!v) throw new Error(`${name} is not set: cli/tests/it/sdk.rs runs this test against a running rollup`);
  return v;
}

test("keys, deposits, a transfer, a withdrawal, a claim and a full exit, each followed to finalized", { timeout: 600_000 }, async () => {
  // A local chain: receipts polled every 100 ms (not 4 s), and no 250 ms cache of identical
  // calls (a balance read just before a claim would be answered again just after it).
  const provider = new JsonRpcProvider(env("CAUSEWAY_RPC"), undefined, { pollingInterval: 100, cacheTimeout: -1 });
  const [aliceL1, bobL1] = env("CAUSEWAY_L1_KEYS").split(",").map((k) => new NonceManager(new Wallet(k, provider)));
  assert.ok(aliceL1 && bobL1);
  const rollup = new Rollup(env("CAUSEWAY_ROLLUP"), provider);
  // The domain comes from the base chain and our own configuration, never from the API; the
  // sequencer serves the same one.
  const domain = await domainFromChain(provider, env("CAUSEWAY_ROLLUP"));
  assert.equal(domain.chainId, (await provider.getNetwork()).chainId);
  const client = new Client(env("CAUSEWAY_API"), domain);
  await client.checkDomain();
  // No token listed: ether alone.
  assert.deepEqual(await client.tokens(), [{ id: 0, address: "0x" + "0".repeat(40), symbol: "ETH", decimals: 18 }]);
  const elsewhere = new Client(env("CAUSEWAY_API"), { chainId: domain.chainId, rollup: "0x" + "99".repeat(20) });
  await assert.rejects(elsewhere.checkDomain(), /not 0x9999/);

  // Fresh keys; each user deposits for a new account.
  const alice = PrivateKey.generate();
  const bob = PrivateKey.generate();
  const aliceAddress = await aliceL1.getAddress();
  const bobAddress = await bobL1.getAddress();
  // Deposits pay the deployment's priority fee on top of the amount.
  const depositFee = await rollup.depositFee();
  assert.ok(depositFee > 0n, "the deployment charges a priority fee");
  const aliceBefore = await provider.getBalance(aliceAddress);
  const d1 = await rollup.deposit(aliceL1, alice.publicKey(), parseEther("1"));
  assert.ok(aliceBefore - (await provider.getBalance(aliceAddress)) >= parseEther("1") + depositFee);
  const d2 = await rollup.deposit(bobL1, bob.publicKey(), parseEther("0.5"));
  await client.follow(d1.hash, { until: "included" });
  await client.follow(d2.hash, { until: "included" });
  const a = await client.findAccount(alice.publicKey(), aliceAddress);
  const b = await client.findAccount(bob.publicKey(), bobAddress);
  assert.ok(a && b, "both accounts exist, owned by their depositors");
  assert.equal(a.index, d1.account);
  assert.equal(a.accepted.balance, parseEther("1").toString());
  assert.equal(await client.findAccount(alice.publicKey(), bobAddress), null, "an account is found only by its owner");

  // A transfer and a withdrawal, followed to finalized on the base chain.
  const fee = 1000n;
  const t = await client.transfer(alice, { from: a.index, to: b.index, amount: parseEther("0.25"), fee });
  const recipient = Wallet.createRandom().address;
  const w = await client.withdraw(bob, { from: b.index, to: recipient, amount: parseEther("0.5"), fee });
  const seen: string[] = [];
  const final = await client.follow(w.hash, { resubmit: w.tx, onStatus: (x) => seen.push(x.status) });
  assert.equal(final.status, "finalized");
  assert.ok(seen.includes("finalized"));
  assert.equal((await client.follow(t.hash)).status, "finalized");
  const batch = await client.batch(final.batch ?? 0);
  assert.ok("l1_tx" in batch && batch.l1_tx, "the batch names its base-chain transaction");
  assert.equal((await client.account(a.index)).accepted.balance, (parseEther("0.75") - fee).toString());
  // The proved state follows the proofs on its own: wait until it has reached the batch.
  let proved = await client.account(b.index);
  for (let i = 0; proved.proved.batch < (final.batch ?? 0) && i < 200; i++) {
    await new Promise((r) => setTimeout(r, 100));
    proved = await client.account(b.index);
  }
  assert.equal(proved.proved.balance, (parseEther("0.25") - fee).toString());

  // The withdrawal waits on the base chain; anyone may pay it to its address.
  assert.equal(await rollup.pendingWithdrawal(recipient), parseEther("0.5"));
  await rollup.claim(bobL1, recipient);
  assert.equal(await provider.getBalance(recipient), parseEther("0.5"));
  assert.equal(await rollup.pendingWithdrawal(recipient), 0n);

  // The API refuses a replay with its code; the SDK throws it as a CausewayError.
  const replay = signTransfer(alice, domain, { from: a.index, to: b.index, amount: 1n, fee: 0n, nonce: 0 });
  await assert.rejects(client.submit(replay), (e: unknown) => e instanceof CausewayError && e.status === 409 && e.code === "wrong_nonce");

  // A full exit: alice's whole balance goes to her base-chain address, whatever the operator does.
  const before = BigInt((await client.account(a.index)).accepted.balance);
  const exit = await rollup.requestFullExit(aliceL1, a.index, alice.publicKey());
  assert.equal((await client.follow(exit.hash)).status, "finalized");
  assert.equal((await client.account(a.index)).accepted.balance, "0");
  assert.equal(await rollup.pendingWithdrawal(aliceAddress), before);
  const balance = await provider.getBalance(aliceAddress);
  await rollup.claim(bobL1, aliceAddress);
  assert.equal(await provider.getBalance(aliceAddress), balance + before);

  // The proof and the verifying key are there for anyone to check.
  const proof = await client.proof(final.batch ?? 0);
  const keys = await client.verifyingKey();
  assert.equal(proof.snarkjs.public.length, 1);
  assert.equal(keys.batch.snarkjs.nPublic, 1);
});
