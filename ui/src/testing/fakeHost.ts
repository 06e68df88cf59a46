import type { ApiRequest, ApiResponse, Host } from "../host/types";

/** A host that answers API calls from a function and records them. */
export function fakeHost(
  answer: (request: ApiRequest) => ApiResponse,
): Host & { calls: ApiRequest[] } {
  const calls: ApiRequest[] = [];
  return {
    platform: "forge",
    calls,
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
  };
}
