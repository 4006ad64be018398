# pragma version ~=0.4.3
"""
@title AccWallet
@notice Test-only ERC-1271 contract wallet: a signature is valid for the
        wallet when the wallet's owner key produced it over the same hash.
        The access service's sign-in (EIP-4361 through the `siwe` library)
        asks `isValidSignature` when the signer is a contract, so a buyer
        holding its licence in a smart wallet can still sign in.
@custom:security Test-only; never deployed by `deploy`.
"""

from snekmate.utils import ecdsa

# ERC-1271: bytes4(keccak256("isValidSignature(bytes32,bytes)"))
MAGIC_VALUE: constant(bytes4) = 0x1626BA7E
INVALID: constant(bytes4) = 0xFFFFFFFF

owner: public(address)


@deploy
def __init__(owner_: address):
    self.owner = owner_


@external
@view
def isValidSignature(hash: bytes32, signature: Bytes[65]) -> bytes4:
    """
    @notice ERC-1271: whether `signature` over `hash` is the wallet's.
    @param hash The digest that was signed (EIP-191 hash of a SIWE message).
    @param signature 65 bytes r || s || v by the owner key.
    @return bytes4 The ERC-1271 magic value if valid, 0xffffffff otherwise.
    """
    if len(signature) != 65:
        return INVALID
    r: uint256 = extract32(signature, 0, output_type=uint256)
    s: uint256 = extract32(signature, 32, output_type=uint256)
    v: uint256 = convert(slice(signature, 64, 1), uint256)
    if ecdsa._try_recover_vrs(hash, v, r, s) == self.owner:
        return MAGIC_VALUE
    return INVALID
