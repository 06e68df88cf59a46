/**
 * The asset detail's reference graph: the asset, what it refers to and what refers to it (one
 * hop), and the same for each of those (two hops), laid out in two rings. Pure, so the graph's
 * content and layout are unit-tested; the component only draws it.
 */
import type { References } from "./api";

export interface GraphNode {
  key: string;
  label: string;
  hop: 0 | 1 | 2;
  x: number;
  y: number;
}

/** `from` refers to `to` through a reference of type `label`. */
export interface GraphEdge {
  from: string;
  to: string;
  label: string;
}

export interface Graph {
  nodes: GraphNode[];
  edges: GraphEdge[];
  /** Nodes left out to keep the picture readable. */
  hidden: number;
}

/** At most this many neighbours are drawn, and this many of theirs. */
export const MAX_FIRST = 8;
export const MAX_SECOND = 12;
export const SIZE = 360;
const R1 = 105;
const R2 = 165;

type Neighbour = { key: string; label: string; edge: GraphEdge };

function neighbours(key: string, refs: References): Neighbour[] {
  return [
    ...refs.outbound.map((r) => ({
      key: r.key,
      label: r.label ?? r.key,
      edge: { from: key, to: r.key, label: r.referenceType },
    })),
    ...refs.inbound.map((r) => ({
      key: r.key,
      label: r.label,
      edge: { from: r.key, to: key, label: r.referenceType },
    })),
  ];
}

/**
 * Builds the graph around `center` from its references and those of its first neighbours
 * (`second`, by key; a neighbour whose references are not there yet has no second hop).
 */
export function buildGraph(
  center: { key: string; label: string },
  first: References,
  second: Map<string, References>,
): Graph {
  const half = SIZE / 2;
  const nodes = new Map<string, GraphNode>();
  const edges: GraphEdge[] = [];
  const seenEdge = new Set<string>();
  const addEdge = (edge: GraphEdge) => {
    const id = `${edge.from}>${edge.to}:${edge.label}`;
    if (!seenEdge.has(id)) {
      seenEdge.add(id);
      edges.push(edge);
    }
  };
  nodes.set(center.key, { key: center.key, label: center.label, hop: 0, x: half, y: half });
  const hop1 = [...new Map(neighbours(center.key, first).map((n) => [n.key, n])).values()].filter(
    (n) => n.key !== center.key,
  );
  let hidden = Math.max(0, hop1.length - MAX_FIRST);
  const shown = hop1.slice(0, MAX_FIRST);
  const angles = new Map<string, number>();
  shown.forEach((n, i) => {
    const angle = (2 * Math.PI * i) / Math.max(shown.length, 1) - Math.PI / 2;
    angles.set(n.key, angle);
    nodes.set(n.key, {
      key: n.key,
      label: n.label,
      hop: 1,
      x: half + R1 * Math.cos(angle),
      y: half + R1 * Math.sin(angle),
    });
  });
  for (const n of neighbours(center.key, first)) {
    if (nodes.has(n.key)) {
      addEdge(n.edge);
    }
  }
  let second2 = 0;
  for (const n of shown) {
    const refs = second.get(n.key);
    if (!refs) {
      continue;
    }
    const theirs = neighbours(n.key, refs).filter((m) => m.key !== center.key);
    const fresh = theirs.filter((m) => !nodes.has(m.key));
    const unique = [...new Map(fresh.map((m) => [m.key, m])).values()];
    const room = Math.max(0, MAX_SECOND - second2);
    hidden += Math.max(0, unique.length - room);
    const base = angles.get(n.key) ?? 0;
    unique.slice(0, room).forEach((m, i, placed) => {
      const spread = 0.35;
      const angle = base + (i - (placed.length - 1) / 2) * spread;
      nodes.set(m.key, {
        key: m.key,
        label: m.label,
        hop: 2,
        x: half + R2 * Math.cos(angle),
        y: half + R2 * Math.sin(angle),
      });
      second2 += 1;
    });
    for (const m of theirs) {
      if (nodes.has(m.key)) {
        addEdge(m.edge);
      }
    }
  }
  return { nodes: [...nodes.values()], edges, hidden };
}
