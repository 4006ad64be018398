# pragma version ~=0.4.3
"""
@title Marketplace
@notice Licences for registered assets, sold in ETH or an allowed ERC-20, with
        revenue that flows to the asset's co-authors and up its provenance.
        For every sale: a protocol fee (basis points, at most MAX_FEE_BPS) to
        the treasury; the rest accrues to the asset's pending pool. Anyone may
        `distribute` a pool: each parent's upstream share (as committed in
        the registry) moves into the parent's own pool, and the remainder is credited to the
        asset's split (recipients and weights summing to MAX_BPS, set by the
        asset owner; 100 % to the current owner when none is set). Payees pull
        their balances with `withdraw`; nothing is pushed inside a sale.
@dev Accounting that scales. A sale writes O(1) storage whatever the number
     of recipients or ancestors: the licence, the asset's pool and the
     treasury's balance. A distribution touches one asset, at most
     MAX_PARENTS parents and MAX_RECIPIENTS recipients; royalties climb the
     provenance graph one level per `distribute`, so no transaction ever walks
     the graph and there is no depth limit to hit (cidhub's distribute script
     walks it for you, level by level).
     Splits follow 0xSplits: only a hash of (recipients, weights) is read when
     distributing and the lists travel in calldata (~6k gas per recipient);
     they are also stored for `split_of`. Parents travel the same way: the
     caller passes the asset's parents and shares (from its
     ProvenanceRecorded event) and the registry's `verify_parents` checks
     them against its provenance commitment. Like a mutable 0xSplits split,
     revenue is shared by the split in force when it is distributed, so
     co-authors either trust the owner or ask for `lock_split`.
     Secondary sales of the asset NFT itself pay their ERC-2981 royalty to a
     per-asset address (see modules/royalty_receiver.vy and the registry's
     `royaltyInfo`); `sweep_royalties` moves what arrived there into the
     asset's pending pool, from where it is distributed like licence revenue.
     Rounding: every division rounds down; the remainder of a split (at most
     one wei per recipient) goes to the split's first recipient, or to the
     owner for the default split. No wei is created or lost: for every token,
     the contract's balance equals the sum of pools and balances.
@custom:security Checks-effects-interactions and a global `@nonreentrant`
                 lock on every function that moves value. ERC-20 payments are
                 checked by balance delta, so fee-on-transfer and rebasing
                 tokens are refused. A reverting or gas-burning payee can only
                 fail its own withdrawal. Roles (FEE_MANAGER, TOKEN_MANAGER,
                 DEFAULT_ADMIN) are meant for the DAO's timelock.
"""

from ethereum.ercs import IERC20

from snekmate.auth.interfaces import IAccessControl
implements: IAccessControl

from snekmate.auth import access_control
initializes: access_control

from .interfaces import IAssetRegistry
from .modules import royalty_receiver

exports: (
    access_control.DEFAULT_ADMIN_ROLE,
    access_control.hasRole,
    access_control.getRoleAdmin,
    access_control.grantRole,
    access_control.revokeRole,
    access_control.renounceRole,
    access_control.set_role_admin,
    access_control.supportsInterface,
)


FEE_MANAGER_ROLE: public(constant(bytes32)) = keccak256("FEE_MANAGER_ROLE")
TOKEN_MANAGER_ROLE: public(constant(bytes32)) = keccak256("TOKEN_MANAGER_ROLE")

MAX_BPS: public(constant(uint256)) = 10_000
MAX_FEE_BPS: public(constant(uint256)) = 1_000
MAX_RECIPIENTS: public(constant(uint256)) = 64
MAX_PARENTS: constant(uint256) = 16
# One more than allowed, so that the first excess element gets a reason.
_RECIPIENTS_ARG_BOUND: constant(uint256) = MAX_RECIPIENTS + 1
PERPETUAL: public(constant(uint256)) = max_value(uint256)
ETH: public(constant(address)) = empty(address)

