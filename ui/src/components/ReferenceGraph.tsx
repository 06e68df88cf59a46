import { useEffect, useMemo, useState } from "preact/hooks";
import type { Api, References } from "../api";
import { buildGraph, MAX_FIRST, SIZE } from "../graph";

/**
 * The asset's references two hops out, drawn as a small graph: the asset in the middle, what it
 * refers to and what refers to it around it, and theirs outside. Every other node is a link
 * (focusable, Enter opens it) to that asset. The lists beside it say the same in words.
 */
export function ReferenceGraph({
  api,
  center,
  references,
  onOpenAsset,
}: {
  api: Api;
  center: { key: string; label: string };
  references: References;
  onOpenAsset?: ((key: string) => void) | undefined;
}) {
  const [second, setSecond] = useState<Map<string, References>>(new Map());
  useEffect(() => {
    let current = true;
    const keys = [
      ...new Set([...references.outbound, ...references.inbound].map((r) => r.key)),
    ].slice(0, MAX_FIRST);
    Promise.allSettled(keys.map((key) => api.references(key))).then((answers) => {
      if (!current) {
        return;
      }
      const found = new Map<string, References>();
      answers.forEach((answer, i) => {
        const key = keys[i];
        if (answer.status === "fulfilled" && key) {
          found.set(key, answer.value);
        }
      });
      setSecond(found);
    });
    return () => {
      current = false;
    };
  }, [api, references]);
  const graph = useMemo(() => buildGraph(center, references, second), [center, references, second]);
  if (graph.nodes.length === 1) {
    return null;
  }
  const at = new Map(graph.nodes.map((n) => [n.key, n]));
  return (
    <figure class="amj-graph" id="amj-reference-graph">
      <svg viewBox={`0 0 ${SIZE} ${SIZE}`} width={SIZE} height={SIZE}>
        <title>{`References of ${center.key}, two hops out`}</title>
        <defs>
          <marker
            id="amj-arrow"
            viewBox="0 0 10 10"
            refX="20"
            refY="5"
            markerWidth="6"
            markerHeight="6"
            orient="auto-start-reverse"
          >
            <path d="M 0 0 L 10 5 L 0 10 z" class="amj-graph-arrow" />
          </marker>
        </defs>
        {graph.edges.map((edge) => {
          const from = at.get(edge.from);
          const to = at.get(edge.to);
          return from && to ? (
            <line
              key={`${edge.from}>${edge.to}:${edge.label}`}
              x1={from.x}
              y1={from.y}
              x2={to.x}
              y2={to.y}
              class="amj-graph-edge"
              marker-end="url(#amj-arrow)"
            >
              <title>
                {edge.from} {edge.label} {edge.to}
              </title>
            </line>
          ) : null;
        })}
        {graph.nodes.map((node) => {
          const body = (
            <>
              <circle cx={node.x} cy={node.y} r={node.hop === 0 ? 14 : 10} />
              <text x={node.x} y={node.y + (node.hop === 0 ? 28 : 22)} text-anchor="middle">
                {node.key}
              </text>
            </>
          );
          return node.hop === 0 || !onOpenAsset ? (
            <g key={node.key} class={`amj-graph-node amj-hop-${node.hop}`}>
              {body}
            </g>
          ) : (
            <a
              key={node.key}
              href={`#${node.key}`}
              class={`amj-graph-node amj-hop-${node.hop}`}
              data-graph-node={node.key}
              aria-label={`${node.key} ${node.label}`}
              onClick={(event) => {
                event.preventDefault();
                onOpenAsset(node.key);
              }}
            >
              <title>{`${node.key} ${node.label}`}</title>
              {body}
            </a>
          );
        })}
      </svg>
      <figcaption class="amj-subtle">
        Arrows point from the asset that refers to the one it refers to.
        {graph.hidden > 0 && ` ${graph.hidden} more not drawn; see the lists.`}
      </figcaption>
    </figure>
  );
}
