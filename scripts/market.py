"""The marketplace from the command line.

    ape run market list                         offers and their state
    ape run market offer ASSET --price 0.01ether [--token ADDR] [--duration 30d] [--cap N]
    ape run market buy OFFER [--licensee ADDR] [--approve]
    ape run market access ASSET ACCOUNT
    ape run market split ASSET --to ADDR:BPS --to ADDR:BPS ...

Every command checks what it can before sending, and takes --json.
"""

import click
from ape.cli import ConnectedProviderCommand, account_option

from cidhub.chain.assets import current_deployment, market_contract, registry_contract
from cidhub.chain.market import Offer, access, buy, create_offer, list_offers, parse_token, set_split, token_label
from cidhub.chain.registry import format_asset_id, parse_asset_ref
from cidhub.errors import CidhubError
from cidhub.output import machine_output, print_json, print_table, short_hex

_UNITS = {"s": 1, "m": 60, "h": 3600, "d": 86_400, "y": 365 * 86_400}


def parse_duration(text: str) -> int:
    """'0' or 'perpetual' -> 0; '3600', '90m', '30d', '1y' -> seconds."""
    text = text.strip().lower()
    if text in ("perpetual", "forever", "0"):
        return 0
    unit = _UNITS.get(text[-1])
    try:
        return int(text[:-1]) * unit if unit else int(text)
    except ValueError:
        raise click.BadParameter(f"{text!r} is not a duration (e.g. 3600, 90m, 30d, 1y, perpetual)") from None


def parse_amount(text: str) -> int:
    """'1000' (wei / token units), '0.01 ether', '2.5 gwei', via Ape's conversion."""
    from ape import convert

    try:
        return convert(text, int)
    except Exception:  # Ape raises several conversion errors
        raise click.BadParameter(f"{text!r} is not an amount (e.g. 1000, '0.01 ether')") from None


def _fail(exc: CidhubError):
    raise click.ClickException(str(exc)) from None


@click.group()
def cli():
    """Offers, licences and splits."""


@cli.command(cls=ConnectedProviderCommand, name="list")
@click.option("--json", "as_json", is_flag=True)
def list_cmd(as_json):
    machine_output(as_json)
    try:
        offers = list_offers(market_contract())
    except CidhubError as exc:
        _fail(exc)
    if as_json:
        print_json([o.as_dict() for o in offers])
        return
    print_table("offers", ["id", "asset", "token", "price", "licence", "sold / cap", "active"], [
        [o.offer_id, short_hex(format_asset_id(o.asset_id)), token_label(o.token), o.price,
         "perpetual" if o.perpetual else f"{o.duration} s", f"{o.sold} / {o.max_licences or '∞'}",
         "yes" if o.active else "no"]
        for o in offers
    ])


@cli.command(cls=ConnectedProviderCommand)
@click.argument("asset")
@account_option()
@click.option("--price", required=True, help="Exact price, e.g. 1000000 or '0.01 ether'.")
@click.option("--token", default="ETH", show_default=True, help="ETH or an allowed ERC-20 address.")
@click.option("--duration", default="perpetual", show_default=True, help="Licence length: 30d, 12h, 1y, perpetual.")
@click.option("--cap", default=0, type=int, help="At most this many licences (0: no cap).")
@click.option("--starts-at", default=0, type=int, help="Unix time the sale opens (0: now).")
@click.option("--ends-at", default=0, type=int, help="Unix time the sale closes (0: never).")
@click.option("--json", "as_json", is_flag=True)
def offer(asset, account, price, token, duration, cap, starts_at, ends_at, as_json):
    machine_output(as_json)
    try:
        deployment = current_deployment()
        created = create_offer(market_contract(deployment), registry_contract(deployment), account,
                               parse_asset_ref(asset), token=parse_token(token), price=parse_amount(price),
                               duration=parse_duration(duration), max_licences=cap, starts_at=starts_at,
                               ends_at=ends_at)
    except CidhubError as exc:
        _fail(exc)
    if as_json:
        print_json(created.as_dict())
        return
    click.echo(f"offer {created.offer_id}: {created.price} {token_label(created.token)} for asset "
               f"{format_asset_id(created.asset_id)}")


@cli.command(cls=ConnectedProviderCommand, name="buy")
@click.argument("offer_id", type=int)
@account_option()
@click.option("--licensee", help="Who receives the licence (default: the buyer).")
@click.option("--approve", is_flag=True, help="For ERC-20 offers: approve the exact price first if needed.")
@click.option("--json", "as_json", is_flag=True)
def buy_cmd(offer_id, account, licensee, approve, as_json):
    from ape import Contract

    machine_output(as_json)
    try:
        market = market_contract()
        current = Offer.read(market, offer_id)
        token = None if int(current.token, 16) == 0 else Contract(current.token)
        receipt = buy(market, account, offer_id, licensee, token_contract=token, approve=approve)
    except CidhubError as exc:
        _fail(exc)
    event = receipt.decode_logs(market.LicencePurchased)[0]
    result = {"offer_id": offer_id, "asset_id": format_asset_id(event.asset_id), "licensee": event.licensee,
              "price": event.price, "fee": event.fee, "token": token_label(event.token),
              "expires_at": None if event.expires_at == 2**256 - 1 else event.expires_at,
              "tx_hash": str(receipt.txn_hash), "gas_used": receipt.gas_used}
    if as_json:
        print_json(result)
    else:
        print_table("licence bought", list(result), [list(result.values())])


@cli.command(cls=ConnectedProviderCommand, name="access")
@click.argument("asset")
@click.argument("account_address")
@click.option("--json", "as_json", is_flag=True)
def access_cmd(asset, account_address, as_json):
    machine_output(as_json)
    try:
        result = access(market_contract(), parse_asset_ref(asset), account_address)
    except CidhubError as exc:
        _fail(exc)
    if as_json:
        print_json(result)
    else:
        print_table("access", list(result), [list(result.values())])
    raise SystemExit(0 if result["has_access"] else 3)


@cli.command(cls=ConnectedProviderCommand, name="split")
@click.argument("asset")
@account_option()
@click.option("--to", "shares", multiple=True, required=True, help="RECIPIENT:BPS; weights must add up to 10000.")
def split_cmd(asset, account, shares):
    try:
        pairs = [s.rsplit(":", 1) for s in shares]
        recipients, weights = [p[0] for p in pairs], [int(p[1]) for p in pairs]
    except (IndexError, ValueError):
        raise click.BadParameter("each --to is RECIPIENT:BPS, e.g. 0xabc...:2500") from None
    try:
        deployment = current_deployment()
        set_split(market_contract(deployment), registry_contract(deployment), account, parse_asset_ref(asset),
                  recipients, weights)
    except CidhubError as exc:
        _fail(exc)
    click.echo(f"split of {asset} set: " + ", ".join(shares))
