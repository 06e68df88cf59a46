import { describe, expect, it } from "vitest";
import { formats, valueText } from "./format";

describe("formats", () => {
  it("writes dates in the viewer's locale and time zone", () => {
    const berlin = formats("de-DE", "Europe/Berlin");
    const auckland = formats("en-NZ", "Pacific/Auckland");
    const at = "2026-12-06T23:30:00Z";
    expect(berlin.dateTime(at)).toMatch(/07\.12\.2026|7\. Dez\. 2026/);
    expect(berlin.dateTime(at)).toContain("00:30");
    expect(auckland.dateTime(at)).toMatch(/7 Dec 2026/);
    expect(auckland.dateTime(at)).toMatch(/12:30/);
    expect(berlin.count(1234567)).toBe("1.234.567");
    expect(formats("en-US", "UTC").count(1234567)).toBe("1,234,567");
  });

  it("falls back instead of failing on what the host got wrong", () => {
    const odd = formats("xx-not-a-locale-!!", "Mars/Olympus");
    expect(odd.dateTime("2026-12-06T10:00:00Z")).toContain("2026");
    expect(odd.dateTime(null)).toBe("—");
    expect(odd.dateTime("yesterday")).toBe("yesterday");
  });
});

describe("valueText", () => {
  it("shows lists, users and references as text", () => {
    expect(valueText(["IT-1", "IT-2"])).toBe("IT-1, IT-2");
    expect(valueText({ accountId: "5b10", displayName: "Ada" })).toBe("Ada");
    expect(valueText(16)).toBe("16");
    expect(valueText(null)).toBe("");
    expect(valueText(true)).toBe("true");
  });
});