# Offer word 1: token (160) | duration seconds (64) | active flag (bit 224)
_DURATION_SHIFT: constant(uint256) = 160
_ACTIVE: constant(uint256) = 1 << 224
# Offer word 2: price (128) | max licences (32) | sold (32) | starts_at (32) | ends_at (32)
_MAX_SHIFT: constant(uint256) = 128
_SOLD_SHIFT: constant(uint256) = 160
_STARTS_SHIFT: constant(uint256) = 192
_ENDS_SHIFT: constant(uint256) = 224
_U32: constant(uint256) = (1 << 32) - 1
_U64: constant(uint256) = (1 << 64) - 1
_U128: constant(uint256) = (1 << 128) - 1
_ADDRESS_MASK: constant(uint256) = (1 << 160) - 1
# Fee config word: treasury (160) | fee bps (16)
_FEE_SHIFT: constant(uint256) = 160


struct Offer:
    asset_id: uint256
    token: address
    price: uint256
    duration: uint256
    max_licences: uint256
    sold: uint256
    starts_at: uint256
    ends_at: uint256
    active: bool


event OfferCreated:
    offer_id: indexed(uint256)
    asset_id: indexed(uint256)
    token: indexed(address)
    price: uint256
    duration: uint256
    max_licences: uint256
    starts_at: uint256
    ends_at: uint256


event OfferUpdated:
    offer_id: indexed(uint256)
    price: uint256
    max_licences: uint256
    starts_at: uint256
    ends_at: uint256


event OfferCancelled:
    offer_id: indexed(uint256)


event LicencePurchased:
    offer_id: indexed(uint256)
    asset_id: indexed(uint256)
    licensee: indexed(address)
    buyer: address
    token: address
    price: uint256
    fee: uint256
    expires_at: uint256


event SplitUpdated:
    asset_id: indexed(uint256)
    recipients: DynArray[address, MAX_RECIPIENTS]
    weights_bps: DynArray[uint16, MAX_RECIPIENTS]


event SplitLocked:
    asset_id: indexed(uint256)


event RevenueDistributed:
    asset_id: indexed(uint256)
    token: indexed(address)
    amount: uint256
    upstream: uint256


event Withdrawn:
    account: indexed(address)
    token: indexed(address)
    amount: uint256
    caller: address


event RoyaltiesSwept:
    asset_id: indexed(uint256)
    token: indexed(address)
    amount: uint256
    caller: address


event FeeChanged:
    fee_bps: uint256
    treasury: indexed(address)


event TokenAllowed:
    token: indexed(address)
    allowed: bool


registry: public(immutable(IAssetRegistry))

offer_count: public(uint256)
_offer_asset: HashMap[uint256, uint256]
_offer_terms: HashMap[uint256, uint256]
_offer_price: HashMap[uint256, uint256]

# licence expiry by asset and licensee: 0 none, PERPETUAL for ever
licence_of: public(HashMap[uint256, HashMap[address, uint256]])
# undistributed revenue by asset and token
pending: public(HashMap[uint256, HashMap[address, uint256]])
# withdrawable balances by account and token
balance_of: public(HashMap[address, HashMap[address, uint256]])

_fee_config: uint256
token_allowed: public(HashMap[address, bool])

# the royalty receiver being swept: the one account whose ether `__default__` takes
_sweep_source: transient(address)

_split_hash: HashMap[uint256, bytes32]
_split_entries: HashMap[uint256, HashMap[uint256, uint256]]
_split_length: HashMap[uint256, uint256]
split_locked: public(HashMap[uint256, bool])


@deploy
def __init__(registry_: IAssetRegistry, treasury_: address, fee_bps_: uint256):
    """
    @param registry_ The AssetRegistry whose assets are sold.
    @param treasury_ Receives the protocol fee.
    @param fee_bps_ Protocol fee in basis points, at most MAX_FEE_BPS.
    @dev The deployer gets DEFAULT_ADMIN_ROLE only; the deploy script grants
         the working roles and hands the admin role to the DAO.
    """
    access_control.__init__()
    registry = registry_
    self._set_fee(fee_bps_, treasury_)


# ---------------------------------------------------------------- offers


