// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

import {Groth16} from "./Groth16.sol";

/// @title Groth16 verification of the exit circuit (five public inputs) over BN254.
/// @notice The exit circuit's verifying key is fixed at deployment in immutables, like the
/// batch circuit's. Its encoding is the exit keys' `vk.eth.hex`: alpha (G1) ‖ beta, gamma, delta
/// (G2) ‖ IC0 ‖ … ‖ IC5 (G1), 26 words. The public inputs, in order: state root, domain
/// (chain id · 2^160 + Rollup address), account index, owner address, balance.
abstract contract ExitVerifier {
    uint256 private immutable EXIT_ALPHA_X;
    uint256 private immutable EXIT_ALPHA_Y;
    uint256 private immutable EXIT_BETA_X1;
    uint256 private immutable EXIT_BETA_X0;
    uint256 private immutable EXIT_BETA_Y1;
    uint256 private immutable EXIT_BETA_Y0;
    uint256 private immutable EXIT_GAMMA_X1;
    uint256 private immutable EXIT_GAMMA_X0;
    uint256 private immutable EXIT_GAMMA_Y1;
    uint256 private immutable EXIT_GAMMA_Y0;
    uint256 private immutable EXIT_DELTA_X1;
    uint256 private immutable EXIT_DELTA_X0;
    uint256 private immutable EXIT_DELTA_Y1;
    uint256 private immutable EXIT_DELTA_Y0;
    uint256 private immutable EXIT_IC0_X;
    uint256 private immutable EXIT_IC0_Y;
    uint256 private immutable EXIT_IC1_X;
    uint256 private immutable EXIT_IC1_Y;
    uint256 private immutable EXIT_IC2_X;
    uint256 private immutable EXIT_IC2_Y;
    uint256 private immutable EXIT_IC3_X;
    uint256 private immutable EXIT_IC3_Y;
    uint256 private immutable EXIT_IC4_X;
    uint256 private immutable EXIT_IC4_Y;
    uint256 private immutable EXIT_IC5_X;
    uint256 private immutable EXIT_IC5_Y;

    constructor(uint256[26] memory vk) {
        for (uint256 i = 0; i < 26; i++) {
            require(vk[i] < Groth16.P, "exit verifying key: coordinate not below the field modulus");
        }
        (EXIT_ALPHA_X, EXIT_ALPHA_Y) = (vk[0], vk[1]);
        (EXIT_BETA_X1, EXIT_BETA_X0, EXIT_BETA_Y1, EXIT_BETA_Y0) = (vk[2], vk[3], vk[4], vk[5]);
        (EXIT_GAMMA_X1, EXIT_GAMMA_X0, EXIT_GAMMA_Y1, EXIT_GAMMA_Y0) = (vk[6], vk[7], vk[8], vk[9]);
        (EXIT_DELTA_X1, EXIT_DELTA_X0, EXIT_DELTA_Y1, EXIT_DELTA_Y0) = (vk[10], vk[11], vk[12], vk[13]);
        (EXIT_IC0_X, EXIT_IC0_Y, EXIT_IC1_X, EXIT_IC1_Y) = (vk[14], vk[15], vk[16], vk[17]);
        (EXIT_IC2_X, EXIT_IC2_Y, EXIT_IC3_X, EXIT_IC3_Y) = (vk[18], vk[19], vk[20], vk[21]);
        (EXIT_IC4_X, EXIT_IC4_Y, EXIT_IC5_X, EXIT_IC5_Y) = (vk[22], vk[23], vk[24], vk[25]);
    }

    /// @notice The exit circuit's verifying key as it was given at deployment.
    function exitVerifyingKey() external view returns (uint256[26] memory vk) {
        vk = [
            EXIT_ALPHA_X, EXIT_ALPHA_Y, EXIT_BETA_X1, EXIT_BETA_X0, EXIT_BETA_Y1, EXIT_BETA_Y0,
            EXIT_GAMMA_X1, EXIT_GAMMA_X0, EXIT_GAMMA_Y1, EXIT_GAMMA_Y0, EXIT_DELTA_X1, EXIT_DELTA_X0,
            EXIT_DELTA_Y1, EXIT_DELTA_Y0, EXIT_IC0_X, EXIT_IC0_Y, EXIT_IC1_X, EXIT_IC1_Y, EXIT_IC2_X,
            EXIT_IC2_Y, EXIT_IC3_X, EXIT_IC3_Y, EXIT_IC4_X, EXIT_IC4_Y, EXIT_IC5_X, EXIT_IC5_Y
        ];
    }

    /// @notice Whether `proof` proves the exit circuit for public inputs `input` (root, domain,
    /// account, owner, balance). Reverts ("invalid proof: ...") when a precompile fails.
    function verifyExitProof(uint256[8] calldata proof, uint256[5] memory input) public view returns (bool) {
        for (uint256 i = 0; i < 5; i++) {
            if (input[i] >= Groth16.R) return false;
        }
        if (!Groth16.proofInField(proof)) return false;
        uint256[2] memory vkx = [EXIT_IC0_X, EXIT_IC0_Y];
        vkx = Groth16.mulAdd(vkx, EXIT_IC1_X, EXIT_IC1_Y, input[0]);
        vkx = Groth16.mulAdd(vkx, EXIT_IC2_X, EXIT_IC2_Y, input[1]);
        vkx = Groth16.mulAdd(vkx, EXIT_IC3_X, EXIT_IC3_Y, input[2]);
        vkx = Groth16.mulAdd(vkx, EXIT_IC4_X, EXIT_IC4_Y, input[3]);
        vkx = Groth16.mulAdd(vkx, EXIT_IC5_X, EXIT_IC5_Y, input[4]);
        uint256[14] memory key = [
            EXIT_ALPHA_X, EXIT_ALPHA_Y, EXIT_BETA_X1, EXIT_BETA_X0, EXIT_BETA_Y1, EXIT_BETA_Y0,
            EXIT_GAMMA_X1, EXIT_GAMMA_X0, EXIT_GAMMA_Y1, EXIT_GAMMA_Y0, EXIT_DELTA_X1, EXIT_DELTA_X0,
            EXIT_DELTA_Y1, EXIT_DELTA_Y0
        ];
        return Groth16.pairingHolds(proof, key, vkx);
    }
}
