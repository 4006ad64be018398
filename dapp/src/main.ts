import { formatUnits, getAddress, isAddress, type Address } from "viem";
import {
  assetKinds,
  explainError,
  fromDeploymentFile,
  gatewayUrl,
  type AssetView,
  type CidhubDeployment,
  type DeploymentFile,
} from "@cidhub/contracts";

import { buyLicence, settle, withdraw } from "./actions";
import { loadAccess, loadCard, loadEarnings, loadOffers, loadSnapshot, type Card, type Offer, type Snapshot, type Token } from "./data";
import { h, shortHex } from "./dom";
import { provenanceSvg } from "./graph";
import { connect, injectedProvider, type Connection } from "./wallet";

const PERPETUAL = (1n << 256n) - 1n;
const params = new URLSearchParams(location.search);
// Cards come from an IPFS gateway: this page's own origin by default (`make dapp` serves one at /ipfs/).
const gateway = params.get("gateway") ?? location.origin;

interface State {
  conn: Connection | null;
  snapshot: Snapshot | null;
  custom: CidhubDeployment[];
  busy: boolean;
}

const state: State = { conn: null, snapshot: null, custom: [], busy: false };
const $ = (id: string) => document.getElementById(id) as HTMLElement;
let renderSerial = 0;

// ------------------------------------------------------------------------------------------------ notices

function notice(text: string, kind: "info" | "error" | "success" = "info"): void {
  const el = $("notice");
  el.textContent = text;
  el.className = kind;
  el.dataset.kind = kind;
  el.hidden = false;
}

function clearNotice(): void {
  $("notice").hidden = true;
}

/** Runs a transaction flow; every failure becomes one plain sentence (explainError). */
async function act(flow: (step: (text: string) => void) => Promise<string>): Promise<void> {
  if (state.busy) return;
  state.busy = true;
  document.body.dataset.busy = "true";
  try {
    const done = await flow((text) => notice(text));
    state.snapshot = null; // owners, pools and balances changed
    await render();
    notice(done, "success");
  } catch (error) {
    console.error(error);
    notice(explainError(error), "error");
  } finally {
    state.busy = false;
    document.body.dataset.busy = "false";
  }
}

// ------------------------------------------------------------------------------------------------ wallet

async function refreshConnection(request: boolean): Promise<void> {
  const provider = injectedProvider();
  if (!provider) {
    notice("No Ethereum wallet found in this browser: install one (MetaMask, Rabby, ...) to use cidhub.", "error");
    return;
  }
  try {
    state.conn = await connect(provider, state.custom, request);
  } catch (error) {
    notice(explainError(error), "error");
    return;
  }
  state.snapshot = null;
  const { conn } = state;
  $("network").textContent = conn.deployment
    ? `chain ${conn.chainId} (${conn.deployment.ecosystem}:${conn.deployment.network})`
    : `chain ${conn.chainId}`;
  $("account").textContent = conn.account ? shortHex(conn.account) : "";
  $("account").title = conn.account ?? "";
  $("account").dataset.address = conn.account ?? "";
  $("connect").hidden = conn.account !== null;
  if (conn.deploymentError) notice(conn.deploymentError, "error");
  else clearNotice();
  await render();
}

async function loadCustomDeployment(): Promise<void> {
  // ?deployment=<url of a deployments/*.json>: your own deployment, used on its chain instead of the package's.
  const url = params.get("deployment");
  if (!url) return;
  try {
    const file = (await (await fetch(url)).json()) as DeploymentFile;
    state.custom = [fromDeploymentFile(file)];
  } catch (error) {
    notice(`The deployment file ${url} could not be read: ${error instanceof Error ? error.message : String(error)}`, "error");
  }
}

// ------------------------------------------------------------------------------------------------ helpers

const hexId = (id: bigint) => `0x${id.toString(16).padStart(64, "0")}`;
const assetHref = (id: bigint) => `#/asset/${hexId(id)}`;

function amount(value: bigint, token: Token): string {
  const text = formatUnits(value, token.decimals);
  return `${text} ${token.symbol}`;
}

function when(seconds: bigint): string {
  return new Date(Number(seconds) * 1000).toISOString().replace("T", " ").slice(0, 16) + " UTC";
}

function duration(seconds: bigint): string {
  if (seconds === 0n) return "perpetual";
  const days = Number(seconds) / 86_400;
  return Number.isInteger(days) ? `${days} day${days === 1 ? "" : "s"}` : `${Number(seconds).toLocaleString()} s`;
}

function cardName(card: Card | null, asset: AssetView): string {
  const name = card?.["name"];
  return typeof name === "string" && name ? name : shortHex(asset.contentCid, 10, 6);
}

