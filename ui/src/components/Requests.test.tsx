import { render } from "preact";
import { act } from "preact/test-utils";
import { describe, expect, it } from "vitest";
import { Api, type AssetRequest } from "../api";
import { formats } from "../format";
import { custodyOfPath, custodyPath } from "../query";
import { mountRoot, until } from "../testing/dom";
import { fakeHost } from "../testing/fakeHost";
import { IssueRequests, RequestQueue, requestEventText } from "./Requests";

const $ = (s: string) => document.querySelector(s) as HTMLElement;

const LAPTOP = {
  id: 2,
  schemaId: 1,
  parentId: 1,
  name: "Laptop",
  icon: "laptop",
  description: "",
  isAbstract: false,
  attributes: [],
};
const HARDWARE = { ...LAPTOP, id: 1, parentId: null, name: "Hardware", isAbstract: true };
const ROOM = { ...LAPTOP, id: 3, parentId: null, name: "Room" };

const APPROVED: AssetRequest = {
  id: 4,
  schema: "IT",
  issue: "AM-1",
  wanted: { kind: "type", typeId: 2 },
  what: "a Laptop",
  accountId: "557058:ada",
  note: "",
  state: "approved",
  issueStatus: "Approved",
  reserved: [{ part: 0, asset: "IT-9", label: "Laptop 9" }],
  createdAt: "2026-12-07T10:00:00Z",
  createdBy: "557058:bo",
  history: [
    {
      at: "2026-12-07T10:00:00Z",
      actor: "557058:bo",
      event: { kind: "requested", what: "a Laptop", accountId: "557058:ada", note: "day one" },
    },
    { at: "2026-12-07T10:05:00Z", actor: "app", event: { kind: "approved", status: "Approved" } },
    { at: "2026-12-07T10:05:00Z", actor: "app", event: { kind: "reserved", assets: ["IT-9"] } },
  ],
};

const PEOPLE = [
  { accountId: "557058:ada", displayName: "Ada" },
  { accountId: "557058:bo", displayName: "Bo" },
];

