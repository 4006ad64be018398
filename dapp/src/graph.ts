import type { AssetView, Lineage } from "@cidhub/contracts";

import { s } from "./dom";

const NODE_W = 190;
const NODE_H = 46;
const COL_GAP = 110;
const ROW_GAP = 22;
const PAD = 16;

/**
 * The asset's provenance as an SVG picture: ancestors to the left (parents one column away), descendants to the
 * right, every edge labelled with the child's upstream share to that parent. Nodes link to their asset pages.
 */
export function provenanceSvg(lineage: Lineage, assets: ReadonlyMap<bigint, AssetView>, label: (id: bigint) => string, href: (id: bigint) => string): SVGSVGElement {
  const depths = lineage.nodes.map((n) => n.depth);
  const minDepth = Math.min(...depths);
  const columns = new Map<number, bigint[]>();
  for (const node of lineage.nodes) {
    const column = columns.get(node.depth) ?? [];
    column.push(node.id);
    columns.set(node.depth, column);
  }
  const tallest = Math.max(...[...columns.values()].map((c) => c.length));
  const height = PAD * 2 + tallest * NODE_H + (tallest - 1) * ROW_GAP;
  const width = PAD * 2 + columns.size * NODE_W + (columns.size - 1) * COL_GAP;
  const sortedDepths = [...columns.keys()].sort((a, b) => a - b);
  const position = new Map<bigint, { x: number; y: number }>();
  for (const depth of sortedDepths) {
    const ids = columns.get(depth) ?? [];
    const x = PAD + (depth - minDepth) * (NODE_W + COL_GAP);
    const columnHeight = ids.length * NODE_H + (ids.length - 1) * ROW_GAP;
    ids.forEach((id, i) => position.set(id, { x, y: (height - columnHeight) / 2 + i * (NODE_H + ROW_GAP) }));
  }

  const svg = s("svg", {
    xmlns: "http://www.w3.org/2000/svg", width, height, viewBox: `0 0 ${width} ${height}`,
    role: "img", "aria-label": "provenance graph", "data-testid": "provenance-graph",
  });
  svg.append(s("defs", {}, s("marker", { id: "arrow", viewBox: "0 0 10 10", refX: 10, refY: 5, markerWidth: 7, markerHeight: 7, orient: "auto-start-reverse" },
    s("path", { d: "M 0 0 L 10 5 L 0 10 z", fill: "#8592a6" }))));

  for (const edge of lineage.edges) {
    const from = position.get(edge.parent);
    const to = position.get(edge.child);
    if (!from || !to) continue;
    const x1 = from.x + NODE_W, y1 = from.y + NODE_H / 2, x2 = to.x, y2 = to.y + NODE_H / 2;
    const mid = (x1 + x2) / 2;
    svg.append(s("g", { class: "edge", "data-parent": `0x${edge.parent.toString(16)}`, "data-child": `0x${edge.child.toString(16)}`, "data-share-bps": edge.shareBps },
      s("path", { d: `M ${x1} ${y1} C ${mid} ${y1}, ${mid} ${y2}, ${x2} ${y2}`, fill: "none", stroke: "#8592a6", "stroke-width": 1.5, "marker-end": "url(#arrow)" }),
      s("rect", { x: mid - 26, y: (y1 + y2) / 2 - 10, width: 52, height: 18, rx: 9, fill: "#fff", stroke: "#d9dee5" }),
      s("text", { x: mid, y: (y1 + y2) / 2 + 3, "text-anchor": "middle", fill: "#1d2330" }, `${edge.shareBps / 100} %`),
    ));
  }

  const fills: Record<string, string> = { dataset: "#2f7d5b", model: "#2754c5", code: "#7a4fb3", result: "#b86b12", other: "#667085" };
  for (const node of lineage.nodes) {
    const p = position.get(node.id);
    if (!p) continue;
    const asset = assets.get(node.id);
    const kind = asset?.kind ?? "other";
    const root = node.id === lineage.root;
    const text = label(node.id);
    svg.append(s("a", { href: href(node.id), class: "node", "data-asset-id": `0x${node.id.toString(16)}`, "data-depth": node.depth },
      s("rect", { x: p.x, y: p.y, width: NODE_W, height: NODE_H, rx: 8, fill: root ? "#eef3ff" : "#fff", stroke: fills[kind] ?? "#667085", "stroke-width": root ? 3 : 1.5 }),
      s("text", { x: p.x + 10, y: p.y + 19, fill: "#1d2330", "font-weight": 600 }, text.length > 26 ? `${text.slice(0, 25)}…` : text),
      s("text", { x: p.x + 10, y: p.y + 36, fill: fills[kind] ?? "#667085" }, `${kind}${asset?.delisted ? " · delisted" : ""}`),
    ));
  }
  return svg;
}
