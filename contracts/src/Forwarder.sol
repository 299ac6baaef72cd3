// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

/// @title A forwarding account, for tests only: it deploys a contract (becoming, for a Rollup,
/// its operator) and relays calls to it, the way a smart-contract wallet, a multisig or a
/// delegated (EIP-7702) account would. The Rollup's `submitBatch` then arrives as an internal
/// call whose transaction input is `forward(...)`, not `submitBatch(...)`: the replay must not
/// depend on decoding it. `forwardAll` makes many calls in one transaction (one block): a flood
/// of requests faster than blocks come.
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

    /// @notice Calls `target` with each of `data` and the matching `values` (which must sum to
    /// `msg.value`), in order, passing the first revert on.
    function forwardAll(address target, bytes[] calldata data, uint256[] calldata values) external payable {
        require(msg.sender == owner, "only the owner");
        require(data.length == values.length, "as many values as calls");
        uint256 total = 0;
        for (uint256 i = 0; i < data.length; i++) {
            total += values[i];
            (bool ok, bytes memory ret) = target.call{value: values[i]}(data[i]);
            if (!ok) {
                assembly {
                    revert(add(ret, 32), mload(ret))
                }
            }
        }
        require(total == msg.value, "values must sum to msg.value");
    }
}
