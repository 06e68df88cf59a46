import { useEffect, useState } from "preact/hooks";
import type { Api, ApprovalPolicy } from "../api";
import { Field, FormError, useSubmit } from "../components/Form";
import { describe } from "../messages";

interface Props {
  api: Api;
  schema: string;
  onChanged: (message: string) => Promise<void>;
}

/** Status names as typed, comma-separated. */
function names(text: string): string[] {
  return text
    .split(",")
    .map((s) => s.trim())
    .filter(Boolean);
}

/**
 * The schema's request approval policy: which project's issues carry requests, and which of
 * their statuses approve (a status category, or statuses by name) or reject them.
 */
export function RequestSettings({ api, schema, onChanged }: Props) {
  const [loaded, setLoaded] = useState(false);
  const [failure, setFailure] = useState<string | null>(null);
  const [project, setProject] = useState("");
  const [category, setCategory] = useState<ApprovalPolicy["approveCategory"]>(null);
  const [approve, setApprove] = useState("");
  const [reject, setReject] = useState("");
  const [set, setSet] = useState(false);
  useEffect(() => {
    let current = true;
    setLoaded(false);
    api
      .requestPolicy(schema)
      .then((policy) => {
        if (!current) {
          return;
        }
        setProject(policy?.project ?? "");
        setCategory(policy?.approveCategory ?? null);
        setApprove((policy?.approveStatuses ?? []).join(", "));
        setReject((policy?.rejectStatuses ?? ["Declined"]).join(", "));
        setSet(policy !== null);
        setLoaded(true);
      })
      .catch((error: unknown) => current && setFailure(describe(error)));
    return () => {
      current = false;
    };
  }, [api, schema]);
  const form = useSubmit(async () => {
    await api.setRequestPolicy(schema, {
      project: project.trim().toUpperCase(),
      approveCategory: category,
      approveStatuses: names(approve),
      rejectStatuses: names(reject),
    });
    setSet(true);
    await onChanged("Saved the request settings.");
  });
  const clear = async () => {
    try {
      await api.setRequestPolicy(schema, null);
      setSet(false);
      await onChanged("Requests are no longer decided by Jira issues.");
    } catch (error) {
      setFailure(describe(error));
    }
  };
  return (
    <section aria-labelledby="request-settings-heading" id="amj-request-settings">
      <h2 id="request-settings-heading">Requests</h2>
      {failure && (
        <p class="amj-error" role="alert">
          The request settings could not be loaded: {failure}
        </p>
      )}
      {loaded && (
        <form id="amj-request-policy-form" class="amj-admin-form" noValidate onSubmit={form.submit}>
          <p class="amj-subtle">
            A request made from an issue is approved when the issue reaches the status category or
            one of the statuses below, and released by a rejecting status.
          </p>
          <Field id="amj-request-project" label="Project (key)" error={form.errors.fields.project}>
            {(a) => (
              <input
                {...a}
                type="text"
                placeholder="IT"
                value={project}
                onInput={(e) => setProject(e.currentTarget.value)}
              />
            )}
          </Field>
          <Field
            id="amj-request-category"
            label="Approved in status category"
            error={form.errors.fields.approveCategory}
          >
            {(a) => (
              <select
                {...a}
                value={category ?? ""}
                onChange={(e) =>
                  setCategory(
                    e.currentTarget.value === ""
                      ? null
                      : (e.currentTarget.value as "indeterminate" | "done"),
                  )
                }
              >
                <option value="">None (statuses below)</option>
                <option value="indeterminate">In Progress</option>
                <option value="done">Done</option>
              </select>
            )}
          </Field>
          <Field
            id="amj-request-approve"
            label="Approved in statuses (comma-separated)"
            error={form.errors.fields.approveStatuses}
          >
            {(a) => (
              <input
                {...a}
                type="text"
                placeholder="Approved"
                value={approve}
                onInput={(e) => setApprove(e.currentTarget.value)}
              />
            )}
          </Field>
          <Field
            id="amj-request-reject"
            label="Rejected in statuses (comma-separated)"
            error={form.errors.fields.rejectStatuses}
          >
            {(a) => (
              <input
                {...a}
                type="text"
                placeholder="Declined"
                value={reject}
                onInput={(e) => setReject(e.currentTarget.value)}
              />
            )}
          </Field>
          <FormError id="amj-request-policy-error" message={form.errors.form ?? null} />
          <button
            type="submit"
            id="amj-request-policy-save"
            class="amj-button"
            disabled={form.busy}
          >
            Save request settings
          </button>
          {set && (
            <>
              {" "}
              <button
                type="button"
                id="amj-request-policy-clear"
                class="amj-button amj-subtle-button"
                onClick={() => void clear()}
              >
                Turn off
              </button>
            </>
          )}
        </form>
      )}
    </section>
  );
}
