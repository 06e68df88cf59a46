import { connectHost, readConnectBoot } from "./connect";
import type { ForgeBridge } from "./forge";
import type { Host } from "./types";

export type { Host, HostContext } from "./types";

declare global {
  // Set by Forge's Custom UI runtime before our bundle loads.
  var __bridge: { callBridge?: unknown } | undefined;
  interface Window {
    AP?: import("./connect").ConnectAp;
  }
}

/**
 * The host this page runs in. `@forge/bridge` is imported only under Forge: it connects to the
 * Custom UI runtime when loaded, and throws anywhere else.
 */
export async function detectHost(): Promise<Host> {
  if (globalThis.__bridge?.callBridge) {
    const [{ forgeHost }, bridge] = await Promise.all([import("./forge"), import("@forge/bridge")]);
    return forgeHost(bridge as unknown as ForgeBridge);
  }
  const boot = readConnectBoot(document);
  if (boot === null) {
    throw new Error("This page runs inside Jira: open it from Jira, not directly.");
  }
  return connectHost(boot, () => window.AP, fetch.bind(window));
}
