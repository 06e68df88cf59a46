import { describe, expect, it } from "vitest";
import { accountIdsOf, actorLabel, isAccountId } from "./people";

describe("who did it", () => {
  it("names people by Jira's display name, and the app's own actors in words", () => {
    const names = new Map([["557058:bob", { name: "Bob Builder", avatar: null }]]);
    expect(actorLabel("557058:bob", names)).toBe("Bob Builder");
    expect(actorLabel("557058:gone", names)).toBe("someone");
    expect(actorLabel("app", names)).toBe("the app");
    expect(actorLabel("api-token:7", names)).toBe("API token #7");
    expect(isAccountId("557058:bob")).toBe(true);
    expect(isAccountId("app")).toBe(false);
    expect(isAccountId("api-token:7")).toBe(false);
  });

  it("reads the accounts a user attribute holds, one or many", () => {
    expect(accountIdsOf("557058:bob")).toEqual(["557058:bob"]);
    expect(accountIdsOf(["557058:bob", "557058:amy"])).toEqual(["557058:bob", "557058:amy"]);
    expect(accountIdsOf(null)).toEqual([]);
    expect(accountIdsOf(["", 7])).toEqual([]);
  });
});
