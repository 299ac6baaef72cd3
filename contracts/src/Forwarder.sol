// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

/// @title A forwarding account, for tests only: it deploys a contract (becoming, for a Rollup,
/// its operator) and relays calls to it, the way a smart-contract wallet, a multisig or a
/// delegated (EIP-7702) account would. The Rollup's `submitBatch` then arrives as an internal
/// call whose transaction input is `forward(...)`, not `submitBatch(...)`: the replay must not
/// depend on decoding it.
contract Forwarder {
    address public immutable owner;

    constructor() {
        owner = msg.sender;
    }

    /// @notice Deploys `initcode` (with `msg.value`) from this contract.
    function deployContract(bytes calldata initcode) external payable returns (address created) {
        require(msg.sender == owner, "only the owner");
        bytes memory code = initcode;
        assembly {
            created := create(callvalue(), add(code, 32), mload(code))
        }
        require(created != address(0), "deployment failed");
    }

    /// @notice Calls `target` with `data` (and `msg.value`), passing its revert on.
    function forward(address target, bytes calldata data) external payable returns (bytes memory) {
        require(msg.sender == owner, "only the owner");
        (bool ok, bytes memory ret) = target.call{value: msg.value}(data);
        if (!ok) {
            assembly {
                revert(add(ret, 32), mload(ret))
            }
        }
        return ret;
    }
}