@internal
@view
def _owner_of(asset_id: uint256) -> address:
    # ownerOf reverts for an unknown asset; call it without bubbling that up, so
    # the caller is told what is wrong in the marketplace's own words.
    success: bool = False
    response: Bytes[32] = b""
    success, response = raw_call(
        registry.address,
        abi_encode(asset_id, method_id=method_id("ownerOf(uint256)")),
        max_outsize=32,
        is_static_call=True,
        revert_on_failure=False,
    )
    assert success and len(response) == 32, "market: unknown asset"
    return abi_decode(response, address)


@internal
@view
def _require_owner(asset_id: uint256):
    assert self._owner_of(asset_id) == msg.sender, "market: caller is not the asset owner"


@internal
@view
def _check_window(price: uint256, starts_at: uint256, ends_at: uint256):
    assert price <= _U128, "market: price too large"
    assert starts_at <= _U32 and ends_at <= _U32, "market: time out of range"
    assert ends_at == 0 or ends_at > max(starts_at, block.timestamp), "market: bad time window"


@external
def create_offer(
    asset_id: uint256,
    token: address,
    price: uint256,
    duration: uint256,
    max_licences: uint256,
    starts_at: uint256,
    ends_at: uint256,
) -> uint256:
    """
    @notice Offers licences for `asset_id`.
    @param asset_id The asset; the caller must own it.
    @param token ETH (the zero address) or an allowed ERC-20.
    @param price Exact price per licence, in wei or token units.
    @param duration Licence length in seconds; 0 for a perpetual licence.
    @param max_licences Cap on licences sold through this offer; 0 for none.
    @param starts_at First second of sale (0: now).
    @param ends_at Sale ends before this second (0: never).
    @return uint256 The offer id.
    """
    self._require_owner(asset_id)
    assert not staticcall registry.is_delisted(asset_id), "market: asset delisted"
    assert token == ETH or self.token_allowed[token], "market: unsupported token"
    assert duration <= _U64, "market: duration too long"
    assert max_licences <= _U32, "market: cap too large"
    self._check_window(price, starts_at, ends_at)
    offer_id: uint256 = self.offer_count + 1
    self.offer_count = offer_id
    self._offer_asset[offer_id] = asset_id
    self._offer_terms[offer_id] = convert(token, uint256) | duration << _DURATION_SHIFT | _ACTIVE
    self._offer_price[offer_id] = price | max_licences << _MAX_SHIFT | starts_at << _STARTS_SHIFT | ends_at << _ENDS_SHIFT
    log OfferCreated(offer_id=offer_id, asset_id=asset_id, token=token, price=price, duration=duration,
                     max_licences=max_licences, starts_at=starts_at, ends_at=ends_at)
    return offer_id


@internal
@view
def _require_offer_owner(offer_id: uint256) -> uint256:
    assert self._offer_terms[offer_id] & _ACTIVE != 0, "market: offer not active"
    self._require_owner(self._offer_asset[offer_id])
    return self._offer_price[offer_id]


@external
def update_offer(offer_id: uint256, price: uint256, max_licences: uint256, starts_at: uint256, ends_at: uint256):
    """
    @notice Changes an active offer's price, cap and sale window.
    @param offer_id The offer; the caller must own its asset.
    @param max_licences New cap (0: none); not below the licences already sold
           through this offer (every sale is counted, capped or not).
    """
    word: uint256 = self._require_offer_owner(offer_id)
    sold: uint256 = (word >> _SOLD_SHIFT) & _U32
    assert max_licences <= _U32, "market: cap too large"
    assert max_licences == 0 or max_licences >= sold, "market: cap below sold"
    self._check_window(price, starts_at, ends_at)
    self._offer_price[offer_id] = price | max_licences << _MAX_SHIFT | sold << _SOLD_SHIFT \
        | starts_at << _STARTS_SHIFT | ends_at << _ENDS_SHIFT
    log OfferUpdated(offer_id=offer_id, price=price, max_licences=max_licences, starts_at=starts_at, ends_at=ends_at)


@external
def cancel_offer(offer_id: uint256):
    """
    @notice Ends an offer for good. Licences already sold are unaffected.
    @param offer_id The offer; the caller must own its asset.
    """
    self._require_offer_owner(offer_id)
    self._offer_terms[offer_id] &= ~_ACTIVE
    log OfferCancelled(offer_id=offer_id)


