import { describe, expect, it } from "vitest";
import type { References } from "./api";
import { buildGraph, MAX_FIRST, SIZE } from "./graph";

const refs = (outbound: [string, string][], inbound: [string, string][] = []): References => ({
  outbound: outbound.map(([key, type]) => ({
    attribute: "a",
    referenceType: type,
    key,
    label: `label ${key}`,
    archived: false,
  })),
  inbound: inbound.map(([key, type]) => ({
    attribute: "a",
    referenceType: type,
    key,
    label: `label ${key}`,
    archived: false,
  })),
  nextInboundCursor: null,
});

describe("the reference graph", () => {
  it("puts the asset in the middle, its references around it, and theirs outside", () => {
    const graph = buildGraph(
      { key: "IT-1", label: "Laptop" },
      refs([["IT-2", "located in"]], [["IT-3", "installed on"]]),
      new Map([
        [
          "IT-2",
          refs(
            [],
            [
              ["IT-1", "located in"],
              ["IT-9", "located in"],
            ],
          ),
        ],
      ]),
    );
    const hop = Object.fromEntries(graph.nodes.map((n) => [n.key, n.hop]));
    expect(hop).toEqual({ "IT-1": 0, "IT-2": 1, "IT-3": 1, "IT-9": 2 });
    expect(graph.edges).toEqual([
      { from: "IT-1", to: "IT-2", label: "located in" },
      { from: "IT-3", to: "IT-1", label: "installed on" },
      { from: "IT-9", to: "IT-2", label: "located in" },
    ]);
    for (const node of graph.nodes) {
      expect(node.x).toBeGreaterThanOrEqual(0);
      expect(node.x).toBeLessThanOrEqual(SIZE);
      expect(node.y).toBeGreaterThanOrEqual(0);
      expect(node.y).toBeLessThanOrEqual(SIZE);
    }
    expect(graph.hidden).toBe(0);
  });

  it("draws each neighbour once and says how many it left out", () => {
    const many = Array.from(
      { length: MAX_FIRST + 3 },
      (_, i) => [`IT-${i + 10}`, "runs"] as [string, string],
    );
    const graph = buildGraph(
      { key: "IT-1", label: "x" },
      refs([...many, ["IT-10", "again"]]),
      new Map(),
    );
    expect(graph.nodes.filter((n) => n.hop === 1)).toHaveLength(MAX_FIRST);
    expect(graph.hidden).toBe(3);
    // Two references to one asset are two edges between the same nodes.
    expect(graph.edges.filter((e) => e.to === "IT-10")).toHaveLength(2);
  });
});
