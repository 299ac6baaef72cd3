// The SDK on the devnet (`./scripts/devnet` running): alice pays bob 0.1 ether and follows the
// transfer to finalized; then a new user's key gets an account by a deposit from alice's
// base-chain address. Run from the repository root after `npm ci --prefix sdk && npm run build --prefix sdk`:
//
//   node sdk/examples/devnet.mjs
import { readFileSync } from "node:fs";
import { JsonRpcProvider, Wallet } from "ethers";
import { Client, PrivateKey, Rollup, domainFromChain, parseEther } from "../dist/src/index.js";

const read = (path) => JSON.parse(readFileSync(path, "utf8"));
const deployment = read("out/devnet/deployment.json");
const alice = read("out/devnet/alice.json");
const bob = read("out/devnet/bob.json");

const provider = new JsonRpcProvider(deployment.rpc, undefined, { pollingInterval: 250 });
// Sign for the deployment the base chain and our own file name, never for what an API says.
const client = new Client("http://127.0.0.1:3000", await domainFromChain(provider, deployment.rollup));
await client.checkDomain();
const aliceKey = PrivateKey.fromHex(alice.rollup_key);
const aliceL1 = new Wallet(alice.l1_key, provider);

// Accounts are found by key *and* owner: anyone can deposit with anyone's key.
const from = await client.findAccount(aliceKey.publicKey(), aliceL1.address);
const to = await client.findAccount(PrivateKey.fromHex(bob.rollup_key).publicKey(), new Wallet(bob.l1_key).address);
console.log(`alice is account ${from.index} with ${from.accepted.balance} wei; bob is account ${to.index}`);

const sent = await client.transfer(aliceKey, { from: from.index, to: to.index, amount: parseEther("0.1"), fee: 1000n });
console.log(`transfer ${sent.hash} accepted`);
let last = "";
const done = await client.follow(sent.hash, {
  onStatus: (t) => t.status !== last && console.log(`  ${(last = t.status)}`),
});
console.log(`final in batch ${done.batch}; bob now has ${(await client.account(to.index)).accepted.balance} wei`);

// A new user: a fresh key, an account made by a deposit from alice's base-chain address.
const dave = PrivateKey.generate();
const rollup = new Rollup(deployment.rollup, provider);
const deposit = await rollup.deposit(aliceL1, dave.publicKey(), parseEther("0.2"));
console.log(`deposit in ${deposit.l1Tx} for account ${deposit.account}`);
await client.follow(deposit.hash, { until: "included" });
const account = await client.account(deposit.account);
console.log(`account ${account.index} holds ${account.accepted.balance} wei, owned by ${account.owner}`);
