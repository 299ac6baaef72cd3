// The sequencer's API (docs/api.md), typed by the client generated from its OpenAPI document
// (src/api.d.ts, made by openapi-typescript from openapi.json).
import createClient from "openapi-fetch";
import type { components, paths } from "./api.js";
import { PrivateKey, type Point, packPublicKey } from "./keys.js";
import { type Domain, type SignedTx, signTransfer, signWithdraw, txHash } from "./tx.js";

export type Schemas = components["schemas"];
export type Account = Schemas["AccountView"];
export type Transaction = Schemas["TxView"];
export type TxState = Schemas["TxState"];
export type Batch = Schemas["BatchDetail"];
export type BatchProof = Schemas["BatchProof"];
export type VerifyingKeys = Schemas["VerifyingKeys"];
export type Token = Schemas["TokenView"];
export type RollupInfo = Schemas["RollupInfo"];
export type Submitted = Schemas["Submitted"];

/**
 * An error the API answered: its HTTP status and `{code, message}`, and how long the server
 * asked to wait before trying again (its `Retry-After`, in milliseconds) when it said.
 */
export class CausewayError extends Error {
  constructor(readonly status: number, readonly code: string, message: string, readonly retryAfterMs?: number) {
    super(`${code}: ${message}`);
    this.name = "CausewayError";
  }

  /** Whether trying again later may succeed: 429 or 503 with a `Retry-After`. */
  get retryable(): boolean {
    return (this.status === 429 || this.status === 503) && this.retryAfterMs !== undefined;
  }
}

