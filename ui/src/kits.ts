import type { AssetType, KitHandout, KitPart } from "./api";

/** A kit's part in words: "Laptop", "a seat of SW-3", "2 × IT-31 from IT-1". */
export function partText(part: KitPart, types: AssetType[]): string {
  switch (part.kind) {
    case "asset":
      return types.find((t) => t.id === part.typeId)?.name ?? `type ${part.typeId}`;
    case "seat":
      return `a seat of ${part.licence}`;
    default:
      return `${part.quantity} × ${part.item} from ${part.location}`;
  }
}

/** What a kit handed out, in one sentence. */
export function handoutText(handout: KitHandout, person: string): string {
  const pieces = [
    ...handout.assets.map((a) => `${a.asset} ${a.label}`),
    ...handout.seats.map((licence) => `a seat of ${licence}`),
    ...handout.stock.map((s) => `${s.quantity} × ${s.item}`),
  ];
  return `Handed ${handout.kit} to ${person}: ${pieces.join(", ")}.`;
}
