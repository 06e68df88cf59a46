import type { ApiRequest, ApiResponse, Host, HostGadget, HostHistory } from "../host/types";

/** An in-memory host history; `back` plays the browser's back button. */
export function fakeHistory(
  start = "/",
): HostHistory & { pushed: string[]; back(path: string): void } {
  let path = start;
  const pushed: string[] = [];
  const listeners = new Set<(path: string) => void>();
  return {
    pushed,
    path: () => path,
    push: (next) => {
      path = next;
      pushed.push(next);
    },
    listen: (onChange) => {
      listeners.add(onChange);
      return () => listeners.delete(onChange);
    },
    back: (previous) => {
      path = previous;
      for (const listener of listeners) {
        listener(previous);
      }
    },
  };
}

/** A host that answers API calls from a function and records them, and what it was asked to
 *  open. */
export function fakeHost(
  answer: (request: ApiRequest) => ApiResponse,
  history = fakeHistory(),
  gadget: HostGadget | null = null,
): Host & { calls: ApiRequest[]; opened: string[]; historyOf: ReturnType<typeof fakeHistory> } {
  const calls: ApiRequest[] = [];
  const opened: string[] = [];
  return {
    platform: "forge",
    calls,
    opened,
    historyOf: history,
    context: async () => {
      throw new Error("not used");
    },
    request: async (request) => {
      calls.push(request);
      return answer(request);
    },
    resize: () => {},
    flag: () => {},
    enableTheme: async () => {},
    history: async () => history,
    openIssue: (key) => opened.push(`issue:${key}`),
    openAsset: (key) => opened.push(`asset:${key}`),
    openList: (path) => opened.push(`list:${path}`),
    gadget: () => gadget,
  };
}

/** A gadget's settings kept in memory; `edit()` plays Jira's Configure. */
export function fakeGadget(
  saved: unknown = null,
  editing = false,
  savesInView = true,
): HostGadget & { saved: unknown[]; edit(): void } {
  let current = saved;
  const editors: (() => void)[] = [];
  const saves: unknown[] = [];
  return {
    editing,
    savesInView,
    saved: saves,
    settings: async () => current,
    save: async (settings) => {
      current = settings;
      saves.push(settings);
    },
    onEdit: (callback) => editors.push(callback),
    edit: () => {
      for (const editor of editors) {
        editor();
      }
    },
  };
}
