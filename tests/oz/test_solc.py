"""The solcjs helper itself: OpenZeppelin imports resolve, output is cached, errors surface."""

from __future__ import annotations

import pytest

from .solc import CACHE_DIR, SolcError, compile_solidity, container, solc_version

ERC20_SOURCE = """
// SPDX-License-Identifier: MIT
pragma solidity ^0.8.20;
import {ERC20} from "@openzeppelin/contracts/token/ERC20/ERC20.sol";
contract OzSmokeToken is ERC20 {
    constructor(uint256 supply) ERC20("Smoke", "SMK") { _mint(msg.sender, supply); }
}
"""


def test_solc_version__is_the_pinned_solcjs():
    assert solc_version().startswith("0.8.28+")


def test_compile_solidity__oz_import__deploys_with_ape(deployer):
    types = compile_solidity({"OzSmokeToken.sol": ERC20_SOURCE})
    assert set(types) == {"OzSmokeToken"}  # imported OZ contracts are not returned
    token = container(types["OzSmokeToken"]).deploy(1_000, sender=deployer)
    assert token.balanceOf(deployer) == 1_000
    assert token.symbol() == "SMK"


def test_compile_solidity__second_call__served_from_cache():
    compile_solidity({"OzSmokeToken.sol": ERC20_SOURCE})
    before = {p.name: p.stat().st_mtime_ns for p in CACHE_DIR.glob("*.json")}
    compile_solidity({"OzSmokeToken.sol": ERC20_SOURCE})
    after = {p.name: p.stat().st_mtime_ns for p in CACHE_DIR.glob("*.json")}
    assert before == after and before


def test_compile_solidity__syntax_error__raises_with_solc_message():
    with pytest.raises(SolcError, match="ParserError"):
        compile_solidity({"Broken.sol": "pragma solidity ^0.8.0; contract Broken { function }"})


def test_compile_solidity__missing_import__raises():
    with pytest.raises(SolcError, match="not found in node_modules"):
        compile_solidity({"Missing.sol": 'pragma solidity ^0.8.0; import "@nope/Nothing.sol"; contract M {}'})
