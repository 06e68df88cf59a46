import { describe, expect, it } from "vitest";
import type { AssetSummary } from "./api";
import { csvField, csvName, toCsv } from "./csv";

const asset = {
  key: "IT-1",
  id: 1,
  label: 'Laptop "Pro", 14',
  schema: "IT",
  type: { id: 2, name: "Laptop" },
  status: { id: 1, name: "In use", category: "in_use" },
  attributes: { Notes: '=HYPERLINK("x")', Tags: ["VIP", "Spare"], RAM: 16 },
  version: 1,
  archived: false,
  created: { at: "2026-12-01T10:00:00Z", by: "a" },
  updated: { at: "2026-12-02T10:00:00Z", by: "a" },
} as AssetSummary;

describe("the page as CSV", () => {
  it("quotes what needs quoting and defuses formulas", () => {
    expect(csvField("plain")).toBe("plain");
    expect(csvField("a,b")).toBe('"a,b"');
    expect(csvField('say "hi"')).toBe('"say ""hi"""');
    expect(csvField("line\nbreak")).toBe('"line\nbreak"');
    expect(csvField("=1+1")).toBe("'=1+1");
    expect(csvField("-5")).toBe("'-5");
    expect(csvField("@cmd")).toBe("'@cmd");
  });

  it("writes the columns on screen, in order, with the API's values", () => {
    const csv = toCsv(
      ["Key", "Label", "Status", "Updated", "RAM", "Tags", "Notes", "Missing"],
      [asset],
    );
    expect(csv.split("\r\n")).toEqual([
      "Key,Label,Status,Updated,RAM,Tags,Notes,Missing",
      `IT-1,"Laptop ""Pro"", 14",In use,2026-12-02T10:00:00Z,16,"VIP, Spare","'=HYPERLINK(""x"")",`,
      "",
    ]);
    expect(csvName("IT", 1)).toBe("IT-assets-page-2.csv");
  });
});

describe("custody columns in the CSV", () => {
  it("spell the holder, due day and check-out time as the API does", () => {
    const asset = {
      key: "IT-1",
      id: 1,
      label: "Laptop",
      type: { name: "Laptop" },
      status: { name: "In use", category: "in_use" as const },
      updated: { at: null, by: "app" },
      version: 1,
      custody: {
        holder: { kind: "asset" as const, key: "IT-9" },
        since: "2026-12-01T09:00:00Z",
        by: "app",
        due: "2026-12-24",
        issue: null,
        note: "",
      },
    };
    expect(
      toCsv(
        ["Key", "Holder", "Due", "Checked out"],
        [asset, { ...asset, key: "IT-2", custody: null }],
      ),
    ).toBe(
      "Key,Holder,Due,Checked out\r\nIT-1,IT-9,2026-12-24,2026-12-01T09:00:00Z\r\nIT-2,,,\r\n",
    );
    const licence = {
      ...asset,
      key: "SW-1",
      custody: null,
      seats: { entitled: 5, assigned: 7, free: 0 },
    };
    expect(toCsv(["Key", "Seats entitled", "Seats assigned", "Seats free"], [licence, asset])).toBe(
      "Key,Seats entitled,Seats assigned,Seats free\r\nSW-1,5,7,0\r\nIT-1,,,\r\n",
    );
    const toner = { ...licence, key: "IT-31", stock: { quantity: 4, issued: 0, belowMinimum: 1 } };
    const cable = { ...toner, key: "IT-32", stock: { quantity: 9, issued: 2, belowMinimum: 0 } };
    expect(toCsv(["Key", "Quantity", "Below minimum"], [toner, cable, asset])).toBe(
      "Key,Quantity,Below minimum\r\nIT-31,4,yes\r\nIT-32,9,no\r\nIT-1,,\r\n",
    );
  });
});
