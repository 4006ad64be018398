"""The reference dApp in a real browser: Debian's chromium, headless, driven by selenium through Debian's
chromedriver (both passed explicitly: nothing is downloaded at run time). The wallet is an EIP-1193 provider
injected before the page loads (injected_wallet.js) that forwards to anvil's unlocked accounts; the page and its
logic are the bundle `make dapp` serves, unchanged. The test clicks through browsing, a purchase, the access it
gives, a refused purchase, settling and withdrawing, and checks each step on-chain. Screenshots of every view go
to .build/screenshots/ (printed at the end).

Without chromium and chromedriver the test is skipped locally and fails in CI (CI=true), where .ci/run installs
them.
"""

from __future__ import annotations

import json
import os
import re
import shutil
from pathlib import Path

import pytest
from eth_utils import to_checksum_address

from cidhub.content.cid import cid_from_bytes, format_cid
from cidhub.content.store import BlockStore
from cidhub.demo.dapp import DappServer, build_bundle

REPO_ROOT = Path(__file__).resolve().parents[2]
SCREENSHOTS = REPO_ROOT / ".build" / "screenshots"
CHROME_ARGS = ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
               "--disable-background-networking", "--disable-component-update", "--disable-sync",
               "--window-size=1400,1100")

# The demo's accounts (anvil's defaults): #8 (it published the evaluation report) holds no licence for the
# fine-tuned model, which the model owner (#3) owns.
BUYER = "0x23618e81E3f5cdF7f54C3d65f7FBc0aBf5B21E8f"
MODEL_OWNER = "0x90F79bf6EB2c4f870365E785982E1f101E93b906"
TUSD_BUYER = "0x976EA74026E726554dB657fA54763abd0C3a0aa9"  # buyer 2: holds the demo's test stablecoin
ETH = "0x0000000000000000000000000000000000000000"


def _require(what: str, found: object) -> None:
    if found:
        return
    message = (f"{what} is not available: apt-get install -y chromium chromium-driver "
               "(and pip install -r requirements.lock for selenium)")
    if os.environ.get("CI", "").lower() in ("1", "true", "yes"):
        pytest.fail(f"CI: {message}")
    pytest.skip(message)


@pytest.fixture(scope="module")
def browser_tools() -> tuple[str, str]:
    try:
        import selenium  # noqa: F401
    except ImportError:
        selenium = None
    _require("selenium", selenium)
    chromium = shutil.which("chromium") or shutil.which("chromium-browser")
    _require("chromium", chromium)
    driver = shutil.which("chromedriver")
    _require("chromedriver", driver)
    return chromium, driver


@pytest.fixture(scope="module")
def chain(demo_chain):
    """web3 on the demo chain, with the suite's contracts from the compiled ABIs."""
    from web3 import Web3

    w3 = Web3(Web3.HTTPProvider(demo_chain.rpc_url))
    manifest = json.loads((REPO_ROOT / ".build" / "__local__.json").read_text())
    contracts = {name: w3.eth.contract(address=demo_chain.address(name), abi=manifest["contractTypes"][name]["abi"])
                 for name in ("AssetRegistry", "Marketplace")}
    return w3, contracts


@pytest.fixture(scope="module")
def page(browser_tools, demo_chain, tmp_path_factory):
    from selenium import webdriver
    from selenium.webdriver.chrome.options import Options
    from selenium.webdriver.chrome.service import Service

    chromium, chromedriver = browser_tools
    dist = build_bundle(tmp_path_factory.mktemp("dapp-dist"))
    server = DappServer(dist, BlockStore(demo_chain.data_dir)).start()
    options = Options()
    options.binary_location = chromium
    for arg in CHROME_ARGS:
        options.add_argument(arg)
    options.add_argument(f"--user-data-dir={tmp_path_factory.mktemp('chromium-profile')}")
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    # Selenium Manager must not look for a driver online: the path is given, and offline mode says so.
    os.environ.setdefault("SE_OFFLINE", "true")
    driver = webdriver.Chrome(options=options, service=Service(chromedriver))
    wallet = (Path(__file__).parent / "injected_wallet.js").read_text()
    wallet = wallet.replace("__RPC_URL__", demo_chain.rpc_url).replace("__ACCOUNT__", BUYER)
    driver.execute_cdp_cmd("Page.addScriptToEvaluateOnNewDocument", {"source": wallet})
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    try:
        yield Page(driver, server.url)
    finally:
        errors = [e for e in driver.get_log("browser") if e["level"] == "SEVERE"]
        driver.quit()
        server.stop()
        print(f"\nscreenshots: {SCREENSHOTS}")
        for e in errors:
            print("browser console:", e["message"])


