# pragma version ~=0.4.3
"""
@title HubTimelock
@notice The DAO's treasury and hand: snekmate's `timelock_controller`,
        deployed as is. It holds every privileged role of the suite
        (registry curation and admin, token minting, marketplace fees,
        attestation management); the HubGovernor is its only proposer,
        canceller and executor, so a lever moves only after a successful
        vote and the minimum delay.
@dev A thin wrapper: snekmate ships the timelock as a module, and a module
     is deployed through a contract that initializes it. Nothing is added
     or changed. The constructor is snekmate's: it makes the timelock its
     own admin and revokes the deployer; `admin_` is an optional bootstrap
     admin that the deploy script uses to grant the governor its roles and
     then renounces (checked by `ape run roles`).
@custom:security Operations run with the timelock as msg.sender; payloads
                 are at most 1,024 bytes and batches at most 255 calls
                 (snekmate's bounds).
"""

from snekmate.auth import access_control
initializes: access_control

from snekmate.governance import timelock_controller
initializes: timelock_controller[access_control := access_control]

exports: timelock_controller.__interface__


@deploy
@payable
def __init__(
    minimum_delay_: uint256,
    proposers_: DynArray[address, max_value(uint8)],
    executors_: DynArray[address, max_value(uint8)],
    admin_: address,
):
    """
    @notice See snekmate's timelock_controller.
    @param minimum_delay_ Minimum delay of every operation, in seconds.
    @param proposers_ Accounts granted PROPOSER_ROLE and CANCELLER_ROLE.
    @param executors_ Accounts granted EXECUTOR_ROLE.
    @param admin_ Optional bootstrap admin (zero address: none).
    """
    access_control.__init__()
    timelock_controller.__init__(minimum_delay_, proposers_, executors_, admin_)
