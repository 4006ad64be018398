# pragma version ~=0.4.3
"""
@title PropWallet
@notice Test-only contract wallet (ERC-1271) for the property tests: it holds
        tokens and votes like any account, and answers `isValidSignature`
        according to `mode`: 0 valid iff `owner` signed the hash (65-byte
        r ‖ s ‖ v, what a Safe with one owner does), 1 valid for anything (a
        wallet whose checks are broken or permissive), 2 the wrong magic value,
        3 revert. Its owner can make it call anything (`execute`).
@custom:security Test-only: mode 1 accepts every signature on purpose, so a
                 contract that trusts ERC-1271 answers can be checked for what
                 it lets such a wallet do (only ever act for the wallet itself).
"""

from snekmate.utils import ecdsa

_MAGIC: constant(bytes4) = 0x1626BA7E
MAX_SIGNATURE_BYTES: constant(uint256) = 1_024
MAX_CALL_BYTES: constant(uint256) = 2_048

owner: public(address)
mode: public(uint256)


@deploy
def __init__(owner_: address):
    self.owner = owner_


@external
def configure(mode_: uint256):
    """
    @notice Sets how `isValidSignature` answers (see the title).
    @param mode_ 0 owner's signature, 1 accept all, 2 wrong magic, 3 revert.
    """
    assert msg.sender == self.owner, "wallet: caller is not the owner"
    self.mode = mode_


@external
@payable
def execute(target: address, data: Bytes[MAX_CALL_BYTES]) -> Bytes[256]:
    """
    @notice Calls `target` with `data` (and the ether sent) as this wallet.
    @param target The contract to call.
    @param data The calldata.
    @return Bytes[256] What the call returned.
    """
    assert msg.sender == self.owner, "wallet: caller is not the owner"
    return raw_call(target, data, value=msg.value, max_outsize=256)


@external
@view
def isValidSignature(hash: bytes32, signature: Bytes[MAX_SIGNATURE_BYTES]) -> bytes4:
    """
    @notice ERC-1271: `_MAGIC` if this wallet vouches for `signature` of `hash`.
    @param hash The signed digest.
    @param signature The owner's 65-byte signature (mode 0).
    @return bytes4 0x1626ba7e, or 0xffffffff.
    """
    mode: uint256 = self.mode
    if mode == 1:
        return _MAGIC
    if mode == 2:
        return 0xFFFFFFFF
    if mode == 3:
        raise "wallet: no"
    if len(signature) != 65:
        return 0xFFFFFFFF
    sig: Bytes[65] = slice(signature, 0, 65)
    if ecdsa._recover_sig(hash, sig) == self.owner and self.owner != empty(address):
        return _MAGIC
    return 0xFFFFFFFF


@external
@payable
def __default__():
    pass
