import { render } from "preact";
import { act } from "preact/test-utils";
import { describe, expect, it } from "vitest";
import { Api, type LinkedAsset } from "../api";
import type { ApiRequest, ApiResponse } from "../host/types";
import { mountRoot, until } from "../testing/dom";
import { fakeHost } from "../testing/fakeHost";
import { IssuePanel } from "./IssuePanel";

const laptop = (key: string): LinkedAsset => ({
  key,
  id: 1,
  label: `Laptop ${key}`,
  archived: false,
  status: { name: "In use", category: "in_use" },
});

/** A server with links, a search index and an AQL check. */
function server() {
  let linked: LinkedAsset[] = [];
  let failNextLink = false;
  const answer = (request: ApiRequest): ApiResponse => {
    if (request.method === "GET" && request.path === "/api/v1/issues/10001/assets") {
      return { status: 200, body: { items: linked } };
    }
    if (request.method === "POST" && request.path === "/api/v1/assets/query") {
      const { aql } = request.body as { aql: string };
      if (aql === "objectType = Laptp") {
        return {
          status: 400,
          body: {
            error: {
              code: "aql_invalid",
              message: "bad",
              aql: { excerpt: "no type Laptp; did you mean Laptop?" },
            },
          },
        };
      }
      return {
        status: 200,
        body: {
          schema: "IT",
          items: [
            { ...laptop("IT-7"), type: { name: "Laptop" }, updated: { at: null, by: "app" } },
          ],
          nextCursor: null,
          total: 1,
          totalExact: true,
        },
      };
    }
    if (request.method === "POST" && request.path === "/api/v1/assets/IT-7/issues") {
      if (failNextLink) {
        failNextLink = false;
        return { status: 503, body: { error: { code: "unavailable", message: "Try again" } } };
      }
      linked = [laptop("IT-7")];
      return { status: 201, body: {} };
    }
    if (request.method === "DELETE" && request.path === "/api/v1/assets/IT-7/issues/10001") {
      linked = [];
      return { status: 204, body: null };
    }
    return { status: 500, body: null };
  };
  return {
    answer,
    failLink: () => {
      failNextLink = true;
    },
  };
}

const $ = (selector: string) => document.querySelector(selector) as HTMLElement;

async function submitSearch(text: string) {
  const input = $("#amj-link-search") as HTMLInputElement;
  input.value = text;
  await act(() => {
    $("#amj-link-form").dispatchEvent(new Event("submit", { cancelable: true, bubbles: true }));
  });
}

describe("the issue panel", () => {
  const root = mountRoot();

  it("links an asset found by AQL, explains a bad query, and unlinks", async () => {
    const backend = server();
    const host = fakeHost(backend.answer);
    await act(() =>
      render(
        <IssuePanel api={new Api(host)} host={host} issue={{ id: "10001", key: "AM-1" }} />,
        root,
      ),
    );
    await until(() => $("#amj-glance")?.dataset.state === "ready");
    expect($("#amj-linked-empty").hidden).toBe(false);

    await submitSearch("objectType = Laptp");
    await until(() => !$("#amj-link-error").hidden);
    expect($("#amj-link-error").textContent).toContain("did you mean Laptop?");
    expect($("#amj-link-search").getAttribute("aria-invalid")).toBe("true");

    await submitSearch("objectType = Laptop");
    await until(() => document.querySelector("#amj-link-results button") !== null);
    expect($("#amj-link-error").hidden).toBe(true);

    backend.failLink();
    await act(() => $("#amj-link-results button").click());
    await until(() => document.querySelector("#amj-error") !== null);
    expect($("#amj-error-text").textContent).toBe("Could not link IT-7: Try again.");
    await act(() => $("#amj-retry").click());
    await until(() => $("#amj-glance-status").textContent === "Linked IT-7.");
    expect($("#amj-linked").textContent).toContain("IT-7");
    expect($("#amj-linked .amj-lozenge").textContent).toBe("In use");
    expect(document.querySelector("#amj-error")).toBeNull();
    // A linked asset opens in the app's asset list, through the host.
    await act(() => $("#amj-linked [data-open='IT-7']").click());
    expect(host.opened).toEqual(["asset:IT-7"]);
    expect(host.calls.filter((c) => c.method === "POST" && c.path.endsWith("/issues"))).toEqual([
      { method: "POST", path: "/api/v1/assets/IT-7/issues", body: { issue: "AM-1" } },
      { method: "POST", path: "/api/v1/assets/IT-7/issues", body: { issue: "AM-1" } },
    ]);

    await act(() => ($("#amj-linked .amj-unlink") as HTMLButtonElement).click());
    await until(() => $("#amj-glance-status").textContent === "Unlinked IT-7.");
    expect($("#amj-linked-empty").hidden).toBe(false);
  });

  it("offers a retry when the links cannot be loaded", async () => {
    let up = false;
    const host = fakeHost((request) =>
      up
        ? server().answer(request)
        : {
            status: 503,
            body: {
              error: { code: "database_unavailable", message: "The database is unavailable" },
            },
          },
    );
    await act(() =>
      render(
        <IssuePanel api={new Api(host)} host={host} issue={{ id: "10001", key: "AM-1" }} />,
        root,
      ),
    );
    await until(() => document.querySelector("#amj-error") !== null);
    expect($("#amj-error-text").textContent).toBe(
      "Could not load the linked assets: The database is unavailable.",
    );
    up = true;
    await act(() => $("#amj-retry").click());
    await until(
      () =>
        $("#amj-glance")?.dataset.state === "ready" &&
        document.querySelector("#amj-linked") !== null,
    );
    expect(document.querySelector("#amj-error")).toBeNull();
  });

  it("creates an asset for the issue and links it", async () => {
    let linked: LinkedAsset[] = [];
    const calls: string[] = [];
    const host = fakeHost((request) => {
      calls.push(`${request.method} ${request.path}`);
      if (request.path === "/api/v1/issues/10001/assets") {
        return { status: 200, body: { items: linked } };
      }
      if (request.path === "/api/v1/schemas") {
        return { status: 200, body: { schemas: [{ key: "IT", name: "IT assets" }] } };
      }
      if (request.path === "/api/v1/schemas/IT/types") {
        return {
          status: 200,
          body: {
            types: [
              {
                id: 2,
                name: "Laptop",
                parentId: null,
                isAbstract: false,
                attributes: [{ id: 1, name: "Name", kind: "text", required: true, unique: false }],
              },
            ],
          },
        };
      }
      if (request.path === "/api/v1/schemas/IT/statuses") {
        return {
          status: 200,
          body: { statuses: [{ id: 1, name: "In stock", category: "available" }] },
        };
      }
      if (request.method === "POST" && request.path === "/api/v1/schemas/IT/assets") {
        return { status: 201, body: { ...laptop("IT-9"), schema: "IT", version: 1 } };
      }
      if (request.method === "POST" && request.path === "/api/v1/assets/IT-9/issues") {
        linked = [laptop("IT-9")];
        return { status: 201, body: {} };
      }
      return { status: 404, body: { error: { code: "not_found", message: request.path } } };
    });
    render(
      <IssuePanel api={new Api(host)} host={host} issue={{ id: "10001", key: "AM-1" }} />,
      root,
    );
    const $ = (s: string) => document.querySelector(s) as HTMLElement;
    await until(() => $("#amj-glance")?.dataset.state === "ready");
    await act(() => $("#amj-create-asset").click());
    await until(() => $("#amj-field-0") !== null);
    expect($("#amj-glance").dataset.state).toBe("creating");
    const name = $("#amj-field-0") as HTMLInputElement;
    await act(() => {
      name.value = "Loaner 9";
      name.dispatchEvent(new Event("input"));
    });
    await act(() =>
      (document.querySelector("#amj-glance form") as HTMLFormElement).requestSubmit(),
    );
    await until(() => $("#amj-linked [data-key='IT-9']") !== null);
    expect($("#amj-glance-status").textContent).toBe("Created IT-9 and linked it.");
    expect(calls).toContain("POST /api/v1/schemas/IT/assets");
    expect(calls).toContain("POST /api/v1/assets/IT-9/issues");
  });
});