@external
@view
def offer(offer_id: uint256) -> Offer:
    """
    @notice An offer's terms and state (an unknown id returns an inactive, empty offer).
    """
    terms: uint256 = self._offer_terms[offer_id]
    word: uint256 = self._offer_price[offer_id]
    return Offer(
        asset_id=self._offer_asset[offer_id],
        token=convert(terms & _ADDRESS_MASK, address),
        price=word & _U128,
        duration=(terms >> _DURATION_SHIFT) & _U64,
        max_licences=(word >> _MAX_SHIFT) & _U32,
        sold=(word >> _SOLD_SHIFT) & _U32,
        starts_at=(word >> _STARTS_SHIFT) & _U32,
        ends_at=word >> _ENDS_SHIFT,
        active=terms & _ACTIVE != 0,
    )


# ---------------------------------------------------------------- buying


@external
@payable
@nonreentrant
def buy(offer_id: uint256, licensee: address) -> uint256:
    """
    @notice Buys one licence under `offer_id` for `licensee`, paying the exact
            price (ETH as msg.value, or an ERC-20 the caller has approved).
    @dev A timed licence bought again extends from its current expiry (or from
         now if it has lapsed). Revenue accrues to the asset's pool; nothing is
         sent to anyone here.
    @param offer_id The offer.
    @param licensee Who receives the licence (may differ from the payer).
    @return uint256 The licence's new expiry (PERPETUAL for a perpetual one).
    """
    terms: uint256 = self._offer_terms[offer_id]
    assert terms & _ACTIVE != 0, "market: offer not active"
    assert licensee != empty(address), "market: zero licensee"
    word: uint256 = self._offer_price[offer_id]
    price: uint256 = word & _U128
    token: address = convert(terms & _ADDRESS_MASK, address)
    if token == ETH:
        assert msg.value == price, "market: wrong payment amount"
    else:
        assert msg.value == 0, "market: ether sent to a token offer"
        assert self.token_allowed[token], "market: unsupported token"
    assert block.timestamp >= (word >> _STARTS_SHIFT) & _U32, "market: offer not started"
    ends_at: uint256 = word >> _ENDS_SHIFT
    assert ends_at == 0 or block.timestamp < ends_at, "market: offer expired"
    # Every sale is counted (so a cap added later sees earlier sales); 2**32 - 1
    # sales through one offer is the hard ceiling of the 32-bit counter.
    cap: uint256 = (word >> _MAX_SHIFT) & _U32
    sold: uint256 = (word >> _SOLD_SHIFT) & _U32
    assert sold < cap or (cap == 0 and sold < _U32), "market: offer sold out"
    self._offer_price[offer_id] = word + (1 << _SOLD_SHIFT)
    asset_id: uint256 = self._offer_asset[offer_id]
    assert not staticcall registry.is_delisted(asset_id), "market: asset delisted"

    current: uint256 = self.licence_of[asset_id][licensee]
    assert current != PERPETUAL, "market: already licensed for ever"
    duration: uint256 = (terms >> _DURATION_SHIFT) & _U64
    expires_at: uint256 = PERPETUAL
    if duration != 0:
        expires_at = max(current, block.timestamp) + duration
    self.licence_of[asset_id][licensee] = expires_at

    fee: uint256 = 0
    if price != 0:
        config: uint256 = self._fee_config
        fee = price * (config >> _FEE_SHIFT) // MAX_BPS
        if fee != 0:
            self.balance_of[convert(config & _ADDRESS_MASK, address)][token] += fee
        self.pending[asset_id][token] += price - fee

    log LicencePurchased(offer_id=offer_id, asset_id=asset_id, licensee=licensee, buyer=msg.sender, token=token,
                         price=price, fee=fee, expires_at=expires_at)

    # Interactions last; the token is allow-listed and the lock is held.
    if token != ETH and price != 0:
        before: uint256 = staticcall IERC20(token).balanceOf(self)
        assert extcall IERC20(token).transferFrom(msg.sender, self, price, default_return_value=True), \
            "market: token transfer failed"
        assert staticcall IERC20(token).balanceOf(self) == before + price, "market: fee-on-transfer token"
    return expires_at