class Page:
    def __init__(self, driver, url: str) -> None:
        self.driver = driver
        self.url = url

    def wait(self, condition, timeout: float = 30, message: str = ""):
        from selenium.webdriver.support.ui import WebDriverWait

        return WebDriverWait(self.driver, timeout, poll_frequency=0.1).until(condition, message)

    def css(self, selector: str):
        from selenium.webdriver.common.by import By

        return self.driver.find_elements(By.CSS_SELECTOR, selector)

    def one(self, selector: str):
        found = self.css(selector)
        assert found, f"nothing matches {selector}"
        return found[0]

    def ready(self, route: str | None = None) -> None:
        def done(d):
            view = d.execute_script(
                "const v = document.getElementById('view'); return [v.dataset.ready, v.dataset.route]")
            return view[0] == "true" and (route is None or view[1] == route)

        self.wait(done, message=f"the view {route or ''} did not finish rendering")

    def go(self, fragment: str, route: str) -> None:
        self.driver.get(f"{self.url}{fragment}")
        self.ready(route)

    def act(self, button) -> tuple[str, str]:
        """Clicks a button that sends transactions; returns the notice (kind, text) once the flow has ended."""
        self.driver.execute_script("const n = document.getElementById('notice'); n.dataset.kind = ''; n.hidden = true")
        button.click()
        self.wait(lambda d: d.execute_script(
            "return document.getElementById('notice').dataset.kind in {success: 1, error: 1} "
            "&& document.body.dataset.busy === 'false'"), timeout=60, message="the action did not finish")
        self.ready()
        notice = self.one("#notice")
        return notice.get_attribute("data-kind"), notice.text

    def shot(self, name: str) -> Path:
        """The whole page (not just the window) as .build/screenshots/<name>.png."""
        import base64

        size = self.driver.execute_cdp_cmd("Page.getLayoutMetrics", {})["cssContentSize"]
        clip = {"x": 0, "y": 0, "width": size["width"], "height": min(size["height"], 6000), "scale": 1}
        shot = self.driver.execute_cdp_cmd("Page.captureScreenshot",
                                           {"format": "png", "captureBeyondViewport": True, "clip": clip})
        path = SCREENSHOTS / f"{name}.png"
        path.write_bytes(base64.b64decode(shot["data"]))
        return path


def _asset_id(element) -> int:
    return int(element.get_attribute("data-asset-id"), 16)


