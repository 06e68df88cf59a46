import { describe, expect, it } from "vitest";
import { Api, ApiError, asAql } from "./api";
import { fakeHost } from "./testing/fakeHost";

describe("the API client", () => {
  it("turns the error envelope into an ApiError", async () => {
    const api = new Api(
      fakeHost(() => ({
        status: 400,
        body: {
          error: {
            code: "aql_invalid",
            message: "No type Laptp.",
            aql: { excerpt: "objectType = Laptp ← Laptop?" },
          },
        },
      })),
    );
    const error = await api.query("objectType = Laptp", 10).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ApiError);
    expect(error).toMatchObject({
      status: 400,
      code: "aql_invalid",
      message: "No type Laptp.",
      aqlExcerpt: "objectType = Laptp ← Laptop?",
    });
  });

  it("explains an answer that is not our envelope", async () => {
    const api = new Api(fakeHost(() => ({ status: 502, body: "<html>Bad gateway</html>" })));
    await expect(api.issueAssets("1")).rejects.toMatchObject({
      code: "http_error",
      message: "The server answered HTTP 502.",
    });
  });

  it("escapes path segments and treats a gone link as unlinked", async () => {
    const host = fakeHost(() => ({
      status: 404,
      body: { error: { code: "not_found", message: "gone" } },
    }));
    await new Api(host).unlink("IT/1", "10001");
    expect(host.calls[0]).toEqual({ method: "DELETE", path: "/api/v1/assets/IT%2F1/issues/10001" });
  });

  it("takes words as a text search and anything with an operator as AQL", () => {
    expect(asAql(" dell 7440 ")).toBe('text ~ "dell 7440"');
    expect(asAql('say "hi"')).toBe('text ~ "say \\"hi\\""');
    expect(asAql("objectType = Laptop")).toBe("objectType = Laptop");
    expect(asAql("Owner is empty")).toBe("Owner is empty");
  });
});