async function snapshot(conn: Connection): Promise<Snapshot> {
  state.snapshot ??= await loadSnapshot(conn);
  return state.snapshot;
}

async function names(assets: readonly AssetView[]): Promise<Map<bigint, string>> {
  const cards = await Promise.all(assets.map((a) => loadCard(a.metadataCid, gateway)));
  return new Map(assets.map((a, i) => [a.id, cardName(cards[i] ?? null, a)]));
}

function kindBadge(kind: string): HTMLElement {
  return h("span", { class: `kind ${kind}`, "data-testid": "kind" }, kind);
}

function cidLink(cid: string, testid: string): HTMLElement {
  return h("a", { href: gatewayUrl(cid, gateway), class: "mono", "data-testid": testid, target: "_blank", rel: "noopener" }, cid);
}

// ------------------------------------------------------------------------------------------------ views

async function viewAssets(conn: Connection, query: URLSearchParams): Promise<HTMLElement> {
  const snap = await snapshot(conn);
  const kind = query.get("kind") ?? "";
  const ownerText = query.get("owner") ?? "";
  const owner = isAddress(ownerText) ? getAddress(ownerText) : null;
  const shown = snap.assets.filter((a) => (!kind || a.kind === kind) && (!owner || a.owner === owner));
  const labels = await names(snap.assets);

  const kindSelect = h("select", { "data-testid": "filter-kind", name: "kind" },
    h("option", { value: "" }, "every kind"),
    ...assetKinds.map((k) => h("option", { value: k, selected: k === kind }, k)));
  const ownerInput = h("input", { "data-testid": "filter-owner", name: "owner", placeholder: "0x… (any owner)", value: ownerText, size: 44 });
  const apply = () => {
    const next = new URLSearchParams();
    if (kindSelect.value) next.set("kind", kindSelect.value);
    if (ownerInput.value.trim()) next.set("owner", ownerInput.value.trim());
    location.hash = `#/assets?${next}`;
  };
  kindSelect.addEventListener("change", apply);
  ownerInput.addEventListener("change", apply);
  const mine = conn.account
    ? h("button", { type: "button", class: "secondary", "data-testid": "filter-mine", onclick: () => { ownerInput.value = conn.account ?? ""; apply(); } }, "mine")
    : null;

  const grid = h("div", { class: "grid", "data-testid": "asset-list" });
  for (const asset of shown) {
    const offers = await loadOffers(conn, snap, asset.id);
    const live = offers.filter((o) => o.active);
    grid.append(h("article", { class: "card", "data-testid": "asset-card", "data-asset-id": hexId(asset.id), "data-kind": asset.kind },
      h("h3", {}, h("a", { href: assetHref(asset.id) }, labels.get(asset.id) ?? ""), " ", kindBadge(asset.kind),
        asset.delisted ? h("span", { class: "badge" }, "delisted") : null),
      h("dl", {},
        h("dt", {}, "owner"), h("dd", { class: "mono", "data-testid": "owner" }, asset.owner),
        h("dt", {}, "content"), h("dd", {}, cidLink(asset.contentCid, "content-cid")),
        h("dt", {}, "licence"), h("dd", {}, `#${asset.licenceId}, royalty ${asset.royaltyBps / 100} %`),
        h("dt", {}, "parents"), h("dd", {}, String(asset.parentCount)),
        h("dt", {}, "offers"), h("dd", {}, live.length
          ? live.map((o) => `${amount(o.price, o.token)} (${duration(o.duration)})`).join(", ")
          : "none")),
    ));
  }
  return h("section", { "data-testid": "assets-view" },
    h("h2", {}, `Assets (${shown.length} of ${snap.assets.length})`),
    h("div", { class: "filters" },
      h("label", {}, "kind", kindSelect),
      h("label", {}, "owner", ownerInput), mine),
    shown.length ? grid : h("p", { class: "hint", "data-testid": "empty" }, "No asset matches these filters."));
}