@external
@view
def has_access(asset_id: uint256, account: address) -> bool:
    """
    @notice Whether `account` may use `asset_id` now: a live licence, and the
            asset not delisted (what a gateway checks before serving content).
    @dev A delisted asset's licences are kept (`licence_of`) and count again
         if a curator relists it.
    """
    return self.licence_of[asset_id][account] > block.timestamp and not staticcall registry.is_delisted(asset_id)


# ---------------------------------------------------------------- splits


@external
def set_split(asset_id: uint256, recipients: DynArray[address, _RECIPIENTS_ARG_BOUND],
              weights_bps: DynArray[uint16, _RECIPIENTS_ARG_BOUND]):
    """
    @notice Sets who shares the asset's revenue after the upstream shares.
    @dev Recipients strictly increasing (no duplicates, one canonical form),
         weights summing to MAX_BPS. An empty split restores the default
         (100 % to the current owner). Applies to revenue distributed from now
         on, including revenue that is pending: distribute first if that matters.
    @param asset_id The asset; the caller must own it and its split must not be locked.
    @param recipients Payees, sorted by address.
    @param weights_bps Their weights in basis points.
    """
    self._require_owner(asset_id)
    assert not self.split_locked[asset_id], "market: split locked"
    count: uint256 = len(recipients)
    assert count <= MAX_RECIPIENTS, "market: too many recipients"
    assert len(weights_bps) == count, "market: recipients and weights differ in length"
    total: uint256 = 0
    previous: uint256 = 0
    logged_recipients: DynArray[address, MAX_RECIPIENTS] = []
    logged_weights: DynArray[uint16, MAX_RECIPIENTS] = []
    for i: uint256 in range(count, bound=MAX_RECIPIENTS):
        recipient: address = recipients[i]
        assert recipient != empty(address), "market: zero address recipient"
        assert convert(recipient, uint256) > previous, "market: recipients not sorted"
        previous = convert(recipient, uint256)
        weight: uint256 = convert(weights_bps[i], uint256)
        assert weight != 0, "market: zero weight"
        total += weight
        self._split_entries[asset_id][i] = convert(recipient, uint256) | weight << 160
        logged_recipients.append(recipient)
        logged_weights.append(weights_bps[i])
    assert count == 0 or total == MAX_BPS, "market: weights must sum to 10000"
    self._split_length[asset_id] = count
    if count == 0:
        self._split_hash[asset_id] = empty(bytes32)
    else:
        self._split_hash[asset_id] = keccak256(abi_encode(logged_recipients, logged_weights))
    log SplitUpdated(asset_id=asset_id, recipients=logged_recipients, weights_bps=logged_weights)


@external
def lock_split(asset_id: uint256):
    """
    @notice Makes the current split permanent, so co-authors need not trust
            future owners. Irreversible.
    @param asset_id The asset; the caller must own it.
    """
    self._require_owner(asset_id)
    assert not self.split_locked[asset_id], "market: split locked"
    # Locking the default split (the owner of the day) would protect nobody.
    assert self._split_length[asset_id] != 0, "market: no split to lock"
    self.split_locked[asset_id] = True
    log SplitLocked(asset_id=asset_id)


@external
@view
def split_of(asset_id: uint256) -> (DynArray[address, MAX_RECIPIENTS], DynArray[uint16, MAX_RECIPIENTS]):
    """
    @notice The asset's split; empty lists mean 100 % to the current owner.
    @return (recipients, weights_bps)
    """
    recipients: DynArray[address, MAX_RECIPIENTS] = []
    weights: DynArray[uint16, MAX_RECIPIENTS] = []
    for i: uint256 in range(self._split_length[asset_id], bound=MAX_RECIPIENTS):
        entry: uint256 = self._split_entries[asset_id][i]
        recipients.append(convert(entry & _ADDRESS_MASK, address))
        weights.append(convert(entry >> 160, uint16))
    return recipients, weights


# ---------------------------------------------------------------- distribution and withdrawal


