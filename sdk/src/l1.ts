// The Rollup contract on the base chain, through ethers: deposits, full exits, claims.
import { Contract, type ContractRunner, type Provider, type Signer, sha256, concat, toBeHex, getBytes } from "ethers";
import type { Point } from "./keys.js";
import type { Domain } from "./tx.js";

/**
 * The deployment to sign for, from the base chain: the chain id the caller's own RPC endpoint
 * answers (`eth_chainId`) and the Rollup address from the caller's configuration, which must
 * hold a contract there. Never take it from the sequencer's API.
 */
export async function domainFromChain(provider: Provider, rollup: string): Promise<Domain> {
  if (!/^0x[0-9a-fA-F]{40}$/.test(rollup)) throw new Error(`not a Rollup address: ${rollup}`);
  const { chainId } = await provider.getNetwork();
  if ((await provider.getCode(rollup)) === "0x") throw new Error(`no contract at ${rollup} on chain ${chainId}`);
  return { chainId, rollup: rollup.toLowerCase() };
}

/** The functions and events of the Rollup contract the SDK uses. */
export const ROLLUP_ABI = [
  "function deposit(uint256 pkX, uint256 pkY) payable returns (uint32 account)",
  "function depositTo(uint32 account, uint256 pkX, uint256 pkY, address owner) payable",
  "function requestFullExit(uint32 account, uint256 pkX, uint256 pkY, uint16 token) payable",
  "function depositFee() view returns (uint256)",
  "function fullExitFee() view returns (uint256)",
  "function forceTransfer(uint32 account, uint256 pkX, uint256 pkY, uint16 token, uint32 to, uint128 amount) payable",
  "function forceWithdraw(uint32 account, uint256 pkX, uint256 pkY, uint16 token, uint128 amount) payable",
  "function forcedFee() view returns (uint256)",
  "function withdraw(address to, uint16 token)",
  "function pendingWithdrawals(address, uint16) view returns (uint256)",
  "function minDeposit() view returns (uint256)",
  "event DepositRequested(uint64 indexed serial, uint32 indexed account, address owner, uint16 token, uint128 amount, uint256 pkX, uint256 pkY, uint64 deadline)",
  "event FullExitRequested(uint64 indexed serial, uint32 indexed account, address owner, uint16 token, uint64 deadline)",
  "event ForcedTransferRequested(uint64 indexed serial, uint32 indexed account, address owner, uint16 token, uint32 to, uint128 amount, uint64 deadline)",
  "event ForcedWithdrawRequested(uint64 indexed serial, uint32 indexed account, address owner, uint16 token, uint128 amount, uint64 deadline)",
];

/**
 * The hash the API knows a priority request (deposit, full exit, forced transfer or withdrawal) by once the sequencer has read it:
 * SHA-256("causeway priority request" ‖ serial as 8 big-endian bytes).
 */
export function priorityRequestHash(serial: bigint): string {
  return sha256(concat([new TextEncoder().encode("causeway priority request"), getBytes(toBeHex(serial, 8))]));
}

/** A priority request the contract queued. */
export interface PriorityRequest {
  /** Its queue position. */
  serial: bigint;
  /** The rollup account. */
  account: number;
  /** The base-chain transaction. */
  l1Tx: string;
  /** Follow it with `client.follow(hash)`. */
  hash: string;
}

/** The events that queue a priority request. */
type PriorityEvent = "DepositRequested" | "FullExitRequested" | "ForcedTransferRequested" | "ForcedWithdrawRequested";

/** The Rollup contract at `address`. */
export class Rollup {
  readonly contract: Contract;

  constructor(readonly address: string, runner: ContractRunner) {
    this.contract = new Contract(address, ROLLUP_ABI, runner);
  }

  private async request(tx: Promise<{ wait(): Promise<unknown> }>, event: PriorityEvent): Promise<PriorityRequest> {
    const sent = await tx;
    const receipt = (await sent.wait()) as { hash: string; logs: { topics: readonly string[]; data: string }[] } | null;
    if (!receipt) throw new Error("the transaction was not mined");
    for (const log of receipt.logs) {
      const parsed = this.contract.interface.parseLog(log);
      if (parsed && parsed.name === event) {
        const serial = BigInt(parsed.args[0]);
        return { serial, account: Number(parsed.args[1]), l1Tx: receipt.hash, hash: priorityRequestHash(serial) };
      }
    }
    throw new Error(`no ${event} event in ${receipt.hash}`);
  }

