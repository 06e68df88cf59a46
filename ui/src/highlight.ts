/**
 * AQL syntax highlighting for the search box: the text cut into tokens with a kind each, drawn
 * in colour behind the (transparent) input. Pure and forgiving: any text, however broken,
 * gives tokens whose texts join back to it exactly, so the colours never drift from the caret.
 */

export type TokenKind =
  | "keyword"
  | "operator"
  | "string"
  | "number"
  | "function"
  | "attribute"
  | "value"
  | "punct"
  | "space";

export interface Token {
  kind: TokenKind;
  text: string;
}

const KEYWORDS = new Set([
  "and",
  "or",
  "not",
  "in",
  "is",
  "empty",
  "like",
  "order",
  "by",
  "asc",
  "desc",
  "having",
  "startswith",
  "endswith",
  "object",
]);

/** Words that, after an attribute, still belong to the comparison. */
const COMPARING = new Set(["is", "in", "not", "like", "startswith", "endswith"]);

export function tokenize(text: string): Token[] {
  const raw: Token[] = [];
  let i = 0;
  while (i < text.length) {
    const rest = text.slice(i);
    const space = /^\s+/.exec(rest);
    if (space) {
      raw.push({ kind: "space", text: space[0] });
      i += space[0].length;
      continue;
    }
    if (rest.startsWith('"')) {
      let end = 1;
      while (end < rest.length && rest[end] !== '"') {
        end += rest[end] === "\\" ? 2 : 1;
      }
      const string = rest.slice(0, Math.min(end + 1, rest.length));
      raw.push({ kind: "string", text: string });
      i += string.length;
      continue;
    }
    const operator = /^(!=|<=|>=|==|=|<|>|~)/.exec(rest);
    if (operator) {
      raw.push({ kind: "operator", text: operator[0] });
      i += operator[0].length;
      continue;
    }
    if ("(),.".includes(rest[0] ?? "")) {
      raw.push({ kind: "punct", text: rest[0] ?? "" });
      i += 1;
      continue;
    }
    const word = /^[^\s"=!<>~(),.]+/.exec(rest)?.[0] ?? rest[0] ?? "";
    raw.push({ kind: "value", text: word });
    i += word.length;
  }
  // Classify words by what is around them.
  const significant = (from: number, step: 1 | -1): Token | undefined => {
    for (let j = from + step; j >= 0 && j < raw.length; j += step) {
      const token = raw[j];
      if (token && token.kind !== "space") {
        return token;
      }
    }
    return undefined;
  };
  return raw.map((token, index) => {
    if (token.kind !== "value") {
      return token;
    }
    const lower = token.text.toLowerCase();
    const next = significant(index, 1);
    if (KEYWORDS.has(lower)) {
      return { ...token, kind: "keyword" };
    }
    if (next?.text === "(") {
      return { ...token, kind: "function" };
    }
    if (/^-?\d+(\.\d+)?$/.test(token.text)) {
      return { ...token, kind: "number" };
    }
    const before = significant(index, -1);
    const comparesNext =
      next !== undefined &&
      (next.kind === "operator" ||
        next.text === "." ||
        (next.kind === "value" && COMPARING.has(next.text.toLowerCase())));
    const afterValue = before?.kind === "operator" || before?.text === "(" || before?.text === ",";
    return { ...token, kind: comparesNext && !afterValue ? "attribute" : "value" };
  });
}