async function viewAsset(conn: Connection, idText: string): Promise<HTMLElement> {
  const snap = await snapshot(conn);
  const id = BigInt(idText);
  const asset = snap.assets.find((a) => a.id === id);
  if (!asset) return h("p", { class: "hint", "data-testid": "unknown-asset" }, `There is no asset ${idText} in this deployment.`);
  const byId = new Map(snap.assets.map((a) => [a.id, a]));
  const [card, offers, labels, access] = await Promise.all([
    loadCard(asset.metadataCid, gateway),
    loadOffers(conn, snap, id),
    names(snap.assets),
    conn.account ? loadAccess(conn, id, conn.account) : Promise.resolve(null),
  ]);

  const fields = card
    ? h("dl", { "data-testid": "card-fields" }, ...Object.entries(card).flatMap(([k, v]) => [
        h("dt", {}, k), h("dd", { "data-field": k }, typeof v === "string" ? v : JSON.stringify(v))]))
    : h("p", { class: "hint", "data-testid": "card-missing" }, `The card could not be fetched from ${gateway}.`);

  const accessLine = access === null
    ? h("p", { class: "hint" }, "Connect a wallet to see whether your account has access.")
    : h("p", {}, "Your access: ",
        h("span", { class: `access ${access.hasAccess ? "yes" : "no"}`, "data-testid": "access" }, access.hasAccess ? "yes" : "no"),
        access.expiresAt === 0n ? " (no licence)" : access.expiresAt === PERPETUAL ? " (perpetual licence)" : ` (licence until ${when(access.expiresAt)})`);

  const offerRows = offers.map((o) => offerRow(conn, o, labels.get(id) ?? ""));
  const lineage = snap.graph.lineage(id);
  const parents = snap.graph.parentsOf(id);
  const children = snap.graph.childrenOf(id);

  return h("section", { "data-testid": "asset-detail", "data-asset-id": hexId(id) },
    h("h2", {}, labels.get(id) ?? "", " ", kindBadge(asset.kind), asset.delisted ? h("span", { class: "badge" }, "delisted") : null),
    h("dl", {},
      h("dt", {}, "asset id"), h("dd", { class: "mono" }, hexId(id)),
      h("dt", {}, "owner"), h("dd", { class: "mono", "data-testid": "owner" }, asset.owner),
      h("dt", {}, "content CID"), h("dd", {}, cidLink(asset.contentCid, "content-cid")),
      h("dt", {}, "card CID"), h("dd", {}, cidLink(asset.metadataCid, "metadata-cid")),
      h("dt", {}, "licence id"), h("dd", { "data-testid": "licence-id" }, String(asset.licenceId)),
      h("dt", {}, "royalty"), h("dd", {}, `${asset.royaltyBps / 100} % of resales (ERC-2981)`),
      h("dt", {}, "versions"), h("dd", {}, asset.previousVersion ? h("a", { href: assetHref(asset.previousVersion) }, "previous version") : "first version",
        asset.latestVersion !== id ? " · " : null,
        asset.latestVersion !== id ? h("a", { href: assetHref(asset.latestVersion) }, "latest version") : null)),
    h("h3", { class: "section" }, "Card"), fields,
    h("h3", { class: "section" }, "Licences"), accessLine,
    offers.length
      ? h("table", { "data-testid": "offers" },
          h("thead", {}, h("tr", {}, ...["offer", "price", "licence", "sold", "sale window", ""].map((t) => h("th", {}, t)))),
          h("tbody", {}, ...offerRows))
      : h("p", { class: "hint" }, "No offers for this asset."),
    h("h3", { class: "section" }, "Provenance"),
    h("p", { class: "hint" }, `${parents.length} parent${parents.length === 1 ? "" : "s"}, ${children.length} child${children.length === 1 ? "" : "ren"}; ` +
      "each edge shows the share of the child's revenue that goes up to that parent."),
    h("div", { class: "graph" }, provenanceSvg(lineage, byId, (n) => labels.get(n) ?? shortHex(hexId(n)), assetHref)),
  );
}

function offerRow(conn: Connection, offer: Offer, assetName: string): HTMLElement {
  const now = BigInt(Math.floor(Date.now() / 1000));
  const window = offer.endsAt !== 0n ? `until ${when(offer.endsAt)}` : offer.startsAt > now ? `from ${when(offer.startsAt)}` : "open";
  const buy = h("button", { type: "button", "data-testid": "buy", disabled: !offer.active || !conn.account }, "Buy licence");
  buy.addEventListener("click", () =>
    act(async (step) => {
      await buyLicence(conn, offer, step);
      return `Licence bought: your account now holds a licence for ${assetName} (${duration(offer.duration)}).`;
    }),
  );
  return h("tr", { "data-testid": "offer", "data-offer-id": String(offer.id), "data-active": String(offer.active) },
    h("td", {}, `#${offer.id}`),
    h("td", { "data-testid": "price" }, amount(offer.price, offer.token)),
    h("td", {}, duration(offer.duration)),
    h("td", {}, offer.maxLicences ? `${offer.sold} of ${offer.maxLicences}` : `${offer.sold} (no cap)`),
    h("td", {}, offer.active ? window : "closed"),
    h("td", {}, buy));
}

