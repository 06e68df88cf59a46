import { render } from "preact";
import { act } from "preact/test-utils";
import { describe, expect, it } from "vitest";
import { Api } from "../api";
import { mountRoot, until } from "../testing/dom";
import { fakeHost } from "../testing/fakeHost";
import { RequestSettings } from "./RequestSettings";

const $ = (s: string) => document.querySelector(s) as HTMLElement;

async function type(selector: string, text: string) {
  await act(() => {
    const input = $(selector) as HTMLInputElement;
    input.value = text;
    input.dispatchEvent(new Event("input", { bubbles: true }));
  });
}

describe("request settings", () => {
  const root = mountRoot();

  it("saves the approval policy, shows the server's refusal by field, and turns it off", async () => {
    const sent: unknown[] = [];
    const host = fakeHost((request) => {
      if (request.method === "GET") {
        return { status: 200, body: { policy: null } };
      }
      if (request.method === "PUT") {
        sent.push(request.body);
        const body = request.body as { project: string };
        return body.project === ""
          ? {
              status: 400,
              body: {
                error: {
                  code: "validation_failed",
                  message: "Project: a Jira project key, like IT",
                  details: [
                    {
                      field: "project",
                      rule: "format",
                      message: "Project: a Jira project key, like IT",
                    },
                  ],
                },
              },
            }
          : { status: 200, body: { policy: body } };
      }
      return { status: 204, body: null };
    });
    const messages: string[] = [];
    await act(() =>
      render(
        <RequestSettings
          api={new Api(host)}
          schema="IT"
          onChanged={async (m) => {
            messages.push(m);
          }}
        />,
        root,
      ),
    );
    await until(() => $("#amj-request-policy-form") !== null);
    expect(($("#amj-request-reject") as HTMLInputElement).value).toBe("Declined");
    expect($("#amj-request-policy-clear")).toBeNull();
    await act(() => $("#amj-request-policy-save").click());
    await until(() => !$("#amj-request-project-error").hidden);
    expect($("#amj-request-project-error").textContent).toBe(
      "Project: a Jira project key, like IT",
    );
    await type("#amj-request-project", "am");
    await type("#amj-request-approve", "Approved, Ready ");
    await act(() => $("#amj-request-policy-save").click());
    await until(() => messages.length === 1);
    expect(sent[1]).toEqual({
      project: "AM",
      approveCategory: null,
      approveStatuses: ["Approved", "Ready"],
      rejectStatuses: ["Declined"],
    });
    await act(() => $("#amj-request-policy-clear").click());
    await until(() => messages.length === 2);
    expect(host.calls.at(-1)?.method).toBe("DELETE");
  });
});
