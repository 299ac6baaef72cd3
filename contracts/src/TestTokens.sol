// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

/// @title ERC-20 tokens for tests and the devnet only: anyone may mint any amount.
/// @notice The shapes the Rollup must handle: a standard token (`TestToken`), one whose
/// `transfer` and `transferFrom` return nothing as USDT's do (`NoReturnToken`), one that keeps
/// a fee out of every transfer so that less arrives than was sent (`FeeOnTransferToken`), and a
/// hostile one that calls back into a contract of its choice while it moves tokens
/// (`ReentrantToken`).
abstract contract TokenBase {
    string public name;
    string public symbol;
    uint8 public immutable decimals;
    uint256 public totalSupply;
    mapping(address => uint256) public balanceOf;
    mapping(address => mapping(address => uint256)) public allowance;

    event Transfer(address indexed from, address indexed to, uint256 value);
    event Approval(address indexed owner, address indexed spender, uint256 value);

    constructor(string memory name_, string memory symbol_, uint8 decimals_) {
        name = name_;
        symbol = symbol_;
        decimals = decimals_;
    }

    /// @notice Creates `amount` tokens for `to` (anyone may: test tokens are worthless).
    function mint(address to, uint256 amount) external {
        totalSupply += amount;
        balanceOf[to] += amount;
        emit Transfer(address(0), to, amount);
    }

    function approve(address spender, uint256 amount) external returns (bool) {
        allowance[msg.sender][spender] = amount;
        emit Approval(msg.sender, spender, amount);
        return true;
    }

    function _spend(address from, uint256 amount) internal {
        uint256 allowed = allowance[from][msg.sender];
        require(allowed >= amount, "ERC20: insufficient allowance");
        if (allowed != type(uint256).max) allowance[from][msg.sender] = allowed - amount;
    }

    /// Moves `amount` out of `from`; what reaches `to` may be less (see FeeOnTransferToken).
    function _move(address from, address to, uint256 amount) internal virtual {
        require(balanceOf[from] >= amount, "ERC20: transfer amount exceeds balance");
        balanceOf[from] -= amount;
        balanceOf[to] += amount;
        emit Transfer(from, to, amount);
    }
}

/// A standard ERC-20: `transfer` and `transferFrom` return true.
contract TestToken is TokenBase {
    constructor(string memory name_, string memory symbol_, uint8 decimals_) TokenBase(name_, symbol_, decimals_) {}

    function transfer(address to, uint256 amount) external virtual returns (bool) {
        _move(msg.sender, to, amount);
        return true;
    }

    function transferFrom(address from, address to, uint256 amount) external virtual returns (bool) {
        _spend(from, amount);
        _move(from, to, amount);
        return true;
    }
}

/// USDT's shape: `transfer` and `transferFrom` return no value at all (a caller that decodes
/// a boolean reverts), and revert on failure.
contract NoReturnToken is TokenBase {
    constructor(string memory name_, string memory symbol_, uint8 decimals_) TokenBase(name_, symbol_, decimals_) {}

    function transfer(address to, uint256 amount) external {
        _move(msg.sender, to, amount);
    }

    function transferFrom(address from, address to, uint256 amount) external {
        _spend(from, amount);
        _move(from, to, amount);
    }
}

/// Keeps `feeBps` basis points of every transfer (burnt): the recipient gets less than was sent.
contract FeeOnTransferToken is TestToken {
    uint256 public immutable feeBps;

    constructor(string memory name_, string memory symbol_, uint8 decimals_, uint256 feeBps_)
        TestToken(name_, symbol_, decimals_)
    {
        require(feeBps_ <= 10_000, "fee above 100%");
        feeBps = feeBps_;
    }

    function _move(address from, address to, uint256 amount) internal override {
        require(balanceOf[from] >= amount, "ERC20: transfer amount exceeds balance");
        uint256 fee = amount * feeBps / 10_000;
        balanceOf[from] -= amount;
        balanceOf[to] += amount - fee;
        totalSupply -= fee;
        emit Transfer(from, to, amount - fee);
        emit Transfer(from, address(0), fee);
    }
}

/// A hostile token: once armed, its next `transfer` or `transferFrom` first calls `target` with
/// `data` (as the token contract), then moves the tokens. Whether that call succeeded, and what
/// it returned or reverted with, are recorded for the test to read.
contract ReentrantToken is TestToken {
    address public target;
    bytes public data;
    bool public armed;
    bool public reentered;
    bool public reentrySucceeded;
    bytes public reentryResult;

    constructor(string memory name_, string memory symbol_, uint8 decimals_) TestToken(name_, symbol_, decimals_) {}

    /// @notice The next transfer calls `target_` with `data_` before it moves anything.
    function arm(address target_, bytes calldata data_) external {
        target = target_;
        data = data_;
        armed = true;
    }

    function _move(address from, address to, uint256 amount) internal override {
        if (armed) {
            armed = false;
            reentered = true;
            (reentrySucceeded, reentryResult) = target.call(data);
        }
        super._move(from, to, amount);
    }
}
