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
     is deployed through a contract that initializes it. One thing is
     changed: the minimum delay is bounded by MAX_MINIMUM_DELAY (at deploy
     and in `update_delay`), so one passed vote cannot set a delay of
     centuries and brick the DAO (security issue #10, finding 5). Every other
     function is snekmate's, exported by name. The constructor is
     snekmate's: it makes the timelock its own admin and revokes the
     deployer; `admin_` is an optional bootstrap admin that the deploy
     script uses to grant the governor its roles and then renounces
     (checked by `ape run roles`).
@custom:security Operations run with the timelock as msg.sender; payloads
                 are at most 1,024 bytes and batches at most 255 calls
                 (snekmate's bounds).
"""

from snekmate.auth import access_control
initializes: access_control

from snekmate.governance import timelock_controller
initializes: timelock_controller[access_control := access_control]

# snekmate's interface by name, all but `update_delay`, which is bounded below.
exports: (
    timelock_controller.DEFAULT_ADMIN_ROLE,
    timelock_controller.hasRole,
    timelock_controller.getRoleAdmin,
    timelock_controller.grantRole,
    timelock_controller.revokeRole,
    timelock_controller.renounceRole,
    timelock_controller.set_role_admin,
    timelock_controller.PROPOSER_ROLE,
    timelock_controller.EXECUTOR_ROLE,
    timelock_controller.CANCELLER_ROLE,
    timelock_controller.IERC721_TOKENRECEIVER_SELECTOR,
    timelock_controller.IERC1155_TOKENRECEIVER_SINGLE_SELECTOR,
    timelock_controller.IERC1155_TOKENRECEIVER_BATCH_SELECTOR,
    timelock_controller.get_timestamp,
    timelock_controller.get_minimum_delay,
    timelock_controller.__default__,
    timelock_controller.supportsInterface,
    timelock_controller.is_operation,
    timelock_controller.is_operation_pending,
    timelock_controller.is_operation_ready,
    timelock_controller.is_operation_done,
    timelock_controller.get_operation_state,
    timelock_controller.hash_operation,
    timelock_controller.hash_operation_batch,
    timelock_controller.schedule,
    timelock_controller.schedule_batch,
    timelock_controller.cancel,
    timelock_controller.execute,
    timelock_controller.execute_batch,
    timelock_controller.onERC721Received,
    timelock_controller.onERC1155Received,
    timelock_controller.onERC1155BatchReceived,
)


# @dev The longest minimum delay a vote can set: 30 days. A DAO decision
# (voting delay <= 7 days + voting period <= 14 days, HubGovernor's bounds)
# plus this delay stays under OptimisticVerifier's longest resolution
# timeout (90 days), and the governor's 48-bit ETA field is never near.
MAX_MINIMUM_DELAY: public(constant(uint256)) = 30 * 86_400


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
    assert minimum_delay_ <= MAX_MINIMUM_DELAY, "timelock: delay over the maximum"
    access_control.__init__()
    timelock_controller.__init__(minimum_delay_, proposers_, executors_, admin_)


@external
def update_delay(new_delay: uint256):
    """
    @notice Change the minimum delay of future operations; only the
            timelock itself, i.e. through a scheduled and executed
            operation (a passed vote).
    @dev snekmate's `update_delay` with an upper bound: a delay over
         MAX_MINIMUM_DELAY would lock every lever for that long.
    @param new_delay The new minimum delay in seconds, at most
           MAX_MINIMUM_DELAY.
    """
    assert msg.sender == self, "timelock_controller: caller must be timelock"
    assert new_delay <= MAX_MINIMUM_DELAY, "timelock: delay over the maximum"
    log timelock_controller.MinimumDelayChange(
        old_duration=timelock_controller.get_minimum_delay, new_duration=new_delay
    )
    timelock_controller.get_minimum_delay = new_delay