  /** The priority fee a deposit pays on top of its amount, in wei (`depositFee()`). */
  async depositFee(): Promise<bigint> {
    return BigInt(await this.contract.getFunction("depositFee")());
  }

  /** The priority fee a full-exit request pays, in wei (`fullExitFee()`). */
  async fullExitFee(): Promise<bigint> {
    return BigInt(await this.contract.getFunction("fullExitFee")());
  }

  /**
   * Deposits `amount` wei for a new account keyed by `key` (owned by the signer's address),
   * sending the deposit fee on top; the account's index is in the result. It reaches the
   * rollup once the sequencer reads it.
   */
  async deposit(signer: Signer, key: Point, amount: bigint): Promise<PriorityRequest> {
    const c = this.contract.connect(signer) as Contract;
    const value = amount + (await this.depositFee());
    return this.request(c.getFunction("deposit")(key.x, key.y, { value }), "DepositRequested");
  }

  /** Tops up `account` (same key and owner) with `amount` wei, the deposit fee on top. */
  async depositTo(signer: Signer, account: number, key: Point, owner: string, amount: bigint): Promise<PriorityRequest> {
    const c = this.contract.connect(signer) as Contract;
    const value = amount + (await this.depositFee());
    return this.request(c.getFunction("depositTo")(account, key.x, key.y, owner, { value }), "DepositRequested");
  }

  /**
   * Asks for `account`'s whole balance to be paid to its owner (the signer must be it),
   * whatever the operator does; pays the full-exit fee. `token` is the one the account holds
   * (0: ether; the contract refuses another).
   */
  async requestFullExit(signer: Signer, account: number, key: Point, token = 0): Promise<PriorityRequest> {
    const c = this.contract.connect(signer) as Contract;
    const value = await this.fullExitFee();
    return this.request(c.getFunction("requestFullExit")(account, key.x, key.y, token, { value }), "FullExitRequested");
  }

  /** The priority fee a forced transfer or withdrawal pays, in wei (`forcedFee()`). */
  async forcedFee(): Promise<bigint> {
    return BigInt(await this.contract.getFunction("forcedFee")());
  }

  /**
   * Queues a transfer of `amount` (of the account's token, `token`: 0 for ether) from `account`
   * to account `to` on the base chain, with no rollup signature: the signer must be the
   * account's owner and `key` its key. The operator must execute it in queue order; it moves
   * the amount if the balance then covers it and `to` exists and holds the token, and is
   * otherwise a recorded no-op. Pays the forced fee.
   */
  async forceTransfer(signer: Signer, account: number, key: Point, to: number, amount: bigint, token = 0): Promise<PriorityRequest> {
    const c = this.contract.connect(signer) as Contract;
    const value = await this.forcedFee();
    return this.request(c.getFunction("forceTransfer")(account, key.x, key.y, token, to, amount, { value }), "ForcedTransferRequested");
  }

  /**
   * Queues a withdrawal of `amount` (of `token`, the account's: 0 for ether) from `account` to
   * the signer (its owner) on the base chain, as `forceTransfer` does a transfer; claim it with
   * `claim` once executed.
   */
  async forceWithdraw(signer: Signer, account: number, key: Point, amount: bigint, token = 0): Promise<PriorityRequest> {
    const c = this.contract.connect(signer) as Contract;
    const value = await this.forcedFee();
    return this.request(c.getFunction("forceWithdraw")(account, key.x, key.y, token, amount, { value }), "ForcedWithdrawRequested");
  }

  /** What waits for `address` in `token` (0: ether, in wei): final withdrawals and exits. */
  async pendingWithdrawal(address: string, token = 0): Promise<bigint> {
    return BigInt(await this.contract.getFunction("pendingWithdrawals")(address, token));
  }

  /** Pays `to` what waits for it in `token` (0: ether); returns the base-chain transaction hash. */
  async claim(signer: Signer, to: string, token = 0): Promise<string> {
    const c = this.contract.connect(signer) as Contract;
    const sent = await c.getFunction("withdraw")(to, token);
    const receipt = await sent.wait();
    return receipt.hash;
  }
}
