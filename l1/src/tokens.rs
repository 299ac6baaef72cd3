//! ERC-20 tokens: what the Rollup's registry lists, how a token's symbol and decimals are read,
//! and the test tokens compiled from `contracts/src/TestTokens.sol` (a standard one, a USDT-like
//! one that returns nothing, a fee-on-transfer one and a hostile re-entrant one).

use alloy::{primitives::Address, providers::DynProvider};

/// Generated from the committed artifacts.
#[allow(missing_docs, clippy::too_many_arguments)]
mod bindings {
    alloy::sol!(
        #[sol(rpc)]
        #[derive(Debug)]
        TestToken,
        "../contracts/artifacts/TestToken.json"
    );
    alloy::sol!(
        #[sol(rpc)]
        #[derive(Debug)]
        NoReturnToken,
        "../contracts/artifacts/NoReturnToken.json"
    );
    alloy::sol!(
        #[sol(rpc)]
        #[derive(Debug)]
        FeeOnTransferToken,
        "../contracts/artifacts/FeeOnTransferToken.json"
    );
    alloy::sol!(
        #[sol(rpc)]
        #[derive(Debug)]
        ReentrantToken,
        "../contracts/artifacts/ReentrantToken.json"
    );
    alloy::sol! {
        /// The parts of ERC-20 Causeway reads; `symbol` and `decimals` are optional in the
        /// standard, so a token without them is shown by its address.
        #[sol(rpc)]
        #[derive(Debug)]
        interface IERC20 {
            function symbol() external view returns (string);
            function decimals() external view returns (uint8);
            function balanceOf(address owner) external view returns (uint256);
            function allowance(address owner, address spender) external view returns (uint256);
            function approve(address spender, uint256 amount) external returns (bool);
        }
    }
}
pub use bindings::{FeeOnTransferToken, IERC20, NoReturnToken, ReentrantToken, TestToken};

pub use causeway_protocol::account::ETHER;

/// A listed token as wallets show it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TokenInfo {
    /// Its id in the Rollup's registry (0: ether).
    pub id: u16,
    /// Its ERC-20 contract (zero for ether).
    pub address: Address,
    /// `symbol()`, when the contract answers one as a string of at most 32 bytes.
    pub symbol: Option<String>,
    /// `decimals()`, when the contract answers it.
    pub decimals: Option<u8>,
}

impl TokenInfo {
    /// Ether: token 0, "ETH", 18 decimals.
    pub fn ether() -> Self {
        TokenInfo { id: ETHER, address: Address::ZERO, symbol: Some("ETH".into()), decimals: Some(18) }
    }
}

/// Reads token `id` at `address`: its symbol and decimals where it has them. A contract that
/// reverts, answers garbage or a symbol longer than 32 bytes gets `None` for that field: a
/// hostile token cannot make the reader fail or show a misleading long name.
pub async fn token_info(provider: &DynProvider, id: u16, address: Address) -> TokenInfo {
    let token = IERC20::new(address, provider.clone());
    let symbol = token
        .symbol()
        .call()
        .await
        .ok()
        .filter(|s| !s.is_empty() && s.len() <= 32 && s.chars().all(|c| !c.is_control()));
    let decimals = token.decimals().call().await.ok();
    TokenInfo { id, address, symbol, decimals }
}

/// Every listed token, ether first, as the Rollup at `rollup` lists them in `block` (latest
/// when `None`).
pub async fn listed(
    provider: &DynProvider,
    rollup: Address,
    block: Option<u64>,
) -> Result<Vec<TokenInfo>, crate::L1Error> {
    let mut out = vec![TokenInfo::ether()];
    out.extend(listed_from(provider, rollup, 1, block).await?);
    Ok(out)
}

/// Listed tokens from id `first` on (1 or more), as in [`listed`].
pub async fn listed_from(
    provider: &DynProvider,
    rollup: Address,
    first: u16,
    block: Option<u64>,
) -> Result<Vec<TokenInfo>, crate::L1Error> {
    let c = crate::rollup(provider, rollup);
    let at = block.map_or(alloy::eips::BlockId::latest(), alloy::eips::BlockId::number);
    let count = c.tokenCount().block(at).call().await.map_err(crate::L1Error::from)?;
    let mut out = Vec::new();
    for id in u32::from(first.max(1))..=u32::from(count) {
        let id = id as u16;
        let address = c.tokenAddress(id).block(at).call().await.map_err(crate::L1Error::from)?;
        out.push(token_info(provider, id, address).await);
    }
    Ok(out)
}
