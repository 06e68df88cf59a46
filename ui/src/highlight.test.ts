import { describe, expect, it } from "vitest";
import { tokenize } from "./highlight";

const kinds = (text: string) =>
  tokenize(text)
    .filter((t) => t.kind !== "space")
    .map((t) => `${t.kind}:${t.text}`);

describe("AQL highlighting", () => {
  it("tells attributes, operators, values, keywords and functions apart", () => {
    expect(kinds('objectType = Laptop AND "Serial number" IS NOT EMPTY')).toEqual([
      "attribute:objectType",
      "operator:=",
      "value:Laptop",
      "keyword:AND",
      'string:"Serial number"',
      "keyword:IS",
      "keyword:NOT",
      "keyword:EMPTY",
    ]);
    expect(kinds("Owner in (currentUser(), 42) order by label desc")).toEqual([
      "attribute:Owner",
      "keyword:in",
      "punct:(",
      "function:currentUser",
      "punct:(",
      "punct:)",
      "punct:,",
      "number:42",
      "punct:)",
      "keyword:order",
      "keyword:by",
      "value:label",
      "keyword:desc",
    ]);
    expect(kinds("Location.Name != Berlin")).toEqual([
      "attribute:Location",
      "punct:.",
      "attribute:Name",
      "operator:!=",
      "value:Berlin",
    ]);
  });

  it("gives back exactly the text it was given, however broken", () => {
    for (const text of [
      "",
      '"unterminated',
      'a = "esc \\" quote" AND',
      "  ((( = = ~ !",
      "Name ~ café 😀 AND x >= -3.5",
    ]) {
      expect(
        tokenize(text)
          .map((t) => t.text)
          .join(""),
      ).toBe(text);
    }
  });
});
