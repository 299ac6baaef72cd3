//! A sample batch with every operation type over a generated genesis, for `prove-sample`,
//! benchmarks and tests.

use causeway_circuits::CircuitParams;
use causeway_protocol::{
    Account, BatchTransition, Deposit, Domain, Forced, FullExit, Operation, PrivateKey, ProtocolError, State, Transfer,
    Withdraw,
};

/// Slots the sample needs: deposit 7 + transfer 1 + withdraw 3 + full exit 3.
pub const SAMPLE_MIN_SLOTS: usize = 14;
/// Slots the every-type sample needs: [`SAMPLE_MIN_SLOTS`] + forced transfer 3 + forced
/// withdrawal 3 (a smaller batch leaves the forced requests out).
pub const SAMPLE_ALL_TYPES_SLOTS: usize = SAMPLE_MIN_SLOTS + 6;

/// The deterministic key of sample account `i`.
pub fn sample_key(i: u32) -> PrivateKey {
    let mut k = [0u8; 32];
    k[..4].copy_from_slice(&i.to_be_bytes());
    k[31] = 0xca;
    PrivateKey(k)
}

/// Genesis: accounts 0 (operator) to `accounts - 1`, each holding 10^21 wei, for the deployment
/// `domain`.
pub fn sample_genesis(depth: u32, accounts: u32, domain: Domain) -> Result<State, ProtocolError> {
    let mut s = State::new(depth, domain)?;
    for i in 0..accounts {
        let owner = [(i % 251) as u8 + 1; 20];
        s.insert(
            i,
            Account { pubkey: sample_key(i).public_key(), balance: 10u128.pow(21), nonce: 0, owner, token: 0 },
        )?;
    }
    Ok(s)
}

/// A full batch for `domain`: one deposit, withdrawal and full exit, a forced transfer and a
/// forced withdrawal when there are [`SAMPLE_ALL_TYPES_SLOTS`] slots, then transfers in every
/// other slot.
pub fn sample_batch(params: CircuitParams, domain: Domain) -> Result<BatchTransition, ProtocolError> {
    if params.slots < SAMPLE_MIN_SLOTS {
        return Err(ProtocolError::BatchFull { needed: SAMPLE_MIN_SLOTS, slots: params.slots });
    }
    let mut s = sample_genesis(params.depth, 4, domain)?;
    let new_account = 4;
    let mut ops = vec![
        Operation::Deposit(Deposit {
            account: new_account,
            pubkey: sample_key(new_account).public_key(),
            owner: [0x44; 20],
            token: 0,
            amount: 10u128.pow(18),
        }),
        Operation::Withdraw(Withdraw::signed(
            &sample_key(2),
            &domain,
            2,
            [0xee; 20],
            5 * 10u128.pow(17),
            10u128.pow(12),
            0,
        )),
        Operation::FullExit(FullExit { account: 3, owner: [4; 20], token: 0 }),
    ];
    if params.slots >= SAMPLE_ALL_TYPES_SLOTS {
        ops.push(Operation::Forced(Forced {
            account: 2,
            owner: [3; 20],
            to: Some(1),
            token: 0,
            amount: 10u128.pow(17),
        }));
        ops.push(Operation::Forced(Forced { account: 2, owner: [3; 20], to: None, token: 0, amount: 10u128.pow(17) }));
    }
    let mut nonce = 0;
    while ops.iter().map(Operation::slots).sum::<usize>() < params.slots {
        ops.push(Operation::Transfer(Transfer::signed(
            &sample_key(1),
            &domain,
            1,
            2,
            10u128.pow(15),
            10u128.pow(10),
            nonce,
        )));
        nonce += 1;
    }
    s.apply_batch(1, 0, params.slots, 0, &ops)
}

/// The genesis file of [`sample_genesis`] (development only: sample keys are public).
pub fn sample_genesis_file(depth: u32, accounts: u32) -> Result<causeway_protocol::wire::Genesis, ProtocolError> {
    use causeway_protocol::wire::{Amount, Genesis, GenesisAccount, HexAddress, PackedKey};
    let state = sample_genesis(depth, accounts, Domain::default())?;
    let mut list: Vec<GenesisAccount> = state
        .accounts()
        .map(|(index, a)| GenesisAccount {
            index,
            public_key: PackedKey(a.pubkey),
            balance: Amount(a.balance),
            owner: HexAddress(a.owner),
        })
        .collect();
    list.sort_by_key(|a| a.index);
    Ok(Genesis { depth, fee_account: 0, accounts: list })
}
