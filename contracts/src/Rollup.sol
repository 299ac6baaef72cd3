// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

import {Groth16Verifier} from "./Groth16Verifier.sol";
import {ExitVerifier} from "./ExitVerifier.sol";

/// @title Causeway's Rollup contract: the token registry, the priority queue (deposits, full
/// exits, forced transfers and withdrawals), batch submission checked by a Groth16 proof,
/// withdrawals, open mode (anyone may submit proved batches once the queue waits too long), an
/// operator handover, and exodus mode (exits proved against the last accepted root, refunds of
/// deposits no batch executed) for when nobody carries the rollup on.
/// @notice Formats are in docs/protocol.md: the 88-byte batch header, pubdata in 16-byte chunks,
/// and the commitment SHA-256(header ‖ chain id (8 bytes) ‖ this contract's address ‖ pubdata)
/// with its top three bits cleared, the proof's only public input. The chain id and address come
/// from the chain, never from calldata, so a batch (and every signature in it, which the circuit
/// checks over the same domain) is valid on this deployment only.
contract Rollup is Groth16Verifier, ExitVerifier {
    uint256 private constant CHUNK = 16;
    uint256 private constant HEADER_BYTES = 88;
    uint8 private constant OP_NOOP = 0;
    uint8 private constant OP_DEPOSIT = 1;
    uint8 private constant OP_TRANSFER = 2;
    uint8 private constant OP_WITHDRAW = 3;
    uint8 private constant OP_FULL_EXIT = 4;
    uint8 private constant OP_FORCED_TRANSFER = 5;
    uint8 private constant OP_FORCED_WITHDRAW = 6;
    /// Baby Jubjub (circomlib form): a x^2 + y^2 = 1 + d x^2 y^2 over the BN254 scalar field.
    uint256 private constant BJJ_A = 168700;
    uint256 private constant BJJ_D = 168696;
    /// x of the four points of order 8 is this or R minus this; the other small-order points
    /// (the identity, (0, -1) and the two of order 4) have x = 0 or y = 0.
    uint256 private constant BJJ_ORDER8_X = 17545522957889784193459637215142187266023652151580582754000402781682644312291;
    /// Slots a deposit's pubdata takes: a batch must hold at least one.
    uint32 private constant DEPOSIT_CHUNKS = 7;
    /// Slots a full exit's pubdata takes.
    uint32 private constant FULL_EXIT_CHUNKS = 3;
    /// Bytes of a queued full-exit request (its amount is filled in when a batch executes it).
    uint256 private constant FULL_EXIT_PREFIX = 27;
    /// Ether's token id.
    uint16 private constant ETHER = 0;
    /// Slots a forced transfer's or withdrawal's pubdata takes.
    uint32 private constant FORCED_CHUNKS = 3;
    /// Bytes of a queued forced request (the batch adds whether it was executed).
    uint256 private constant FORCED_PREFIX = 47;
    string private constant EXODUS_NO_REQUESTS = "exodus mode: the rollup takes no new requests";

    /// The deployer: the operator until a handover (`operator()`). An immutable, so that an
    /// operator that never handed over pays no storage read per batch.
    address private immutable firstOperator;
    /// Blocks a priority request may wait, once every request queued before it has had the
    /// time full batches need to execute it, before anyone may turn open mode on: its deadline
    /// less `priorityExpiryBlocks` plus this (shorter than the exodus deadline).
    uint64 public immutable openDelayBlocks;
    /// Pubdata bytes of every batch: slots × 16.
    uint256 public immutable pubdataBytes;
    /// Accounts the tree holds: 2^depth.
    uint256 public immutable accountCapacity;
    /// Blocks a priority request may wait, once every request queued before it has had the
    /// time full batches need to execute it (see `_queue`), before its deadline passes.
    uint64 public immutable priorityExpiryBlocks;
    /// The deployment's capacity: a batch every this many blocks is what its operator commits
    /// to sustain. Deadlines grow with the queue at this pace, so an operator submitting full
    /// batches this often is never overdue, whatever anyone queues.
    uint64 public immutable blocksPerBatch;
    /// Wei per slot a priority request takes, paid with the request and credited to the
    /// operator when a batch executes it (refunded in exodus mode if none did): a deposit pays
    /// seven slots (`depositFee()`), a full exit three (`fullExitFee()`).
    uint256 public immutable priorityFee;
    /// Slots of priority requests every full batch executes when that many wait: a batch takes
    /// requests in queue order until the next does not fit, so it leaves at most six slots (one
    /// less than a deposit's seven) for other operations.
    uint256 private immutable queueSlotsPerBatch;
    /// The smallest deposit (wei): every deposit costs the operator seven slots.
    uint256 public immutable minDeposit;
    /// Wei sent with the deployment: exactly the sum of the genesis balances, so that every
    /// balance the rollup starts with is backed (a verifier checks the sum against the genesis
    /// file, and the contract's solvency after replaying).
    uint256 public immutable genesisFunds;

    /// The state root after the last accepted batch (the genesis root before the first).
    bytes32 public stateRoot;
    /// Batches accepted so far.
    uint64 public batchCount;
    /// Priority requests consumed by accepted batches (the queue's head).
    uint64 public priorityHead;
    /// Priority requests made so far (the queue's tail).
    uint64 public priorityTail;
    /// The index the next new account gets.
    uint32 public nextAccountIndex;
    /// Whether open mode is on: `submitBatch` accepts a proved batch from any address. Turned on
    /// by `activateOpenMode` when the operator lets the queue wait too long; nothing turns it
    /// off.
    bool public openMode;
    /// Whether the operator role was handed over (`successor` holds it): packed with the
    /// fields every batch reads anyway.
    bool private handedOver;
    /// Whether exodus mode is on: no batch is accepted any more, accounts exit with proofs
    /// against `stateRoot`, queued deposits are refunded. Nothing turns it off.
    bool public exodusMode;
    /// In exodus mode, the next queued request to refund (deposits) or drop (full exits).
    uint64 public refundHead;
    /// When a batch every `blocksPerBatch` blocks, each executing `queueSlotsPerBatch` slots of
    /// requests, would have executed every request queued so far, in blocks ×
    /// `queueSlotsPerBatch` (so that it stays exact).
    uint256 public queueClearsAtScaled;

    /// A queued priority request: the first 20 bytes of keccak256 of the bytes its pubdata must
    /// begin with, and the block after which it is overdue. One storage slot.
    struct PriorityRequest {
        bytes20 hash;
        uint64 deadline;
    }

    /// Serial number => request.
    mapping(uint64 => PriorityRequest) public priorityRequests;
    /// keccak256(abi.encode(pkX, pkY, owner, token)) of each account a deposit (or the genesis,
    /// whose accounts hold ether) created, so that a later deposit to it, and its owner's
    /// requests, can only carry the key, owner and token its leaf holds.
    mapping(uint32 => bytes32) public accountKeys;
    /// What each base-chain address may withdraw, per token (0: ether, in wei), credited by
    /// accepted batches, exits and refunds.
    mapping(address => mapping(uint16 => uint256)) public pendingWithdrawals;
    /// Accounts that exited in exodus mode (each exits once).
    mapping(uint32 => bool) public exited;
    /// Account => 1 + the serial of its latest full-exit request: an account has at most one
    /// waiting at a time (a second adds nothing, the first pays out the whole balance).
    mapping(uint32 => uint64) public fullExitSerial;
    /// The operator after a handover (see `operator()`). Declared after the rest so that the
    /// storage layout before it is what it was before the handover existed.
    address private successor;
    /// The address `proposeOperator` named, until it accepts (zero: none).
    address public pendingOperator;
    /// How many ERC-20 tokens are listed: their ids are 1 to tokenCount (ether is token 0).
    uint16 public tokenCount;
    /// Token id => its ERC-20 contract (zero for ether and for ids not listed).
    mapping(uint16 => address) public tokenAddress;
    /// ERC-20 contract => its token id (zero: not listed).
    mapping(address => uint16) public tokenId;

    event DepositRequested(
        uint64 indexed serial,
        uint32 indexed account,
        address owner,
        uint16 token,
        uint128 amount,
        uint256 pkX,
        uint256 pkY,
        uint64 deadline
    );
    event FullExitRequested(uint64 indexed serial, uint32 indexed account, address owner, uint16 token, uint64 deadline);
    event ForcedTransferRequested(
        uint64 indexed serial, uint32 indexed account, address owner, uint16 token, uint32 to, uint128 amount, uint64 deadline
    );
    event ForcedWithdrawRequested(
        uint64 indexed serial, uint32 indexed account, address owner, uint16 token, uint128 amount, uint64 deadline
    );
    /// Everything a replay needs is in the event (header and pubdata included), so the history
    /// can be rebuilt however the operator sends its transactions (through another contract, a
    /// delegated account, a batch of calls): no one has to decode the transaction's input.
    /// `submitter` is the address that sent it (the operator, or anyone in open mode), credited
    /// with the executed requests' priority fees.
    event BatchSubmitted(
        uint64 indexed number,
        address indexed submitter,
        bytes32 newRoot,
        uint256 commitment,
        uint64 priorityHead,
        bytes header,
        bytes pubdata
    );
    event TokenListed(uint16 indexed id, address indexed token, address by);
    event OpenModeActivated(uint64 blockNumber, uint64 oldestUnexecuted, address by);
    event OperatorProposed(address indexed operator, address indexed proposed);
    event OperatorChanged(address indexed previous, address indexed operator);
    event Withdrawn(address indexed to, uint16 indexed token, uint256 amount);
    event ExodusActivated(uint64 blockNumber, uint64 oldestUnexecuted);
    event Exited(uint32 indexed account, address owner, uint16 token, uint128 amount);
    /// `amount` is what was credited: the deposit and its fee.
    event DepositRefunded(uint64 indexed serial, address owner, uint16 token, uint256 amount, uint256 fee);
    event FullExitDropped(uint64 indexed serial, uint32 account, address owner, uint256 refund);
    /// A forced transfer or withdrawal no batch executed, dropped in exodus mode (its account
    /// exits with `exit`); its fee is credited back to its owner.
    event ForcedRequestDropped(uint64 indexed serial, uint32 account, address owner, uint256 refund);

    /// A deployment's parameters (a struct: one constructor argument).
    struct Params {
        /// The tree depth in bits (even, 2 to 32).
        uint8 depth;
        /// Slots per batch (at least 7).
        uint32 slots;
        /// How many blocks a priority request may wait, beyond the time full batches need to
        /// execute the requests ahead of it, before anyone may activate exodus mode (at least
        /// 2 × blocksPerBatch).
        uint64 expiryBlocks;
        /// The deployment's capacity: a full batch every this many blocks (at least 1).
        uint64 blocksPerBatch;
        /// See `openDelayBlocks` (at least 1, below expiryBlocks).
        uint64 openDelayBlocks;
        /// The priority fee, wei per slot (below 2^96; see `priorityFee`).
        uint256 priorityFee;
        /// The smallest deposit in wei (1 to 2^128 − 1), the fee not included.
        uint256 minimumDeposit;
        /// The first index no genesis account uses (new accounts start there).
        uint32 firstFreeIndex;
        /// The sum of the genesis balances, in wei: msg.value must be exactly this, so no
        /// genesis balance is money nobody deposited.
        uint256 genesisBalance;
    }

    /// @param vk the batch circuit's verifying key (see Groth16Verifier)
    /// @param exitVk the exit circuit's verifying key (see ExitVerifier)
    /// @param genesisRoot the state root before batch 1
    /// @param p the deployment's parameters
    /// @param genesisAccounts genesis accounts deposits may top up: index, and their
    ///        keccak256(pkX, pkY, owner)
    /// @param genesisKeys see genesisAccounts
    constructor(
        uint256[18] memory vk,
        uint256[26] memory exitVk,
        bytes32 genesisRoot,
        Params memory p,
        uint32[] memory genesisAccounts,
        bytes32[] memory genesisKeys
    ) payable Groth16Verifier(vk) ExitVerifier(exitVk) {
        require(msg.value == p.genesisBalance, "the genesis balances must be backed: send exactly their sum with the deployment");
        require(p.depth >= 2 && p.depth <= 32 && p.depth % 2 == 0, "depth must be even, 2 to 32");
        require(p.slots >= DEPOSIT_CHUNKS, "slots must be at least 7 (a deposit takes 7)");
        require(p.minimumDeposit > 0 && p.minimumDeposit < 2 ** 128, "minimum deposit must be in 1 to 2^128 - 1");
        require(block.chainid < 2 ** 64, "chain id must fit in 64 bits");
        require(genesisAccounts.length == genesisKeys.length, "genesis accounts and keys differ in length");
        require(p.blocksPerBatch > 0, "blocks per batch must be at least 1");
        require(p.expiryBlocks >= 2 * uint256(p.blocksPerBatch), "expiry must be at least two batches' blocks");
        require(p.priorityFee < 2 ** 96, "priority fee too large");
        require(
            p.openDelayBlocks > 0 && p.openDelayBlocks < p.expiryBlocks, "open delay must be at least 1 block and below the expiry"
        );
        firstOperator = msg.sender;
        pubdataBytes = uint256(p.slots) * CHUNK;
        accountCapacity = uint256(1) << p.depth;
        priorityExpiryBlocks = p.expiryBlocks;
        blocksPerBatch = p.blocksPerBatch;
        openDelayBlocks = p.openDelayBlocks;
        priorityFee = p.priorityFee;
        queueSlotsPerBatch = p.slots - (DEPOSIT_CHUNKS - 1);
        minDeposit = p.minimumDeposit;
        genesisFunds = msg.value;
        stateRoot = genesisRoot;
        for (uint256 i = 0; i < genesisAccounts.length; i++) {
            require(genesisAccounts[i] < p.firstFreeIndex, "genesis account pos or past firstFreeIndex");
            accountKeys[genesisAccounts[i]] = genesisKeys[i];
        }
        require(p.firstFreeIndex <= accountCapacity, "firstFreeIndex past the tree");
        nextAccountIndex = p.firstFreeIndex;
    }

    // ---------------------------------------------------------------- priority requests

    /// @notice The fee a deposit pays on top of its amount: seven slots.
    function depositFee() public view returns (uint256) {
        return DEPOSIT_CHUNKS * priorityFee;
    }

    /// @notice The fee a full-exit request pays: three slots.
    function fullExitFee() public view returns (uint256) {
        return FULL_EXIT_CHUNKS * priorityFee;
    }

    /// @notice Deposits msg.value − depositFee() wei into a new account with Baby Jubjub key (pkX, pkY), owned
    /// by msg.sender (the address that may later request its full exit).
    /// @return account the new account's index
    function deposit(uint256 pkX, uint256 pkY) external payable returns (uint32 account) {
        require(!exodusMode, EXODUS_NO_REQUESTS);
        require(validKey(pkX, pkY), "key is not a Baby Jubjub point outside the small-order subgroup");
        require(nextAccountIndex < accountCapacity, "the account tree is full");
        account = nextAccountIndex;
        nextAccountIndex = account + 1;
        accountKeys[account] = keccak256(abi.encode(pkX, pkY, msg.sender, ETHER));
        _queueDeposit(account, msg.sender, pkX, pkY);
    }

    /// @notice Deposits msg.value − depositFee() wei into an existing account; (pkX, pkY, owner) must be the
    /// account's key and owner.
    function depositTo(uint32 account, uint256 pkX, uint256 pkY, address owner) external payable {
        require(!exodusMode, EXODUS_NO_REQUESTS);
        bytes32 key = accountKeys[account];
        require(key != bytes32(0), "unknown account: only accounts created by a deposit or the genesis take deposits");
        require(key == keccak256(abi.encode(pkX, pkY, owner, ETHER)), "key, owner or token does not match the account");
        _queueDeposit(account, owner, pkX, pkY);
    }

    function _queueDeposit(uint32 account, address owner, uint256 pkX, uint256 pkY) private {
        uint256 fee = depositFee();
        require(msg.value >= fee + minDeposit, "deposit below the minimum (the fee, depositFee(), comes on top)");
        require(msg.value - fee < 2 ** 128, "deposit too large");
        uint128 amount = uint128(msg.value - fee);
        bytes memory op = abi.encodePacked(OP_DEPOSIT, account, amount, owner, pkX, pkY, ETHER, bytes5(0));
        (uint64 serial, uint64 deadline) = _queue(op, DEPOSIT_CHUNKS);
        emit DepositRequested(serial, account, owner, ETHER, amount, pkX, pkY, deadline);
    }

    /// @notice Asks for the whole balance of `account` to be paid to msg.sender, its owner (the
    /// address that made its first deposit, or the genesis owner), in `token`, the one it holds.
    /// (pkX, pkY) and `token` are the account's key and token: with msg.sender they must match
    /// what the account was created with, so only the owner can queue an exit. msg.value must be
    /// exactly fullExitFee(). An account has at most one full exit waiting.
    function requestFullExit(uint32 account, uint256 pkX, uint256 pkY, uint16 token) external payable {
        require(!exodusMode, EXODUS_NO_REQUESTS);
        bytes32 key = accountKeys[account];
        require(key != bytes32(0), "unknown account: only accounts created by a deposit or the genesis can exit");
        require(
            key == keccak256(abi.encode(pkX, pkY, msg.sender, token)),
            "only the account's owner may request its exit (with its key and token)"
        );
        require(msg.value == fullExitFee(), "send exactly fullExitFee() with a full-exit request");
        uint64 previous = fullExitSerial[account];
        require(previous == 0 || previous - 1 < priorityHead, "a full exit of this account is already waiting");
        // The amount is the balance when the request is executed: only the first 27 bytes are
        // fixed now.
        bytes memory op = abi.encodePacked(OP_FULL_EXIT, account, msg.sender, token);
        (uint64 serial, uint64 deadline) = _queue(op, FULL_EXIT_CHUNKS);
        fullExitSerial[account] = serial + 1;
        emit FullExitRequested(serial, account, msg.sender, token, deadline);
    }

    /// @notice The fee a forced transfer or withdrawal pays: three slots.
    function forcedFee() public view returns (uint256) {
        return FORCED_CHUNKS * priorityFee;
    }

    /// @notice Queues a transfer of `amount` of `token` from `account` to account `to`, by the
    /// account's owner: (pkX, pkY), msg.sender and `token` must be the key, owner and token the
    /// account was created with.
    /// No signature: this transaction authenticates it. msg.value must be exactly forcedFee().
    /// A batch must execute it in queue order, before its deadline, like any priority request;
    /// it moves the amount if the balance then covers it and account `to` exists and holds
    /// `token`, and is otherwise executed as a recorded no-op.
    function forceTransfer(uint32 account, uint256 pkX, uint256 pkY, uint16 token, uint32 to, uint128 amount)
        external
        payable
    {
        _checkForced(account, pkX, pkY, token, amount);
        require(to < accountCapacity, "no such account: the payee is past the tree");
        bytes memory op = abi.encodePacked(OP_FORCED_TRANSFER, account, msg.sender, amount, to, token);
        (uint64 serial, uint64 deadline) = _queue(op, FORCED_CHUNKS);
        emit ForcedTransferRequested(serial, account, msg.sender, token, to, amount, deadline);
    }

    /// @notice Queues a withdrawal of `amount` wei from `account` to msg.sender, its owner, as
    /// `forceTransfer` does a transfer: executed in queue order, a no-op if the balance does not
    /// cover it. The amount is credited to msg.sender (claimed with `withdraw`).
    function forceWithdraw(uint32 account, uint256 pkX, uint256 pkY, uint16 token, uint128 amount) external payable {
        _checkForced(account, pkX, pkY, token, amount);
        bytes memory op = abi.encodePacked(OP_FORCED_WITHDRAW, account, msg.sender, amount, uint32(0), token);
        (uint64 serial, uint64 deadline) = _queue(op, FORCED_CHUNKS);
        emit ForcedWithdrawRequested(serial, account, msg.sender, token, amount, deadline);
    }

    function _checkForced(uint32 account, uint256 pkX, uint256 pkY, uint16 token, uint128 amount) private view {
        require(!exodusMode, EXODUS_NO_REQUESTS);
        bytes32 key = accountKeys[account];
        require(key != bytes32(0), "unknown account: only accounts created by a deposit or the genesis can pay");
        require(
            key == keccak256(abi.encode(pkX, pkY, msg.sender, token)),
            "only the account's owner may force its transactions (with its key and token)"
        );
        require(msg.value == forcedFee(), "send exactly forcedFee() with a forced request");
        require(amount > 0, "nothing to move: the amount is zero");
    }

    /// Queues a request of `chunks` slots. Its deadline is `priorityExpiryBlocks` after the
    /// block by which full batches every `blocksPerBatch` blocks would have executed it and
    /// every request before it: the queue ahead pushes it back, never a flood into exodus.
    function _queue(bytes memory prefix, uint256 chunks) private returns (uint64 serial, uint64 deadline) {
        serial = priorityTail;
        priorityTail = serial + 1;
        uint256 perBatch = queueSlotsPerBatch;
        uint256 start = queueClearsAtScaled;
        if (start < block.number * perBatch) start = block.number * perBatch;
        uint256 clears = start + chunks * blocksPerBatch;
        queueClearsAtScaled = clears;
        deadline = uint64((clears + perBatch - 1) / perBatch) + priorityExpiryBlocks;
        priorityRequests[serial] = PriorityRequest(bytes20(keccak256(prefix)), deadline);
    }

    // ---------------------------------------------------------------- batches

    /// @notice Accepts batch `header` with `pubdata`, proved by `proof`.
    function submitBatch(bytes calldata header, bytes calldata pubdata, uint256[8] calldata proof) external {
        require(!exodusMode, "exodus mode: no batch is accepted any more");
        require(openMode || msg.sender == operator(), "only the operator submits batches (anyone in open mode)");
        require(header.length == HEADER_BYTES, "bad header length");
        require(pubdata.length == pubdataBytes, "bad pubdata length");
        uint64 number = uint64(bytes8(header[64:72]));
        // A competing submission of the same batch number reverts here, before the proof.
        require(number > batchCount, "stale root: batch already submitted");
        require(number == batchCount + 1, "batch out of order");
        require(bytes32(header[0:32]) == stateRoot, "wrong previous root");
        uint64 priorityStart = uint64(bytes8(header[72:80]));
        uint32 priorityCount = uint32(bytes4(header[80:84]));
        require(priorityStart == priorityHead, "batch does not start at the priority queue's head");
        require(uint256(priorityStart) + priorityCount <= priorityTail, "batch consumes priority requests never made");

        uint256 commitment =
            uint256(sha256(abi.encodePacked(header, uint64(block.chainid), address(this), pubdata))) & ((uint256(1) << 253) - 1);
        require(verifyProof(proof, commitment), "invalid proof");

        uint64 consumed = _execute(pubdata, priorityStart);
        require(consumed == priorityCount, "priority operations do not match the header's count");

        stateRoot = bytes32(header[32:64]);
        batchCount = number;
        priorityHead = priorityStart + consumed;
        _emitSubmitted(number, commitment, header, pubdata);
    }

    function _emitSubmitted(uint64 number, uint256 commitment, bytes calldata header, bytes calldata pubdata) private {
        emit BatchSubmitted(number, msg.sender, bytes32(header[32:64]), commitment, priorityHead, header, pubdata);
    }

    /// Walks the pubdata: checks priority operations against the queue, in order, and credits
    /// withdrawals, and the priority fees of the requests executed to the submitter. Returns how
    /// many priority requests it consumed.
    function _execute(bytes calldata pubdata, uint64 serial) private returns (uint64 consumed) {
        uint256 pos = 0;
        uint256 feeSlots = 0;
        while (pos < pubdata.length) {
            uint8 kind = uint8(pubdata[pos]);
            if (kind == OP_NOOP || kind == OP_TRANSFER) {
                pos += CHUNK;
            } else if (kind == OP_WITHDRAW) {
                // 03 ‖ from u32 ‖ amount float40 ‖ fee float16 ‖ to (20) ‖ token u16 ‖ 14 zero bytes
                require(pos + 3 * CHUNK <= pubdata.length, "bad pubdata length");
                uint256 amount = _float40(uint40(bytes5(pubdata[pos + 5:pos + 10])));
                address to = address(bytes20(pubdata[pos + 12:pos + 32]));
                if (amount > 0) pendingWithdrawals[to][uint16(bytes2(pubdata[pos + 32:pos + 34]))] += amount;
                pos += 3 * CHUNK;
            } else if (kind == OP_FULL_EXIT) {
                // 04 ‖ account u32 ‖ owner (20) ‖ token u16 ‖ amount u128 ‖ 5 zero bytes
                require(pos + 3 * CHUNK <= pubdata.length, "bad pubdata length");
                _consume(serial + consumed, pubdata[pos:pos + FULL_EXIT_PREFIX]);
                consumed++;
                uint256 amount = uint128(bytes16(pubdata[pos + 27:pos + 43]));
                address owner = address(bytes20(pubdata[pos + 5:pos + 25]));
                if (amount > 0) pendingWithdrawals[owner][uint16(bytes2(pubdata[pos + 25:pos + 27]))] += amount;
                feeSlots += FULL_EXIT_CHUNKS;
                pos += 3 * CHUNK;
            } else if (kind == OP_FORCED_TRANSFER || kind == OP_FORCED_WITHDRAW) {
                // 05/06 ‖ account u32 ‖ owner (20) ‖ amount u128 ‖ to u32 ‖ token u16 ‖ executed u8
                require(pos + 3 * CHUNK <= pubdata.length, "bad pubdata length");
                _consume(serial + consumed, pubdata[pos:pos + FORCED_PREFIX]);
                consumed++;
                if (kind == OP_FORCED_WITHDRAW && uint8(pubdata[pos + FORCED_PREFIX]) == 1) {
                    pendingWithdrawals[address(bytes20(pubdata[pos + 5:pos + 25]))][uint16(bytes2(pubdata[pos + 45:pos + 47]))]
                    += uint128(bytes16(pubdata[pos + 25:pos + 41]));
                }
                feeSlots += FORCED_CHUNKS;
                pos += 3 * CHUNK;
            } else if (kind == OP_DEPOSIT) {
                require(pos + 7 * CHUNK <= pubdata.length, "bad pubdata length");
                _consume(serial + consumed, pubdata[pos:pos + 7 * CHUNK]);
                consumed++;
                feeSlots += DEPOSIT_CHUNKS;
                pos += 7 * CHUNK;
            } else {
                revert("unknown operation in pubdata");
            }
        }
        if (feeSlots > 0 && priorityFee > 0) pendingWithdrawals[msg.sender][ETHER] += feeSlots * priorityFee;
    }

    function _consume(uint64 serial, bytes calldata op) private view {
        require(serial < priorityTail, "batch consumes priority requests never made");
        require(priorityRequests[serial].hash == bytes20(keccak256(op)), "priority operations skipped or reordered");
    }

    /// float40: exponent (5 bits) << 35 | mantissa (35 bits), value mantissa · 10^exponent.
    function _float40(uint40 packed) private pure returns (uint256) {
        return uint256(packed & ((uint40(1) << 35) - 1)) * 10 ** uint256(packed >> 35);
    }

    // ---------------------------------------------------------------- open mode and handover

    /// @notice The first block in which `activateOpenMode` succeeds, given the oldest waiting
    /// request (0 when nothing waits).
    function openModeAllowedFrom() public view returns (uint64) {
        if (priorityHead >= priorityTail) return 0;
        return priorityRequests[priorityHead].deadline - priorityExpiryBlocks + openDelayBlocks + 1;
    }

    /// @notice Turns open mode on, for good: from then on `submitBatch` accepts a proved batch
    /// from any address. Anyone may call it once the oldest priority request no accepted batch
    /// has executed has waited `openDelayBlocks` past the time full batches would have
    /// executed it (whether the operator stopped or keeps skipping the queue), well before its
    /// exodus deadline.
    function activateOpenMode() external {
        require(!exodusMode, "exodus mode is active: no batch is accepted any more");
        require(!openMode, "open mode is already on");
        uint64 head = priorityHead;
        require(head < priorityTail, "no priority request is waiting: open mode needs an overdue one");
        require(block.number >= openModeAllowedFrom(), "the oldest waiting priority request has not waited long enough");
        openMode = true;
        emit OpenModeActivated(uint64(block.number), head, msg.sender);
    }

    /// @notice The address that submits batches (until open mode, the only one): the deployer,
    /// until it hands the role on in two steps, `proposeOperator`, then `acceptOperator` from
    /// the new address.
    function operator() public view returns (address) {
        return handedOver ? successor : firstOperator;
    }

    /// @notice The operator names `next` to take over its role (zero cancels); `next` takes it
    /// with `acceptOperator`.
    function proposeOperator(address next) external {
        require(msg.sender == operator(), "only the operator proposes its successor");
        pendingOperator = next;
        emit OperatorProposed(msg.sender, next);
    }

    /// @notice The proposed address takes over as operator.
    function acceptOperator() external {
        require(pendingOperator != address(0) && msg.sender == pendingOperator, "only the proposed operator accepts");
        emit OperatorChanged(operator(), msg.sender);
        successor = msg.sender;
        handedOver = true;
        pendingOperator = address(0);
    }

    // ---------------------------------------------------------------- tokens

    /// @notice Lists the ERC-20 contract `token`, giving it the next token id (1, 2, ...; ether
    /// is token 0). Anyone may list any contract, once, for no fee; at most 65,535 tokens.
    /// Listing says nothing of a token's worth: wallets show each token's address with its
    /// symbol.
    /// @return id the token's id
    function listToken(address token) external returns (uint16 id) {
        require(!exodusMode, "exodus mode: no token is listed any more");
        require(token.code.length > 0, "not a contract: only ERC-20 contracts are listed");
        require(tokenId[token] == 0, "token already listed");
        require(tokenCount < type(uint16).max, "the token registry is full (65,535 tokens)");
        id = tokenCount + 1;
        tokenCount = id;
        tokenAddress[id] = token;
        tokenId[token] = id;
        emit TokenListed(id, token, msg.sender);
    }

    // ---------------------------------------------------------------- withdrawals

    /// @notice Pays `to` everything of `token` (0: ether) that accepted batches, exits and
    /// refunds credited to it. Anyone may call it; the funds only ever go to `to`.
    function withdraw(address payable to, uint16 token) external {
        uint256 amount = pendingWithdrawals[to][token];
        require(amount > 0, "nothing to withdraw");
        pendingWithdrawals[to][token] = 0;
        _pay(to, token, amount);
        emit Withdrawn(to, token, amount);
    }

    /// Sends `amount` of `token` to `to`: ether with a call, a token with `transfer`, accepting
    /// tokens that return nothing (as USDT's does) as well as those that return true.
    function _pay(address to, uint16 token, uint256 amount) private {
        bool ok;
        if (token == ETHER) {
            (ok,) = to.call{value: amount}("");
        } else {
            bytes memory answer;
            (ok, answer) = tokenAddress[token].call(abi.encodeWithSelector(0xa9059cbb, to, amount));
            ok = ok && (answer.length == 0 || (answer.length == 32 && abi.decode(answer, (bool))));
        }
        require(ok, "transfer to the recipient failed");
    }

    // ---------------------------------------------------------------- exodus mode

    /// @notice Turns exodus mode on, for good. Anyone may call it once the oldest priority
    /// request that no accepted batch has executed is past its deadline (block.number >
    /// deadline): the operator has stopped, or censors the queue.
    function activateExodus() external {
        require(!exodusMode, "exodus mode is already active");
        uint64 head = priorityHead;
        require(head < priorityTail, "no priority request is waiting: exodus needs an overdue one");
        require(block.number > priorityRequests[head].deadline, "the oldest waiting priority request is not past its deadline");
        exodusMode = true;
        refundHead = head;
        emit ExodusActivated(uint64(block.number), head);
    }

    /// @notice In exodus mode, credits `account`'s whole balance as of the last accepted state
    /// root, in its token, to its owner (claimed with `withdraw`), once per account. `proof`
    /// proves the exit circuit for (stateRoot, this deployment's domain, account, owner + token ·
    /// 2^160, balance): that the account's leaf in that root holds this owner, token and
    /// balance. Anyone may submit it; the money only goes to the owner.
    function exit(uint32 account, address owner, uint16 token, uint128 balance, uint256[8] calldata proof) external {
        require(exodusMode, "not in exodus mode: exits open once activateExodus() succeeds");
        require(!exited[account], "the account has already exited");
        require(balance > 0, "nothing to exit: the balance is zero");
        uint256 domain = (uint256(block.chainid) << 160) | uint256(uint160(address(this)));
        uint256 ownerToken = (uint256(token) << 160) | uint256(uint160(owner));
        uint256[5] memory input = [uint256(stateRoot), domain, uint256(account), ownerToken, uint256(balance)];
        require(
            verifyExitProof(proof, input), "invalid exit proof: not this account's owner and balance in the last accepted root"
        );
        exited[account] = true;
        pendingWithdrawals[owner][token] += balance;
        emit Exited(account, owner, token, balance);
    }

    /// @notice In exodus mode, refunds queued deposits no accepted batch executed (crediting
    /// each deposit's amount, in its token, and its fee, in ether, to the account owner it names,
    /// claimed with `withdraw`) and
    /// drops queued full-exit, forced transfer and forced withdrawal requests (`exit` covers
    /// them; their fee is credited back to their owner), in queue order from `refundHead`.
    /// `requests` is the queued bytes of one or more consecutive requests, concatenated: a
    /// deposit's 112 bytes, a full exit's 27, a forced request's 47 (docs/protocol.md); each must hash to what the
    /// queue holds at its serial, so each is processed exactly once. Anyone may call it, a page
    /// at a time.
    /// @return processed how many requests this call refunded or dropped
    function refundDeposits(bytes calldata requests) external returns (uint64 processed) {
        require(exodusMode, "not in exodus mode: refunds open once activateExodus() succeeds");
        uint64 serial = refundHead;
        require(serial < priorityTail, "every queued request has already been refunded or dropped");
        uint256 pos = 0;
        while (pos < requests.length) {
            require(serial < priorityTail, "more requests given than the queue holds");
            uint8 kind = uint8(requests[pos]);
            uint256 len = kind == OP_DEPOSIT
                ? DEPOSIT_CHUNKS * CHUNK
                : kind == OP_FULL_EXIT ? FULL_EXIT_PREFIX : (kind == OP_FORCED_TRANSFER || kind == OP_FORCED_WITHDRAW) ? FORCED_PREFIX : 0;
            require(len > 0 && pos + len <= requests.length, "malformed request bytes");
            bytes calldata op = requests[pos:pos + len];
            require(
                priorityRequests[serial].hash == bytes20(keccak256(op)),
                "the bytes are not the queued request at the refund head (already refunded, executed by a batch, or altered)"
            );
            delete priorityRequests[serial];
            if (kind == OP_DEPOSIT) {
                // 01 ‖ account u32 ‖ amount u128 ‖ owner (20) ‖ pkX ‖ pkY ‖ token u16 ‖ 5 zero bytes
                uint256 amount = uint128(bytes16(op[5:21]));
                address owner = address(bytes20(op[21:41]));
                uint16 token = uint16(bytes2(op[105:107]));
                uint256 fee = depositFee();
                pendingWithdrawals[owner][token] += amount;
                if (fee > 0) pendingWithdrawals[owner][ETHER] += fee;
                emit DepositRefunded(serial, owner, token, amount, fee);
            } else if (kind == OP_FULL_EXIT) {
                // 04 ‖ account u32 ‖ owner (20) ‖ token u16
                address owner = address(bytes20(op[5:25]));
                uint256 fee = fullExitFee();
                if (fee > 0) pendingWithdrawals[owner][ETHER] += fee;
                emit FullExitDropped(serial, uint32(bytes4(op[1:5])), owner, fee);
            } else {
                // 05/06 ‖ account u32 ‖ owner (20) ‖ amount u128 ‖ to u32 ‖ token u16
                address owner = address(bytes20(op[5:25]));
                uint256 fee = forcedFee();
                if (fee > 0) pendingWithdrawals[owner][ETHER] += fee;
                emit ForcedRequestDropped(serial, uint32(bytes4(op[1:5])), owner, fee);
            }
            serial++;
            pos += len;
        }
        processed = serial - refundHead;
        require(processed > 0, "no request given");
        refundHead = serial;
    }

    // ---------------------------------------------------------------- helpers

    /// @notice Whether (x, y) may be an account's key: on Baby Jubjub and not one of the eight
    /// points of small order (for which one signature would verify for every message).
    function validKey(uint256 x, uint256 y) public pure returns (bool) {
        return onCurve(x, y) && x != 0 && y != 0 && x != BJJ_ORDER8_X && x != R - BJJ_ORDER8_X;
    }

    /// @notice Whether (x, y) is on Baby Jubjub (circomlib's form); (0, 0), the empty leaf's
    /// key, is not.
    function onCurve(uint256 x, uint256 y) public pure returns (bool) {
        if (x >= R || y >= R) return false;
        uint256 x2 = mulmod(x, x, R);
        uint256 y2 = mulmod(y, y, R);
        uint256 left = addmod(mulmod(BJJ_A, x2, R), y2, R);
        uint256 right = addmod(1, mulmod(BJJ_D, mulmod(x2, y2, R), R), R);
        return left == right;
    }
}
