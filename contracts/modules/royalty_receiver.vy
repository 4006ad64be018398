# pragma version ~=0.4.3
"""
@title Per-asset ERC-2981 royalty receivers
@notice Every asset has its own address for secondary-sale royalties: the
        CREATE2 address of a 62-byte forwarder that the Marketplace would
        deploy with the asset id as salt. `AssetRegistry.royaltyInfo` names
        it; ETH and ERC-20s paid to it wait there (no code is needed to
        receive them) until anyone calls `Marketplace.sweep_royalties`, which
        deploys the forwarder on first use and has it hand its balance to the
        Marketplace, into the asset's pending pool.
@dev Why a hand-written forwarder and not a Vyper blueprint or an EIP-1167
     proxy:
     - its init code is a constant, so the receiver address is a pure
       function of (marketplace, asset id) that the registry computes without
       storing or reading anything per asset (registration gas is unchanged);
       a blueprint's init code hash would only be known after compilation.
     - once deployed it still accepts ETH sent with a 2,300-gas stipend
       (`transfer`/`send`): any caller but its controller costs 21 gas and
       stops. An EIP-1167 proxy fails there (a cold DELEGATECALL costs 2,600).
     - deploying it costs about 45k gas once per asset, paid by the first
       sweeper (a Vyper copy would cost ~100k).
     Runtime (62 bytes; the controller is the account that deployed it):
       0x00 CALLER PUSH20 <controller> EQ PUSH1 0x1b JUMPI STOP
            anyone else: accept any ETH, ignore calldata, stop
       0x1b JUMPDEST PUSH1 0x40 CALLDATASIZE SUB DUP1 PUSH1 0x40 PUSH0
            CALLDATACOPY
            the controller sends target (32 bytes) | value (32) | payload:
            copy payload to memory 0
       0x25 PUSH0 PUSH0 DUP3 PUSH0 PUSH1 0x20 CALLDATALOAD PUSH0 CALLDATALOAD
            GAS CALL
            CALL(gas, target, value, payload) with no output area
       0x30 RETURNDATASIZE PUSH0 PUSH0 RETURNDATACOPY PUSH1 0x3a JUMPI
            RETURNDATASIZE PUSH0 REVERT
       0x3a JUMPDEST RETURNDATASIZE PUSH0 RETURN
            pass the call's return or revert data on unchanged
     Init code (22 bytes, then the runtime after its address):
       PUSH2 0x3373 PUSH1 0xa0 SHL CALLER OR PUSH0 MSTORE
            memory[10:32] = CALLER PUSH20 <deployer>
       PUSH1 0x28 PUSH1 0x16 PUSH1 0x20 CODECOPY
            memory[32:72] = the runtime's last 40 bytes
       PUSH1 0x3e PUSH1 0x0a RETURN
            deploy memory[10:72]
     tests/contracts/marketplace/test_royalty_receiver.py checks these bytes
     against this listing and every path on chain.
@custom:security The forwarder obeys its deployer alone, so only the
                 Marketplace that computed the address can move what it
                 holds; nobody else can deploy there (CREATE2 from the
                 Marketplace) and the forwarder cannot create contracts, so
                 the address can never be taken. It holds no storage.
"""

RECEIVER_INITCODE: constant(Bytes[62]) = x"61337360a01b33175f5260286016602039603e600af314601b57005b604036038060405f375f5f825f6020355f355af13d5f5f3e603a573d5ffd5b3d5ff3"
RECEIVER_INITCODE_HASH: constant(bytes32) = keccak256(RECEIVER_INITCODE)
# Room for an ERC-20's answer (a bool) or its revert reason, passed on by the forwarder.
MAX_RESPONSE_BYTES: constant(uint256) = 256
_ADDRESS_MASK: constant(uint256) = (1 << 160) - 1


@internal
@pure
def receiver_of(deployer: address, asset_id: uint256) -> address:
    """
    @dev The CREATE2 address keccak256(0xff ++ deployer ++ asset_id ++
         keccak256(init code))[12:], whether or not the forwarder exists yet.
    @param deployer The Marketplace that deploys and controls the forwarder.
    @param asset_id The asset (the CREATE2 salt).
    @return address The asset's royalty receiver.
    """
    digest: bytes32 = keccak256(concat(x"ff", convert(deployer, bytes20), convert(asset_id, bytes32),
                                       RECEIVER_INITCODE_HASH))
    return convert(convert(digest, uint256) & _ADDRESS_MASK, address)


@internal
def deploy(asset_id: uint256) -> address:
    """
    @dev Deploys the caller's forwarder for `asset_id`. The caller checks
         first that none is deployed there: CREATE2 onto an address with code
         reverts.
    @param asset_id The asset (the CREATE2 salt).
    @return address The forwarder, equal to `receiver_of(self, asset_id)`.
    """
    return raw_create(RECEIVER_INITCODE, salt=convert(asset_id, bytes32))


@internal
def forward(receiver: address, target: address, amount: uint256,
            payload: Bytes[68]) -> Bytes[MAX_RESPONSE_BYTES]:
    """
    @dev Has the forwarder at `receiver` call `target` with `amount` wei and
         `payload`; a revert is passed on with the target's reason.
    @return Bytes What the target returned (cut to MAX_RESPONSE_BYTES).
    """
    return raw_call(receiver, concat(convert(convert(target, uint256), bytes32), convert(amount, bytes32), payload),
                    max_outsize=MAX_RESPONSE_BYTES)
