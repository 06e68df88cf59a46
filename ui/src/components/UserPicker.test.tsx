import { render } from "preact";
import { act } from "preact/test-utils";
import { describe, expect, it } from "vitest";
import { Api } from "../api";
import { mountRoot, until } from "../testing/dom";
import { fakeHost } from "../testing/fakeHost";
import { UserPicker } from "./UserPicker";

describe("the user picker", () => {
  const root = mountRoot();

  it("turns a typed name into an accountId through Jira's search, and removes a choice", async () => {
    const host = fakeHost((request) => ({
      status: 200,
      body: {
        items: request.path.includes("query=ada")
          ? [{ accountId: "5b10:ada", displayName: "Ada Lovelace" }]
          : request.path.includes("bulk?accountIds=5b10%3Agrace")
            ? [{ accountId: "5b10:grace", displayName: "Grace Hopper" }]
            : [],
      },
    }));
    const values: string[] = [];
    const show = (value: string) =>
      render(
        <UserPicker
          id="owner"
          api={new Api(host)}
          value={value}
          multiple={true}
          describedBy="owner-error"
          invalid={false}
          onChange={(v) => {
            values.push(v);
            show(v);
          }}
        />,
        root,
      );
    await act(() => show("5b10:grace"));
    // The value it starts with is named by Jira too.
    await until(() => root.textContent?.includes("Grace Hopper") === true);
    const input = root.querySelector("#owner") as HTMLInputElement;
    input.value = "ada";
    await act(() => {
      input.dispatchEvent(new Event("input", { bubbles: true }));
    });
    await until(() => root.textContent?.includes("Ada Lovelace") === true);
    await act(() =>
      (root.querySelector("ul[aria-label='People found'] button") as HTMLButtonElement).click(),
    );
    expect(values.pop()).toBe("5b10:grace, 5b10:ada");
    expect(root.querySelector("ul[aria-label='Chosen people']")?.textContent).toContain(
      "Ada Lovelace",
    );
    await act(() =>
      (root.querySelector("button[aria-label='Remove Grace Hopper']") as HTMLButtonElement).click(),
    );
    expect(values.pop()).toBe("5b10:ada");
    expect(host.calls.map((c) => c.path)).toContain("/api/v1/jira/users?query=ada");
  });
});