@external
@nonreentrant
def distribute(asset_id: uint256, token: address, parents: DynArray[uint256, MAX_PARENTS],
               shares_bps: DynArray[uint16, MAX_PARENTS], recipients: DynArray[address, MAX_RECIPIENTS],
               weights_bps: DynArray[uint16, MAX_RECIPIENTS]) -> uint256:
    """
    @notice Settles the asset's pending revenue in `token`: upstream shares
            into the parents' pools, the rest credited to the split. Anyone
            may call it.
    @param asset_id The asset.
    @param token ETH (zero address) or the ERC-20.
    @param parents The asset's parents exactly as registered (in its
           ProvenanceRecorded event; empty if it has none).
    @param shares_bps Their upstream shares, exactly as registered.
    @param recipients The asset's split recipients exactly as in `split_of`
           (empty for the default split).
    @param weights_bps Their weights, exactly as in `split_of`.
    @return uint256 The amount distributed.
    """
    amount: uint256 = self.pending[asset_id][token]
    assert amount != 0, "market: nothing to distribute"
    expected: bytes32 = self._split_hash[asset_id]
    if expected == empty(bytes32):
        assert len(recipients) == 0, "market: split mismatch"
    else:
        assert keccak256(abi_encode(recipients, weights_bps)) == expected, "market: split mismatch"
    # The registry owns the commitment's definition; it checks the lists.
    assert staticcall registry.verify_parents(asset_id, parents, shares_bps), "market: provenance mismatch"
    self.pending[asset_id][token] = 0

    upstream: uint256 = 0
    for i: uint256 in range(len(parents), bound=MAX_PARENTS):
        part: uint256 = amount * convert(shares_bps[i], uint256) // MAX_BPS
        if part != 0:
            self.pending[parents[i]][token] += part
            upstream += part

    rest: uint256 = amount - upstream
    if rest != 0:
        if len(recipients) == 0:
            self.balance_of[staticcall registry.ownerOf(asset_id)][token] += rest
        else:
            credited: uint256 = 0
            for i: uint256 in range(len(recipients), bound=MAX_RECIPIENTS):
                share: uint256 = rest * convert(weights_bps[i], uint256) // MAX_BPS
                self.balance_of[recipients[i]][token] += share
                credited += share
            # Rounding remainder (< one wei per recipient) to the first recipient.
            if rest != credited:
                self.balance_of[recipients[0]][token] += rest - credited
    log RevenueDistributed(asset_id=asset_id, token=token, amount=amount, upstream=upstream)
    return amount


@external
@nonreentrant
def withdraw(token: address) -> uint256:
    """
    @notice Sends the caller everything it is owed in `token`.
    @return uint256 The amount sent.
    """
    return self._withdraw(msg.sender, token)


@external
@nonreentrant
def withdraw_for(account: address, token: address) -> uint256:
    """
    @notice Sends `account` everything it is owed in `token`; anyone may pay
            the gas (keepers, the distribute script). The money only ever goes
            to `account`.
    @return uint256 The amount sent.
    """
    return self._withdraw(account, token)


@internal
def _withdraw(account: address, token: address) -> uint256:
    amount: uint256 = self.balance_of[account][token]
    assert amount != 0, "market: nothing to withdraw"
    self.balance_of[account][token] = 0
    log Withdrawn(account=account, token=token, amount=amount, caller=msg.sender)
    if token == ETH:
        raw_call(account, b"", value=amount)
    else:
        assert extcall IERC20(token).transfer(account, amount, default_return_value=True), \
            "market: token transfer failed"
    return amount


# ---------------------------------------------------------------- secondary-sale royalties


@external
@view
def royalty_receiver_of(asset_id: uint256) -> address:
    """
    @notice Where ERC-2981 royalties for `asset_id` are paid: the address the
            registry's `royaltyInfo` names, for any id, registered or not.
    @dev A CREATE2 address of this contract (salt: the asset id); it accepts
         ETH and tokens before any code is deployed there.
    @param asset_id The asset.
    @return address The asset's royalty receiver.
    """
    return royalty_receiver.receiver_of(self, asset_id)


@internal
@view
def _holdings(token: address) -> uint256:
    if token == ETH:
        return self.balance
    return staticcall IERC20(token).balanceOf(self)


