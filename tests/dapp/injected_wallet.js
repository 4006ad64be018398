// An EIP-1193 provider for the browser test, injected before the page loads. Like a real wallet it shows no
// account (eth_accounts: []) until the page asks for one (eth_requestAccounts), then the account the test chose;
// every other request goes, as it is, to anvil, whose unlocked test accounts sign. Nothing of the page is replaced. window.__cidhubWallet lets the test
// switch accounts (the page sees "accountsChanged", as with a real wallet) and read the request log.
(() => {
  const RPC_URL = "__RPC_URL__";
  let account = "__ACCOUNT__";
  let authorized = false;
  const listeners = new Map();
  const log = [];
  let nextId = 1;

  const emit = (event, value) => (listeners.get(event) ?? []).forEach((fn) => { try { fn(value); } catch (e) { console.error(e); } });
  const rpcError = (code, message, data) => Object.assign(new Error(message), { code, data });

  async function forward(method, params) {
    const response = await fetch(RPC_URL, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ jsonrpc: "2.0", id: nextId++, method, params: params ?? [] }),
    });
    const body = await response.json();
    if (body.error) throw rpcError(body.error.code, body.error.message, body.error.data);
    return body.result;
  }

  const provider = {
    isCidhubTestWallet: true,
    async request({ method, params }) {
      log.push(method);
      if (method === "eth_requestAccounts") {
        authorized = true;
        return [account];
      }
      if (method === "eth_accounts") return authorized ? [account] : [];
      if (method === "eth_sendTransaction" && params?.[0]?.from?.toLowerCase() !== account.toLowerCase()) {
        throw rpcError(4100, "The requested account has not been authorized by the user.");
      }
      return forward(method, params);
    },
    on(event, fn) {
      listeners.set(event, [...(listeners.get(event) ?? []), fn]);
      return provider;
    },
    removeListener(event, fn) {
      listeners.set(event, (listeners.get(event) ?? []).filter((f) => f !== fn));
      return provider;
    },
  };
  window.ethereum = provider;
  window.__cidhubWallet = {
    log,
    get account() { return account; },
    setAccount(next) {
      account = next;
      if (authorized) emit("accountsChanged", [next]);
    },
  };
})();