async function viewEarnings(conn: Connection): Promise<HTMLElement> {
  if (!conn.account) return h("p", { class: "hint", "data-testid": "connect-first" }, "Connect your wallet to see your earnings.");
  const account: Address = conn.account;
  const snap = await snapshot(conn);
  const [earnings, labels] = await Promise.all([loadEarnings(conn, snap, account), names(snap.assets)]);

  const balanceRows = earnings.balances.map(({ token, amount: value }) => {
    const button = h("button", { type: "button", "data-testid": "withdraw", disabled: value === 0n }, "Withdraw");
    button.addEventListener("click", () =>
      act(async (step) => {
        await withdraw(conn, token, step);
        return `Withdrew ${amount(value, token)} to ${shortHex(account)}.`;
      }),
    );
    return h("tr", { "data-testid": "balance", "data-token-symbol": token.symbol, "data-amount": value.toString() },
      h("td", {}, token.symbol), h("td", { class: "amount" }, amount(value, token)), h("td", {}, button));
  });
  const pendingRows = earnings.pending.map(({ asset, token, amount: value }) => {
    const button = h("button", { type: "button", class: "secondary", "data-testid": "settle" }, "Settle");
    button.addEventListener("click", () =>
      act(async (step) => {
        await settle(conn, snap, asset.id, token, step);
        return `Settled ${amount(value, token)} of ${labels.get(asset.id) ?? "the asset"}'s revenue: parents' shares moved up, the rest credited to its split.`;
      }),
    );
    return h("tr", { "data-testid": "pending", "data-asset-id": hexId(asset.id), "data-token-symbol": token.symbol, "data-amount": value.toString() },
      h("td", {}, h("a", { href: assetHref(asset.id) }, labels.get(asset.id) ?? "")),
      h("td", { class: "amount" }, amount(value, token)), h("td", {}, button));
  });
  const owned = snap.assets.filter((a) => a.owner === account);
  return h("section", { "data-testid": "earnings-view" },
    h("h2", {}, "Earnings of ", h("span", { class: "mono" }, account)),
    h("h3", { class: "section" }, "Withdrawable now"),
    h("table", { "data-testid": "balances" }, h("thead", {}, h("tr", {}, h("th", {}, "currency"), h("th", {}, "balance"), h("th", {}, ""))),
      h("tbody", {}, ...balanceRows)),
    h("h3", { class: "section" }, `Revenue of your ${owned.length} asset${owned.length === 1 ? "" : "s"} waiting to be settled`),
    pendingRows.length
      ? h("table", { "data-testid": "pending-table" }, h("thead", {}, h("tr", {}, h("th", {}, "asset"), h("th", {}, "pending"), h("th", {}, ""))),
          h("tbody", {}, ...pendingRows))
      : h("p", { class: "hint", "data-testid": "nothing-pending" }, "Nothing to settle: every sale of your assets has been distributed."),
    h("p", { class: "hint" }, "Settling pays each parent its upstream share and credits the rest to the asset's split (anyone may settle); " +
      "withdrawing sends your balance to your account."));
}

// ------------------------------------------------------------------------------------------------ routing

async function render(): Promise<void> {
  const serial = ++renderSerial;
  const [path, query = ""] = location.hash.replace(/^#/, "").split("?");
  const route = path || "/assets";
  for (const a of document.querySelectorAll<HTMLAnchorElement>("nav a")) a.classList.toggle("active", route.startsWith(`/${a.dataset.view}`));
  const view = $("view");
  const { conn } = state;
  if (!conn || !conn.deployment) {
    view.replaceChildren(h("p", { class: "hint" }, conn ? "This network has no cidhub deployment." : "Connect an Ethereum wallet (EIP-1193) to browse cidhub's assets on its network."));
    view.dataset.ready = "true";
    return;
  }
  view.dataset.ready = "false";
  let content: HTMLElement;
  try {
    const asset = /^\/asset\/(0x[0-9a-fA-F]+)$/.exec(route);
    if (asset) content = await viewAsset(conn, asset[1] ?? "0x0");
    else if (route === "/earnings") content = await viewEarnings(conn);
    else content = await viewAssets(conn, new URLSearchParams(query));
  } catch (error) {
    console.error(error);
    content = h("p", { class: "hint" }, explainError(error));
  }
  if (serial !== renderSerial) return; // a newer render started meanwhile
  view.replaceChildren(content);
  view.dataset.ready = "true";
  view.dataset.route = route;
}

async function start(): Promise<void> {
  $("gateway").textContent = gateway;
  $("connect").addEventListener("click", () => void refreshConnection(true));
  window.addEventListener("hashchange", () => void render());
  await loadCustomDeployment();
  const provider = injectedProvider();
  if (provider) {
    provider.on("accountsChanged", () => void refreshConnection(false));
    provider.on("chainChanged", () => void refreshConnection(false));
    await refreshConnection(false);
  } else {
    notice("No Ethereum wallet found in this browser: install one (MetaMask, Rabby, ...) to use cidhub.", "error");
  }
}

void start();