describe("the issue panel's hand-outs", () => {
  const root = mountRoot();

  it("lists what is out for the issue and what came back", async () => {
    const custody = (due: string | null) => ({
      holder: { kind: "user", accountId: "557058:ada" },
      since: "2026-12-01T09:00:00Z",
      by: "app",
      due,
      issue: "AM-1",
      note: "",
    });
    const host = fakeHost((request) => {
      if (request.path === "/api/v1/custody/issues/AM-1") {
        return {
          status: 200,
          body: {
            items: [
              { asset: "IT-3", label: "Dock", custody: custody("2020-01-01"), returned: null },
              {
                asset: "IT-9",
                label: "Laptop",
                custody: custody(null),
                returned: { at: "2026-12-02T10:00:00Z", by: "app", condition: "worn", note: "" },
              },
            ],
            seats: [
              {
                licence: "IT-20",
                label: "Acrobat",
                assignee: { kind: "user", accountId: "557058:ada" },
                assignedAt: "2026-12-03T10:00:00Z",
              },
            ],
            stock: [
              {
                item: "IT-31",
                itemLabel: "Toner",
                location: "IT-1",
                party: { kind: "user", accountId: "557058:ada" },
                quantity: 3,
                at: "2026-12-04T10:00:00Z",
              },
            ],
          },
        };
      }
      if (request.path.startsWith("/api/v1/jira/users/bulk")) {
        return { status: 200, body: { items: [{ accountId: "557058:ada", displayName: "Ada" }] } };
      }
      return { status: 200, body: { items: [] } };
    });
    await act(() =>
      render(
        <IssuePanel api={new Api(host)} host={host} issue={{ id: "10001", key: "AM-1" }} />,
        root,
      ),
    );
    await until(() => document.querySelector("#amj-handed-out") !== null);
    await until(() =>
      (document.querySelector("#amj-handed-out")?.textContent ?? "").includes("Ada"),
    );
    const rows = [...document.querySelectorAll("#amj-handed-out li")].map((li) => li.textContent);
    expect(rows).toEqual([
      "IT-3 Dock · Ada · out until 2020-01-01 Overdue",
      "IT-9 Laptop · Ada · back 2026-12-02T10:00:00Z (worn)",
      "IT-20 Acrobat · a seat for Ada",
      "IT-31 Toner · 3 issued to Ada",
    ]);
    await act(() => (document.querySelector("[data-open='IT-3']") as HTMLElement).click());
    expect(host.opened).toEqual(["asset:IT-3"]);
  });
});