describe("requests", () => {
  const root = mountRoot();

  it("tells a request's path in words", () => {
    const people = new Map([
      ["557058:ada", { name: "Ada", avatar: null }],
      ["557058:bo", { name: "Bo", avatar: null }],
    ]);
    const words = (APPROVED.history ?? []).map((h) =>
      // biome-ignore lint/suspicious/noExplicitAny: a minimal person for the words
      requestEventText(h.event, h.actor, people as any),
    );
    expect(words).toEqual([
      "Bo asked for a Laptop for Ada. “day one”",
      "Approved: the issue moved to Approved.",
      "Reserved IT-9.",
    ]);
    expect(
      requestEventText(
        { kind: "released", why: "rejected", status: "Declined", note: "" },
        "app",
        new Map(),
      ),
    ).toBe("Closed: the issue rejected it (Declined).");
    expect(custodyOfPath(custodyPath("requests"))).toBe("requests");
  });

  it("asks for a checkoutable type on the issue, with the server's refusal by its field", async () => {
    const asked: unknown[] = [];
    const host = fakeHost((request) => {
      if (request.path === "/api/v1/issues/AM-1/requests") {
        return { status: 200, body: { items: asked.length > 1 ? [APPROVED] : [] } };
      }
      if (request.path === "/api/v1/schemas") {
        return { status: 200, body: { schemas: [{ key: "IT", name: "IT assets" }] } };
      }
      if (request.path === "/api/v1/schemas/IT/types") {
        return { status: 200, body: { types: [HARDWARE, LAPTOP, ROOM] } };
      }
      if (request.path === "/api/v1/schemas/IT/custody-policy") {
        return { status: 200, body: { checkoutableTypes: [1] } };
      }
      if (request.path === "/api/v1/schemas/IT/request-policy") {
        return {
          status: 200,
          body: {
            policy: {
              project: "AM",
              approveCategory: null,
              approveStatuses: ["Approved"],
              rejectStatuses: [],
            },
          },
        };
      }
      if (request.path.startsWith("/api/v1/jira/users")) {
        return { status: 200, body: { items: PEOPLE } };
      }
      if (request.path === "/api/v1/schemas/IT/requests" && request.method === "POST") {
        asked.push(request.body);
        if (asked.length === 1) {
          return {
            status: 400,
            body: {
              error: {
                code: "validation_failed",
                message: "Issue: requests are approved in project OPS",
                details: [
                  {
                    field: "accountId",
                    rule: "format",
                    message: "For: a person is named by their Atlassian accountId",
                  },
                ],
              },
            },
          };
        }
        return { status: 200, body: { ...APPROVED, state: "pending", reserved: [] } };
      }
      return { status: 200, body: { items: [] } };
    });
    await act(() =>
      render(<IssueRequests api={new Api(host)} issueKey="AM-1" me="557058:ada" />, root),
    );
    await until(() => $("#amj-requests")?.dataset.state === "ready");
    await act(() => $("#amj-request-open").click());
    await until(() => $("#amj-request-what") !== null);
    const options = [...document.querySelectorAll("#amj-request-what option")].map(
      (o) => o.textContent,
    );
    expect(options).toEqual(["Choose an asset type or a kit", "Hardware", "Laptop"]);
    expect(document.activeElement).toBe($("#amj-request-what"));
    await act(() => {
      const what = $("#amj-request-what") as HTMLSelectElement;
      what.value = "type:2";
      what.dispatchEvent(new Event("change", { bubbles: true }));
    });
    await act(() => $("#amj-request-submit").click());
    await until(() => !($("#amj-request-person-error") as HTMLElement).hidden);
    expect($("#amj-request-person-error").textContent).toContain("accountId");
    await act(() => $("#amj-request-submit").click());
    await until(() => $("#amj-request-form") === null);
    expect(asked[1]).toEqual({
      issue: "AM-1",
      wanted: { kind: "type", typeId: 2 },
      accountId: "557058:ada",
      note: "",
    });
    await until(() => $("[data-request='4']") !== null);
    expect($("#amj-requests-status").textContent).toContain("Requested a Laptop (#4)");
    expect($("[data-request='4']").textContent).toContain("reserved IT-9 Laptop 9");
    expect($("[data-request='4'] [data-request-state]").textContent).toBe("Approved");
  });

  it("says when requests are not set up in the schema, and asks nothing", async () => {
    const host = fakeHost((request) => {
      if (request.path === "/api/v1/schemas") {
        return { status: 200, body: { schemas: [{ key: "IT", name: "IT assets" }] } };
      }
      if (request.path === "/api/v1/schemas/IT/types") {
        return { status: 200, body: { types: [HARDWARE, LAPTOP] } };
      }
      if (request.path === "/api/v1/schemas/IT/custody-policy") {
        return { status: 200, body: { checkoutableTypes: [1] } };
      }
      if (request.path === "/api/v1/schemas/IT/request-policy") {
        return { status: 200, body: { policy: null } };
      }
      return { status: 200, body: { items: [] } };
    });
    await act(() =>
      render(<IssueRequests api={new Api(host)} issueKey="AM-1" me="557058:ada" />, root),
    );
    await until(() => $("#amj-requests")?.dataset.state === "ready");
    await act(() => $("#amj-request-open").click());
    await until(() => $("#amj-request-not-set-up") !== null);
    await act(() => {
      const what = $("#amj-request-what") as HTMLSelectElement;
      what.value = "type:2";
      what.dispatchEvent(new Event("change", { bubbles: true }));
    });
    expect(($("#amj-request-submit") as HTMLButtonElement).disabled).toBe(true);
    expect(host.calls.some((c) => c.method === "POST")).toBe(false);
  });

  it("hands an approved request out with one click from the queue", async () => {
    let fulfilled = false;
    const host = fakeHost((request) => {
      if (request.path === "/api/v1/schemas/IT/requests?state=pending%2Capproved") {
        return { status: 200, body: { items: fulfilled ? [] : [APPROVED] } };
      }
      if (request.path === "/api/v1/schemas/IT/requests/4/fulfil") {
        fulfilled = true;
        return {
          status: 200,
          body: {
            ...APPROVED,
            state: "fulfilled",
            history: [
              {
                at: "2026-12-07T11:00:00Z",
                actor: "557058:bo",
                event: { kind: "fulfilled", assets: ["IT-9"] },
              },
            ],
          },
        };
      }
      if (request.path.startsWith("/api/v1/jira/users")) {
        return { status: 200, body: { items: PEOPLE } };
      }
      return { status: 404, body: { error: { code: "not_found", message: "no" } } };
    });
    await act(() =>
      render(
        <RequestQueue
          api={new Api(host)}
          schema="IT"
          formats={formats("en-GB", "UTC")}
          onOpen={() => {}}
        />,
        root,
      ),
    );
    await until(() => $("[data-fulfil='4']") !== null);
    expect($("[data-request='4']").textContent).toContain("AM-1");
    await act(() => $("[data-fulfil='4']").click());
    await until(() => $("#amj-request-queue-empty") !== null);
    expect($("#amj-request-queue-status").textContent).toMatch(
      /Handed out request #4 to (Ada|557058:ada): IT-9\./,
    );
    const sent = host.calls.find((c) => c.path.endsWith("/fulfil"));
    expect(sent?.body).toEqual({});
  });

  it("shows every request on demand, a page at a time", async () => {
    const page = (id: number, state: AssetRequest["state"]) => ({
      ...APPROVED,
      id,
      state,
      reserved: [],
    });
    const host = fakeHost((request) => {
      if (request.path === "/api/v1/schemas/IT/requests") {
        return {
          status: 200,
          body: { items: [page(1, "fulfilled"), page(2, "released")], nextCursor: "2" },
        };
      }
      if (request.path === "/api/v1/schemas/IT/requests?cursor=2") {
        return { status: 200, body: { items: [page(3, "pending")] } };
      }
      if (request.path.startsWith("/api/v1/schemas/IT/requests?state=pending")) {
        return { status: 200, body: { items: [] } };
      }
      return { status: 200, body: { items: [] } };
    });
    await act(() =>
      render(
        <RequestQueue
          api={new Api(host)}
          schema="IT"
          formats={formats("en-GB", "UTC")}
          onOpen={() => {}}
        />,
        root,
      ),
    );
    await until(() => $("#amj-request-queue-empty") !== null);
    expect($("#amj-request-queue-more")).toBeNull();
    await act(() => $("#amj-request-queue-all").click());
    await until(() => $("[data-request='2']") !== null);
    expect($("[data-request='1'] [data-request-state]").textContent).toBe("Handed out");
    await act(() => $("#amj-request-queue-more").click());
    await until(() => $("[data-request='3']") !== null);
    expect(document.querySelectorAll("#amj-request-table tbody tr").length).toBe(3);
    expect($("#amj-request-queue-more")).toBeNull();
  });
});