/** A `Retry-After` header in milliseconds: delay-seconds or an HTTP date (RFC 9110 §10.2.3). */
export function retryAfterMs(header: string | null, now = Date.now()): number | undefined {
  if (header === null) return undefined;
  const value = header.trim();
  if (/^[0-9]+$/.test(value)) return Number(value) * 1000;
  const at = Date.parse(value);
  return Number.isNaN(at) ? undefined : Math.max(0, at - now);
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

const ORDER: Record<TxState, number> = { accepted: 0, included: 1, proved: 2, finalized: 3, rejected: 4 };

/** Options of [[Client.follow]]. */
export interface FollowOptions {
  /** The status to wait for (default `finalized`). */
  until?: Exclude<TxState, "rejected">;
  /** Give up after this long (default 120 s). */
  timeoutMs?: number;
  /** Poll interval (default 250 ms). */
  intervalMs?: number;
  /** Called with each status seen. */
  onStatus?: (t: Transaction) => void;
  /**
   * The signed transaction, kept by the caller until it is final. While the sequencer answers
   * 404 for the hash (it never stored it, or lost it with its database: a 200 from `submit`
   * means only "in the operator's database"), it is submitted again; a refusal of the
   * resubmission is thrown.
   */
  resubmit?: SignedTx;
  /** Called before each resubmission. */
  onResubmit?: () => void;
}

/** A submitted transaction with the signed transaction itself, to keep until it is final. */
export type SubmittedTx = Submitted & { tx: SignedTx };

/** Options of [[Client.submit]]. */
export interface SubmitOptions {
  /** Keep retrying a 429 / 503 that carries `Retry-After` for this long (default 60 s). */
  timeoutMs?: number;
}

/**
 * A client of one sequencer, signing for one deployment. The deployment (`domain`: the base
 * chain's id and the Rollup's address) is the caller's: from its own configuration, or from the
 * base chain with `domainFromChain` — never from the API, so a hostile endpoint cannot collect
 * signatures valid on another deployment. `checkDomain()` tells whether the sequencer serves it.
 */
export class Client {
  private readonly api;
  /** The deployment every signature covers. */
  readonly domain: Domain;

  /** `baseUrl`: the sequencer, e.g. `http://127.0.0.1:3000`; `domain`: the deployment to sign for. */
  constructor(readonly baseUrl: string, domain: Domain) {
    if (!/^0x[0-9a-fA-F]{40}$/.test(domain.rollup)) throw new Error(`not a Rollup address: ${domain.rollup}`);
    if (typeof domain.chainId !== "bigint" || domain.chainId < 0n || domain.chainId >= 2n ** 64n) {
      throw new Error("the chain id must be a bigint below 2^64");
    }
    this.domain = { chainId: domain.chainId, rollup: domain.rollup.toLowerCase() };
    this.api = createClient<paths>({ baseUrl });
  }

  private unwrap<T>(r: { data?: T; error?: unknown; response: Response }): T {
    if (r.data !== undefined && r.response.ok) return r.data;
    const e = (r.error ?? {}) as { code?: string; message?: string };
    const wait = retryAfterMs(r.response.headers.get("retry-after"));
    throw new CausewayError(r.response.status, e.code ?? "http", e.message ?? r.response.statusText, wait);
  }

  /** The rollup's parameters and the deployment the sequencer says it serves. */
  async rollup(): Promise<RollupInfo> {
    return this.unwrap(await this.api.GET("/v1/rollup"));
  }

  /**
   * Checks that the sequencer serves this client's deployment; throws, naming both, when it
   * serves another (a misconfiguration, or an endpoint to stay away from).
   */
  async checkDomain(): Promise<void> {
    const r = await this.rollup();
    if (BigInt(r.chain_id) !== this.domain.chainId || r.rollup.toLowerCase() !== this.domain.rollup) {
      throw new Error(
        `the sequencer serves Rollup ${r.rollup} on chain ${r.chain_id}, not ${this.domain.rollup} on chain ${this.domain.chainId}`,
      );
    }
  }

  /** An account by index. */
  async account(index: number): Promise<Account> {
    return this.unwrap(await this.api.GET("/v1/accounts/{index}", { params: { path: { index } } }));
  }

  /** Every account holding `key`, in index order (anyone may deposit with any key). */
  async accountsByKey(key: Point): Promise<Account[]> {
    const all: Account[] = [];
    let after: number | undefined;
    for (;;) {
      try {
        const query = after === undefined ? {} : { after };
        const r = await this.api.GET("/v1/accounts/by-key/{key}", { params: { path: { key: packPublicKey(key) }, query } });
        const page = this.unwrap(r);
        all.push(...page.accounts);
        // Pages follow each other (anyone can deposit many accounts with one key).
        if (page.next_after === null || page.next_after === undefined) return all;
        if (after !== undefined && page.next_after <= after) throw new Error("the API's pages of accounts by key do not advance");
        after = page.next_after;
      } catch (e) {
        if (e instanceof CausewayError && e.status === 404) return all;
        throw e;
      }
    }
  }

  /**
   * The account holding `key` whose owner is `owner` (the base-chain address that deposited
   * into it) and whose token is `token` (0: ether), or null. Never trust an account merely
   * because it holds your key: anyone can deposit with it.
   */
  async findAccount(key: Point, owner: string, token = 0): Promise<Account | null> {
    return (await this.accountsByKey(key)).find((a) => a.owner === owner.toLowerCase() && a.token === token) ?? null;
  }

  /** An account's newest transactions. */
  async accountTransactions(index: number, limit = 20): Promise<Transaction[]> {
    const r = await this.api.GET("/v1/accounts/{index}/txs", { params: { path: { index }, query: { limit } } });
    return this.unwrap(r).transactions;
  }

  /**
   * Submits a signed transaction; a 200 means it is in the operator's database (only
   * `finalized` means on chain). A resubmission answers its status, so a 429 or 503 with
   * `Retry-After` is retried after the time the server asks, until `timeoutMs`.
   */
  async submit(tx: SignedTx, options: SubmitOptions = {}): Promise<Submitted> {
    const deadline = Date.now() + (options.timeoutMs ?? 60_000);
    for (;;) {
      try {
        const v = this.unwrap(await this.api.POST("/v1/txs", { body: tx as Schemas["SignedTx"] }));
        if ("results" in v) throw new Error("one transaction got a list's answer");
        return v;
      } catch (e) {
        if (!(e instanceof CausewayError && e.retryable) || Date.now() + (e.retryAfterMs ?? 0) > deadline) throw e;
        await sleep(e.retryAfterMs ?? 0);
      }
    }
  }

  /** A transaction by hash. */
  async transaction(hash: string): Promise<Transaction> {
    return this.unwrap(await this.api.GET("/v1/txs/{hash}", { params: { path: { hash } } }));
  }

  /**
   * Polls a transaction until it reaches `until` (default `finalized`); throws if it is
   * rejected or the time runs out. With `resubmit`, a 404 submits the transaction again.
   */
  async follow(hash: string, options: FollowOptions = {}): Promise<Transaction> {
    const until = options.until ?? "finalized";
    const deadline = Date.now() + (options.timeoutMs ?? 120_000);
    if (options.resubmit && txHash(this.domain, options.resubmit) !== hash.toLowerCase()) {
      throw new Error(`the transaction to resubmit does not have hash ${hash}`);
    }
    for (;;) {
      let t: Transaction | null = null;
      let wait = options.intervalMs ?? 250;
      try {
        t = await this.transaction(hash);
      } catch (e) {
        if (e instanceof CausewayError && e.retryable) {
          wait = Math.max(wait, e.retryAfterMs ?? 0); // the server asked for time
        } else if (!(e instanceof CausewayError && e.status === 404)) {
          throw e; // 404: not sequenced yet (a deposit), or unknown to this database
        } else if (options.resubmit) {
          options.onResubmit?.();
          await this.submit(options.resubmit, { timeoutMs: Math.max(0, deadline - Date.now()) });
          continue;
        }
      }
      if (t) {
        options.onStatus?.(t);
        if (t.status === "rejected") throw new CausewayError(422, t.rejection?.code ?? "rejected", t.rejection?.message ?? "rejected");
        if (ORDER[t.status] >= ORDER[until]) return t;
      }
      if (Date.now() > deadline) throw new Error(`transaction ${hash} did not reach ${until} in time (last: ${t?.status ?? "unknown"})`);
      await sleep(wait);
    }
  }

  /** A batch (or the open one). */
  async batch(n: number): Promise<Schemas["BatchResponse"]> {
    return this.unwrap(await this.api.GET("/v1/batches/{number}", { params: { path: { number: n } } }));
  }

  /** A batch's proof. */
  async proof(n: number): Promise<BatchProof> {
    return this.unwrap(await this.api.GET("/v1/batches/{number}/proof", { params: { path: { number: n } } }));
  }

  /** Every token the Rollup lists, ether (id 0) first, with its symbol and decimals. */
  async tokens(): Promise<Token[]> {
    return this.unwrap(await this.api.GET("/v1/tokens")).tokens;
  }

  /** The verifying keys the Rollup contract holds. */
  async verifyingKey(): Promise<VerifyingKeys> {
    return this.unwrap(await this.api.GET("/v1/verifying-key"));
  }

  /**
   * Signs a transfer from `from` with its current nonce and submits it; returns its hash and the
   * signed transaction (keep it for `follow`'s `resubmit` until it is final).
   */
  async transfer(key: PrivateKey, t: { from: number; to: number; amount: bigint; fee: bigint }): Promise<SubmittedTx> {
    const nonce = (await this.account(t.from)).accepted.nonce;
    const tx = signTransfer(key, this.domain, { ...t, nonce });
    return this.checked(tx, await this.submit(tx));
  }

  /** Signs a withdrawal to base-chain address `to` with the current nonce and submits it. */
  async withdraw(key: PrivateKey, w: { from: number; to: string; amount: bigint; fee: bigint }): Promise<SubmittedTx> {
    const nonce = (await this.account(w.from)).accepted.nonce;
    const tx = signWithdraw(key, this.domain, { ...w, nonce });
    return this.checked(tx, await this.submit(tx));
  }

  private async checked(tx: SignedTx, s: Submitted): Promise<SubmittedTx> {
    const mine = txHash(this.domain, tx);
    if (s.hash !== mine) throw new Error(`the sequencer answered hash ${s.hash} for transaction ${mine}`);
    return { ...s, tx };
  }
}
