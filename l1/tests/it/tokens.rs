//! The token registry: anyone lists an ERC-20 contract once and it gets the next id (ether is
//! token 0); an address without code, a second listing and a listing past 65,535 tokens are
//! refused; each token's symbol and decimals are read from its contract, and a contract that
//! has none (or a hostile one) is shown by its address.

use super::{deploy_unproved, expect_revert, genesis};
use alloy::primitives::{Address, B256, U256};
use alloy::providers::Provider;
use causeway_l1::{
    DEV_USER_KEYS, L1Error, Rollup, address_of, rollup, send_and_wait,
    tokens::{self, FeeOnTransferToken, NoReturnToken, ReentrantToken, TestToken, TokenInfo},
    wallet_provider,
};
use causeway_protocol::Domain;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn anyone_lists_a_token_once_and_its_symbol_and_decimals_are_read_from_it() {
    let chain = deploy_unproved(&genesis(Domain::default())).await;
    let provider = |i: usize| wallet_provider(&chain.url, DEV_USER_KEYS[i]).expect("provider");
    let (alice, bob) = (rollup(&provider(0), chain.address), rollup(&provider(1), chain.address));

    let usd = *TestToken::deploy(provider(0), "Test Dollar".into(), "TUSD".into(), 6).await.expect("token").address();
    let usdt =
        *NoReturnToken::deploy(provider(0), "No Return".into(), "USDT".into(), 6).await.expect("token").address();
    let fot = *FeeOnTransferToken::deploy(provider(0), "Fee On Transfer".into(), "FOT".into(), 18, U256::from(100))
        .await
        .expect("token")
        .address();
    let evil = ReentrantToken::deploy(provider(1), "Evil".into(), "EVIL".into(), 18).await.expect("token");

    // Nothing listed yet: ether alone.
    assert_eq!(chain.rollup.tokenCount().call().await.expect("count"), 0);
    let all = tokens::listed(chain.rollup.provider(), chain.address, None).await.expect("listed");
    assert_eq!(all, vec![TokenInfo::ether()]);

    // Ids in listing order, whoever lists; the event names the token and who listed it.
    let receipt = send_and_wait(alice.listToken(usd)).await.expect("list TUSD");
    let listed = receipt.inner.logs().iter().find_map(|l| l.log_decode::<Rollup::TokenListed>().ok());
    let listed = listed.expect("TokenListed").inner.data;
    assert_eq!((listed.id, listed.token, listed.by), (1, usd, address_of(DEV_USER_KEYS[0]).expect("address")));
    send_and_wait(bob.listToken(usdt)).await.expect("list USDT");
    send_and_wait(bob.listToken(fot)).await.expect("list FOT");
    assert_eq!(chain.rollup.tokenCount().call().await.expect("count"), 3);
    assert_eq!(chain.rollup.tokenAddress(2).call().await.expect("address"), usdt);
    assert_eq!(chain.rollup.tokenId(fot).call().await.expect("id"), 3);
    assert_eq!(chain.rollup.tokenId(*evil.address()).call().await.expect("id"), 0, "not listed");

    // Refused: a second listing, an address with no code, ether's zero address.
    expect_revert(bob.listToken(usd).send().await.map_err(L1Error::from), "token already listed").await;
    let eoa = address_of(DEV_USER_KEYS[2]).expect("address");
    expect_revert(alice.listToken(eoa).send().await.map_err(L1Error::from), "not a contract").await;
    expect_revert(alice.listToken(Address::ZERO).send().await.map_err(L1Error::from), "not a contract").await;
    assert_eq!(chain.rollup.tokenCount().call().await.expect("count"), 3, "refusals list nothing");

    // Symbols and decimals come from the tokens. A contract without them (the Rollup itself)
    // may be listed, and is shown by its address alone; so is a token whose symbol is too long
    // to be a symbol.
    send_and_wait(alice.listToken(chain.address)).await.expect("list a contract that is no token");
    let all = tokens::listed(chain.rollup.provider(), chain.address, None).await.expect("listed");
    let shown: Vec<(u16, Address, Option<&str>, Option<u8>)> =
        all.iter().map(|t| (t.id, t.address, t.symbol.as_deref(), t.decimals)).collect();
    assert_eq!(
        shown,
        vec![
            (0, Address::ZERO, Some("ETH"), Some(18)),
            (1, usd, Some("TUSD"), Some(6)),
            (2, usdt, Some("USDT"), Some(6)),
            (3, fot, Some("FOT"), Some(18)),
            (4, chain.address, None, None),
        ]
    );
    // Only what was listed by a given block counts at that block.
    let block = receipt.block_number.expect("block");
    let then = tokens::listed(chain.rollup.provider(), chain.address, Some(block)).await.expect("listed");
    assert_eq!(then.iter().map(|t| t.id).collect::<Vec<_>>(), vec![0, 1]);
    let long = "L".repeat(33);
    let long_token = *TestToken::deploy(provider(2), "Long".into(), long, 18).await.expect("token").address();
    send_and_wait(bob.listToken(long_token)).await.expect("list");
    let shown = tokens::token_info(chain.rollup.provider(), 5, long_token).await;
    assert_eq!((shown.symbol, shown.decimals), (None, Some(18)));

    // The registry is bounded: with 65,535 tokens listed (set in storage, where tokenCount
    // shares a slot with pendingOperator, above its 160 bits), the next listing is refused.
    let slot = find_slot(&chain, U256::from(5) << 160).await;
    let full = B256::from(U256::from(u16::MAX) << 160);
    let _: serde_json::Value = chain
        .rollup
        .provider()
        .raw_request("anvil_setStorageAt".into(), (chain.address, B256::from(slot), full))
        .await
        .expect("set storage");
    assert_eq!(chain.rollup.tokenCount().call().await.expect("count"), u16::MAX);
    expect_revert(bob.listToken(*evil.address()).send().await.map_err(L1Error::from), "the token registry is full")
        .await;
}

/// The storage slot (among the first 64) that holds `value`.
async fn find_slot(chain: &super::Chain, value: U256) -> U256 {
    for i in 0..64u64 {
        let v = chain.rollup.provider().get_storage_at(chain.address, U256::from(i)).await.expect("storage");
        if v == value {
            return U256::from(i);
        }
    }
    panic!("no slot holds {value}");
}
