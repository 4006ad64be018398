// SPDX-License-Identifier: MIT
// OpenZeppelin Contracts 5.1 governors as the OZ wizard writes them, to drive and compare with
// cidhub's HubToken and HubGovernor in tests (tests/oz/). Test only: nothing here ships.
pragma solidity ^0.8.24;

import {Governor} from "@openzeppelin/contracts/governance/Governor.sol";
import {IGovernor} from "@openzeppelin/contracts/governance/IGovernor.sol";
import {GovernorSettings} from "@openzeppelin/contracts/governance/extensions/GovernorSettings.sol";
import {GovernorCountingSimple} from "@openzeppelin/contracts/governance/extensions/GovernorCountingSimple.sol";
import {GovernorVotes} from "@openzeppelin/contracts/governance/extensions/GovernorVotes.sol";
import {GovernorVotesQuorumFraction} from "@openzeppelin/contracts/governance/extensions/GovernorVotesQuorumFraction.sol";
import {GovernorTimelockControl} from "@openzeppelin/contracts/governance/extensions/GovernorTimelockControl.sol";
import {TimelockController} from "@openzeppelin/contracts/governance/TimelockController.sol";
import {IVotes} from "@openzeppelin/contracts/governance/utils/IVotes.sol";

/// Settings, simple counting, votes, quorum fraction (percent); executes proposals itself.
contract OzGovernor is Governor, GovernorSettings, GovernorCountingSimple, GovernorVotes, GovernorVotesQuorumFraction {
    constructor(IVotes token_, uint48 delay, uint32 period, uint256 threshold, uint256 quorumPercent)
        Governor("OzGovernor")
        GovernorSettings(delay, period, threshold)
        GovernorVotes(token_)
        GovernorVotesQuorumFraction(quorumPercent)
    {}

    function proposalThreshold() public view override(Governor, GovernorSettings) returns (uint256) {
        return super.proposalThreshold();
    }
}

/// The same, executing through OpenZeppelin's TimelockController (the wizard's timelock option).
contract OzTimelockGovernor is
    Governor,
    GovernorSettings,
    GovernorCountingSimple,
    GovernorVotes,
    GovernorVotesQuorumFraction,
    GovernorTimelockControl
{
    constructor(IVotes token_, TimelockController timelock_, uint48 delay, uint32 period, uint256 threshold,
                uint256 quorumPercent)
        Governor("OzTimelockGovernor")
        GovernorSettings(delay, period, threshold)
        GovernorVotes(token_)
        GovernorVotesQuorumFraction(quorumPercent)
        GovernorTimelockControl(timelock_)
    {}

    function proposalThreshold() public view override(Governor, GovernorSettings) returns (uint256) {
        return super.proposalThreshold();
    }

    function state(uint256 proposalId) public view override(Governor, GovernorTimelockControl) returns (ProposalState) {
        return super.state(proposalId);
    }

    function proposalNeedsQueuing(uint256 proposalId) public view override(Governor, GovernorTimelockControl) returns (bool) {
        return super.proposalNeedsQueuing(proposalId);
    }

    function _queueOperations(uint256 id, address[] memory t, uint256[] memory v, bytes[] memory c, bytes32 d)
        internal override(Governor, GovernorTimelockControl) returns (uint48)
    {
        return super._queueOperations(id, t, v, c, d);
    }

    function _executeOperations(uint256 id, address[] memory t, uint256[] memory v, bytes[] memory c, bytes32 d)
        internal override(Governor, GovernorTimelockControl)
    {
        super._executeOperations(id, t, v, c, d);
    }

    function _cancel(address[] memory t, uint256[] memory v, bytes[] memory c, bytes32 d)
        internal override(Governor, GovernorTimelockControl) returns (uint256)
    {
        return super._cancel(t, v, c, d);
    }

    function _executor() internal view override(Governor, GovernorTimelockControl) returns (address) {
        return super._executor();
    }
}

/// OpenZeppelin's TimelockController, deployable.
contract OzTimelock is TimelockController {
    constructor(uint256 minDelay, address[] memory proposers, address[] memory executors, address admin)
        TimelockController(minDelay, proposers, executors, admin)
    {}
}

/// IGovernor's ABI alone (what an OpenZeppelin client compiles against).
interface IGovernorClient is IGovernor {}

/// A holder that acts on several governors in one transaction, so that they all see the same
/// timestamp (same snapshot, deadline and ETA) and can be compared value for value.
contract TwinVoter {
    constructor(IVotes token_) {
        token_.delegate(address(this));
    }

    function propose(IGovernor[] calldata governors, address[] memory targets, uint256[] memory values,
                     bytes[] memory calldatas, string memory description) external {
        for (uint256 i = 0; i < governors.length; i++) governors[i].propose(targets, values, calldatas, description);
    }

    function castVote(IGovernor[] calldata governors, uint256 proposalId, uint8 support) external {
        for (uint256 i = 0; i < governors.length; i++) governors[i].castVoteWithReason(proposalId, support, "twin");
    }

    function queue(IGovernor[] calldata governors, address[] memory targets, uint256[] memory values,
                   bytes[] memory calldatas, bytes32 descriptionHash) external {
        for (uint256 i = 0; i < governors.length; i++) governors[i].queue(targets, values, calldatas, descriptionHash);
    }

    function execute(IGovernor[] calldata governors, address[] memory targets, uint256[] memory values,
                     bytes[] memory calldatas, bytes32 descriptionHash) external {
        for (uint256 i = 0; i < governors.length; i++) governors[i].execute(targets, values, calldatas, descriptionHash);
    }

    function cancel(IGovernor[] calldata governors, address[] memory targets, uint256[] memory values,
                    bytes[] memory calldatas, bytes32 descriptionHash) external {
        for (uint256 i = 0; i < governors.length; i++) governors[i].cancel(targets, values, calldatas, descriptionHash);
    }
}

/// A call target that counts, per caller, what it was sent.
contract Pinged {
    mapping(address => uint256) public pings;

    function ping(uint256 amount) external {
        pings[msg.sender] += amount;
    }
}