@external
@nonreentrant
def sweep_royalties(asset_id: uint256, token: address) -> uint256:
    """
    @notice Moves the royalties waiting at the asset's receiver into its
            pending pool, from where `distribute` shares them up the
            provenance graph like licence revenue. Anyone may call it.
    @dev The first sweep of an asset deploys its forwarder (about 45k gas).
         The pool is credited with what this contract's balance grew by, so
         it holds exactly what it owes whatever the token reports about the
         receiver; the global lock covers the calls between the measurements.
         A delisted asset can be swept: what its sales paid is still owed
         upstream. Royalties paid for an id that is not registered wait at
         its receiver until the id is registered. An ERC-20 the DAO has not
         allowed waits there until it is allowed.
    @param asset_id A registered asset.
    @param token ETH (the zero address) or an allowed ERC-20.
    @return uint256 The amount credited to the asset's pool.
    """
    assert token == ETH or self.token_allowed[token], "market: unsupported token"
    self._owner_of(asset_id)
    receiver: address = royalty_receiver.receiver_of(self, asset_id)
    waiting: uint256 = 0
    if token == ETH:
        waiting = receiver.balance
    else:
        waiting = staticcall IERC20(token).balanceOf(receiver)
    assert waiting != 0, "market: nothing to sweep"
    if not receiver.is_contract:
        royalty_receiver.deploy(asset_id)
    before: uint256 = self._holdings(token)
    if token == ETH:
        self._sweep_source = receiver
        royalty_receiver.forward(receiver, self, waiting, b"")
        self._sweep_source = empty(address)
    else:
        response: Bytes[royalty_receiver.MAX_RESPONSE_BYTES] = royalty_receiver.forward(
            receiver, token, 0, abi_encode(self, waiting, method_id=method_id("transfer(address,uint256)")))
        # As `default_return_value=True`: no answer, or an answer of true.
        assert len(response) == 0 or (len(response) >= 32 and convert(extract32(response, 0), uint256) == 1), \
            "market: token transfer failed"
    after: uint256 = self._holdings(token)
    assert after > before, "market: nothing arrived"
    received: uint256 = after - before
    self.pending[asset_id][token] += received
    log RoyaltiesSwept(asset_id=asset_id, token=token, amount=received, caller=msg.sender)
    return received


@external
@payable
def __default__():
    """
    @notice Refuses plain ether and unknown calls; the one exception is a
            royalty receiver handing over its balance inside `sweep_royalties`.
    @dev Ether sent here any other way would be held but owed to nobody.
    """
    assert msg.sender == self._sweep_source, "market: unexpected call"


# ---------------------------------------------------------------- DAO levers


@internal
def _set_fee(fee_bps: uint256, treasury: address):
    assert fee_bps <= MAX_FEE_BPS, "market: fee over cap"
    assert treasury != empty(address), "market: zero treasury"
    self._fee_config = convert(treasury, uint256) | fee_bps << _FEE_SHIFT
    log FeeChanged(fee_bps=fee_bps, treasury=treasury)


@external
def set_fee(fee_bps: uint256, treasury: address):
    """
    @notice Sets the protocol fee and its treasury. Fees already credited stay
            with the treasury they were credited to.
    @param fee_bps At most MAX_FEE_BPS (10 %).
    @param treasury Non-zero.
    """
    assert access_control.hasRole[FEE_MANAGER_ROLE][msg.sender], "market: caller is not a fee manager"
    self._set_fee(fee_bps, treasury)


@external
def set_token_allowed(token: address, allowed: bool):
    """
    @notice Allows or forbids an ERC-20 as payment. Forbidding it stops sales
            in that token; balances in it can still be withdrawn.
    @param token A standard ERC-20 (no fee on transfer, no rebasing).
    """
    assert access_control.hasRole[TOKEN_MANAGER_ROLE][msg.sender], "market: caller is not a token manager"
    assert token != ETH, "market: ether needs no allowance"
    self.token_allowed[token] = allowed
    log TokenAllowed(token=token, allowed=allowed)


@external
@view
def fee_bps() -> uint256:
    """
    @notice The protocol fee in basis points.
    """
    return self._fee_config >> _FEE_SHIFT


@external
@view
def treasury() -> address:
    """
    @notice Where protocol fees are credited.
    """
    return convert(self._fee_config & _ADDRESS_MASK, address)
