/**
 * The list's page as CSV, for "Export": the columns on screen, in order, with the values as the
 * API gives them (ISO dates, keys), so a spreadsheet or a re-import reads them unchanged.
 * RFC 4180 quoting; a cell a spreadsheet would run as a formula is prefixed with `'`.
 */
import type { AssetSummary } from "./api";
import { valueText } from "./format";

/** One cell as exported: what the column shows, in the API's spelling. */
export function cellValue(asset: AssetSummary, column: string): string {
  switch (column) {
    case "Key":
      return asset.key;
    case "Label":
      return asset.label;
    case "Type":
      return asset.type.name ?? "";
    case "Status":
      return asset.status.name ?? "";
    case "Updated":
      return asset.updated.at ?? "";
    // As the API spells them: an accountId or an asset key, a date, a time.
    case "Holder": {
      const holder = asset.custody?.holder;
      return holder ? (holder.kind === "user" ? holder.accountId : holder.key) : "";
    }
    case "Due":
      return asset.custody?.due ?? "";
    case "Checked out":
      return asset.custody?.since ?? "";
    case "Seats entitled":
    case "Seats assigned":
    case "Seats free":
      return seatText(asset, column);
    case "Quantity":
    case "Below minimum":
      return stockText(asset, column);
    default:
      return valueText(asset.attributes?.[column]);
  }
}

/** Quotes a field when it must be, and defuses spreadsheet formulas (CSV injection). */
export function csvField(value: string): string {
  const safe = /^[=+\-@\t\r]/.test(value) ? `'${value}` : value;
  return /[",\r\n]/.test(safe) ? `"${safe.replace(/"/g, '""')}"` : safe;
}

export function toCsv(columns: string[], assets: AssetSummary[]): string {
  const lines = [columns.map(csvField).join(",")];
  for (const asset of assets) {
    lines.push(columns.map((c) => csvField(cellValue(asset, c))).join(","));
  }
  return `${lines.join("\r\n")}\r\n`;
}

/** A file name that says what was exported: `IT-assets-page-2.csv`. */
export function csvName(schema: string, page: number): string {
  return `${schema.replace(/[^A-Za-z0-9_-]/g, "_")}-assets-page-${page + 1}.csv`;
}

/** A licence's seat count for its column; empty for an asset that is no licence. */
export function seatText(asset: AssetSummary, column: string): string {
  const seats = asset.seats;
  if (!seats) {
    return "";
  }
  const n =
    column === "Seats entitled"
      ? seats.entitled
      : column === "Seats assigned"
        ? seats.assigned
        : seats.free;
  return String(n);
}

/** A stock item's total for its column; empty for an asset whose stock never moved. */
export function stockText(asset: AssetSummary, column: string): string {
  const stock = asset.stock;
  if (!stock) {
    return "";
  }
  return column === "Quantity" ? String(stock.quantity) : stock.belowMinimum > 0 ? "yes" : "no";
}
