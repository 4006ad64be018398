"""EIP-712 digests and signatures for the governance tests, computed independently of the contracts.

The digests are built from the EIP-712 definition with eth-abi and keccak, so a test that passes
shows the contract hashes exactly what wallets sign.
"""

from __future__ import annotations

from eth_abi import encode
from eth_utils import keccak

SECP256K1_N = 0xFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFEBAAEDCE6AF48A03BBFD25E8CD0364141
DOMAIN_TYPE = "EIP712Domain(string name,string version,uint256 chainId,address verifyingContract)"
DELEGATION_TYPE = "Delegation(address delegatee,uint256 nonce,uint256 expiry)"
BALLOT_TYPE = "Ballot(uint256 proposalId,uint8 support,address voter,uint256 nonce,uint256 expiry)"


def domain_separator(name: str, version: str, chain_id: int, contract: str) -> bytes:
    return keccak(encode(["bytes32", "bytes32", "bytes32", "uint256", "address"],
                         [keccak(text=DOMAIN_TYPE), keccak(text=name), keccak(text=version), chain_id, contract]))


def typed_digest(domain: bytes, struct_hash: bytes) -> bytes:
    return keccak(b"\x19\x01" + domain + struct_hash)


def delegation_digest(token: str, chain_id: int, delegatee: str, nonce: int, expiry: int) -> bytes:
    struct = keccak(encode(["bytes32", "address", "uint256", "uint256"],
                           [keccak(text=DELEGATION_TYPE), delegatee, nonce, expiry]))
    return typed_digest(domain_separator("cidhub", "1", chain_id, token), struct)


def permit_digest(token: str, chain_id: int, owner: str, spender: str, value: int, nonce: int, deadline: int) -> bytes:
    typehash = keccak(text="Permit(address owner,address spender,uint256 value,uint256 nonce,uint256 deadline)")
    struct = keccak(encode(["bytes32", "address", "address", "uint256", "uint256", "uint256"],
                           [typehash, owner, spender, value, nonce, deadline]))
    return typed_digest(domain_separator("cidhub", "1", chain_id, token), struct)


def ballot_digest(governor: str, chain_id: int, proposal_id: int, support: int, voter: str, nonce: int,
                  expiry: int) -> bytes:
    struct = keccak(encode(["bytes32", "uint256", "uint8", "address", "uint256", "uint256"],
                           [keccak(text=BALLOT_TYPE), proposal_id, support, voter, nonce, expiry]))
    return typed_digest(domain_separator("cidhub governor", "1", chain_id, governor), struct)


def sign(account, digest: bytes) -> tuple[int, bytes, bytes]:
    """(v, r, s) of `account`'s signature of the raw digest."""
    sig = account.sign_raw_msghash(digest)
    return sig.v, bytes(sig.r).rjust(32, b"\0"), bytes(sig.s).rjust(32, b"\0")


def packed(v: int, r: bytes, s: bytes) -> bytes:
    """The 65-byte r || s || v form."""
    return r + s + bytes([v])


def malleable(v: int, r: bytes, s: bytes) -> tuple[int, bytes, bytes]:
    """The other valid signature of the same digest: s' = n - s, v flipped (rejected by EIP-2)."""
    s_high = SECP256K1_N - int.from_bytes(s, "big")
    return (55 - v), r, s_high.to_bytes(32, "big")