def test_browse_buy_access_settle_withdraw(page, chain, demo_chain):
    w3, c = chain
    registry, market = c["AssetRegistry"], c["Marketplace"]
    from selenium.webdriver.support.ui import Select

    # ---- browse: every asset, then by kind, then by owner
    page.go("#/assets", "/assets")
    # The wallet shares no account until asked: the page reads through it, then connects on a click.
    assert page.one("#account").text == "" and page.one("[data-testid=connect]").is_displayed()
    page.one("[data-testid=connect]").click()
    page.wait(lambda d: page.one("#account").get_attribute("data-address") == BUYER, message="wallet not connected")
    page.ready("/assets")
    assert not page.one("[data-testid=connect]").is_displayed()
    registered = registry.events.AssetRegistered.get_logs(from_block=demo_chain.deployment["deploy_block"])
    cards = page.css("[data-testid=asset-card]")
    assert sorted(_asset_id(e) for e in cards) == sorted(log.args.asset_id for log in registered)
    for card in cards:
        asset_id = _asset_id(card)
        shown_cid = card.find_element("css selector", "[data-testid=content-cid]").text
        assert shown_cid == format_cid(cid_from_bytes(registry.functions.cid_of(asset_id).call()))
        shown_owner = card.find_element("css selector", "[data-testid=owner]").text
        assert shown_owner == registry.functions.ownerOf(asset_id).call()
    page.shot("1-assets")

    Select(page.one("[data-testid=filter-kind]")).select_by_value("model")
    page.ready("/assets")
    page.wait(lambda d: "kind=model" in d.current_url)
    page.ready("/assets")
    models = page.css("[data-testid=asset-card]")
    assert models and {e.get_attribute("data-kind") for e in models} == {"model"}
    model_ids = [_asset_id(e) for e in models]
    assert sorted(model_ids) == sorted(log.args.asset_id for log in registered
                                       if registry.functions.kind_of(log.args.asset_id).call() == 1)

    page.go(f"#/assets?owner={MODEL_OWNER}", "/assets")
    owned = page.css("[data-testid=asset-card]")
    assert owned and all(e.find_element("css selector", "[data-testid=owner]").text == MODEL_OWNER for e in owned)
    page.shot("2-assets-by-owner")

    # ---- the fine-tuned model: CIDs, card, licence terms, provenance graph with shares
    model = next(i for i in model_ids if registry.functions.asset(i).call()[6] == 2)  # parent_count
    page.go(f"#/asset/0x{model:064x}", f"/asset/0x{model:064x}")
    detail = page.one("[data-testid=asset-detail]")
    assert "Anomaly detector (fine-tuned)" in detail.find_element("css selector", "h2").text, "name from the card"
    fields = {e.get_attribute("data-field"): e.text for e in page.css("[data-testid=card-fields] dd")}
    assert fields["kind"] == "model" and fields["licence"] == "Apache-2.0"
    metadata_cid = format_cid(cid_from_bytes(registry.functions.metadata_cid_of(model).call()), "base32")
    assert page.one("[data-testid=metadata-cid]").text == metadata_cid
    assert page.one("[data-testid=licence-id]").text == str(registry.functions.asset(model).call()[4])
    svg = page.one("svg[data-testid=provenance-graph]")
    parents = {int(e.get_attribute("data-parent"), 16): int(e.get_attribute("data-share-bps"))
               for e in svg.find_elements("css selector", "g.edge") if int(e.get_attribute("data-child"), 16) == model}
    recorded = registry.events.ProvenanceRecorded.get_logs(from_block=0, argument_filters={"asset_id": model})[0].args
    assert parents == dict(zip(recorded.parents, recorded.shares_bps, strict=True))
    labels = {e.text for e in svg.find_elements("css selector", "g.edge text")}
    assert {"15 %", "20 %"} <= labels
    depths = [int(e.get_attribute("data-depth")) for e in svg.find_elements("css selector", "a.node")]
    assert depths.count(-1) == 2 and depths.count(0) == 1 and depths.count(1) >= 1, "ancestors and descendants"

    # ---- buy: offers listed with their terms; access before and after
    assert page.one("[data-testid=access]").text == "no"
    assert not market.functions.has_access(model, BUYER).call()
    rows = page.css("tr[data-testid=offer]")
    eth_row = next(r for r in rows if r.find_element("css selector", "[data-testid=price]").text.endswith(" ETH"))
    offer_id = int(eth_row.get_attribute("data-offer-id"))
    offer = market.functions.offer(offer_id).call()
    assert eth_row.find_element("css selector", "[data-testid=price]").text == f"{w3.from_wei(offer[2], 'ether')} ETH"
    page.shot("3-asset")
    balance_before = w3.eth.get_balance(BUYER)
    kind, text = page.act(page.one(f"tr[data-offer-id='{offer_id}'] [data-testid=buy]"))
    assert kind == "success", text
    assert market.functions.has_access(model, BUYER).call()
    assert page.one("[data-testid=access]").text == "yes"
    purchase = market.events.LicencePurchased.get_logs(
        from_block=0, argument_filters={"licensee": BUYER, "asset_id": model})[-1]
    assert purchase.args.offer_id == offer_id and purchase.args.buyer == BUYER
    assert balance_before - w3.eth.get_balance(BUYER) >= offer[2]
    page.shot("4-access")

    # ---- a refused purchase: the delisted dataset, explained in a sentence, nothing sent
    delisted = registry.events.AssetDelisted.get_logs(from_block=0)[0].args.asset_id
    page.go(f"#/asset/0x{delisted:064x}", f"/asset/0x{delisted:064x}")
    nonce = w3.eth.get_transaction_count(BUYER)
    kind, text = page.act(page.one("tr[data-testid=offer] [data-testid=buy]"))
    assert (kind, text) == ("error", "The asset was delisted by the curators, so its licences are not for sale.")
    assert w3.eth.get_transaction_count(BUYER) == nonce
    page.shot("5-refused")

    # ---- an ERC-20 offer: the page has the marketplace approved first, then buys (a timed licence extends)
    page.driver.execute_script("window.__cidhubWallet.setAccount(arguments[0])", TUSD_BUYER)
    page.wait(lambda d: page.one("#account").get_attribute("data-address") == TUSD_BUYER)
    page.go(f"#/asset/0x{model:064x}", f"/asset/0x{model:064x}")
    token_row = next(r for r in page.css("tr[data-testid=offer]")
                     if r.find_element("css selector", "[data-testid=price]").text.endswith(" TUSD"))
    token_offer_id = int(token_row.get_attribute("data-offer-id"))
    token_offer = market.functions.offer(token_offer_id).call()
    manifest = json.loads((REPO_ROOT / ".build" / "__local__.json").read_text())
    tusd = w3.eth.contract(address=token_offer[1], abi=manifest["contractTypes"]["MockERC20"]["abi"])
    tusd_before = tusd.functions.balanceOf(TUSD_BUYER).call()
    approvals_before = len(tusd.events.Approval.get_logs(from_block=0, argument_filters={"owner": TUSD_BUYER}))
    kind, text = page.act(token_row.find_element("css selector", "[data-testid=buy]"))
    assert kind == "success", text
    assert tusd.functions.balanceOf(TUSD_BUYER).call() == tusd_before - token_offer[2]
    assert len(tusd.events.Approval.get_logs(from_block=0, argument_filters={"owner": TUSD_BUYER})) > approvals_before
    bought = market.events.LicencePurchased.get_logs(
        from_block=0, argument_filters={"licensee": TUSD_BUYER, "asset_id": model})[-1].args
    assert (bought.offer_id, bought.token) == (token_offer_id, token_offer[1])
    assert market.functions.licence_of(model, TUSD_BUYER).call() == bought.expires_at
    assert page.one("[data-testid=access]").text == "yes"

    # ---- earnings of the model's owner: settle the sale, then withdraw
    page.driver.execute_script("window.__cidhubWallet.setAccount(arguments[0])", MODEL_OWNER)
    page.wait(lambda d: page.one("#account").get_attribute("data-address") == MODEL_OWNER)
    page.go("#/earnings", "/earnings")
    pending = market.functions.pending(model, ETH).call()
    assert pending > 0
    row = page.one(f"tr[data-testid=pending][data-asset-id='0x{model:064x}'][data-token-symbol=ETH]")
    assert int(row.get_attribute("data-amount")) == pending
    page.shot("6-earnings")
    kind, text = page.act(row.find_element("css selector", "[data-testid=settle]"))
    assert kind == "success", text
    assert market.functions.pending(model, ETH).call() == 0
    credited = market.functions.balance_of(MODEL_OWNER, ETH).call()
    assert credited > 0
    balance_row = page.one("tr[data-testid=balance][data-token-symbol=ETH]")
    assert int(balance_row.get_attribute("data-amount")) == credited
    page.shot("7-settled")

    eth_before = w3.eth.get_balance(MODEL_OWNER)
    kind, text = page.act(page.one("tr[data-testid=balance][data-token-symbol=ETH] [data-testid=withdraw]"))
    assert kind == "success", text
    assert re.match(r"Withdrew [\d.]+ ETH to 0x", text)
    assert market.functions.balance_of(MODEL_OWNER, ETH).call() == 0
    withdrawn = market.events.Withdrawn.get_logs(
        from_block=0, argument_filters={"account": to_checksum_address(MODEL_OWNER)})[-1]
    assert withdrawn.args.amount == credited
    receipt = w3.eth.get_transaction_receipt(withdrawn.transactionHash)
    assert w3.eth.get_balance(MODEL_OWNER) == eth_before + credited - receipt.gasUsed * receipt.effectiveGasPrice
    assert page.one("tr[data-testid=balance][data-token-symbol=ETH]").get_attribute("data-amount") == "0"
    page.shot("8-withdrawn")
    wallet_log = set(page.driver.execute_script("return window.__cidhubWallet.log"))
    assert {"eth_sendTransaction", "eth_call", "eth_getLogs"} <= wallet_log, "the page used the wallet for everything"
